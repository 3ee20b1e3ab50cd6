// Decides whether an event may be appended to a finding chain; throws the 409 the writer gets when not.
import { LedgerError, TransitionError } from "../errors.ts";
import type { EventType, JsonObject } from "../events/types.ts";
import { isFindingEventType, requestedOf, WORKFLOW_RULES } from "./rules.ts";
import type { WorkflowState } from "./state.ts";

/**
 * Emmett-style decide: pure, state first, throws instead of returning events because the
 * command *is* the event (the writer already chose it). The outcomes are the table in
 * rules.ts. Every workflow 409 carries `details {current, requested}`: `current` is the
 * finding's status (null when the finding does not exist), `requested` is the status the
 * event would set, or the event type for events that set none, and for finding_not_found /
 * finding_exists always the event type.
 * Non-finding events (airgap.*, orchestrator.*) have no workflow and always pass.
 */
export function decide(state: WorkflowState, eventType: EventType, payload: JsonObject): void {
  if (!isFindingEventType(eventType)) return;
  const rule = WORKFLOW_RULES[eventType];

  if (!state.exists) {
    if (rule.from === "absent") return;
    throw new LedgerError(
      "finding_not_found",
      `${eventType} needs an existing finding: append finding.created first`,
      { current: null, requested: eventType },
    );
  }
  const current = state.status;
  if (current === null) {
    // A cached state that says "exists" without a status is corrupt; refuse rather than guess.
    throw new LedgerError("internal", "workflow state has exists=true but no status", { state });
  }
  switch (rule.from) {
    case "absent":
      throw new LedgerError("finding_exists", `finding already exists (status ${current})`, {
        current,
        requested: eventType,
      });
    case "existing":
      return;
    case "live":
      if (current !== "closed") return;
      throw new TransitionError(
        current,
        requestedOf(eventType, payload),
        `a closed finding accepts only finding.reopened, comments, attachments and attestations; ${eventType} was refused`,
      );
    case "closed":
      if (current === "closed") return;
      throw new TransitionError(
        current,
        requestedOf(eventType, payload),
        `${eventType} applies only to a closed finding; this one is ${current}`,
      );
  }
}
