// The finding workflow as data: for every finding event type, where it may apply and what status it leads to.
import { ValidationError } from "../errors.ts";
import { STATUS_CHANGE_TARGETS } from "../events/payloads.ts";
import {
  FINDING_EVENT_TYPES,
  VEX_STATUSES,
  type EventType,
  type FindingEventType,
  type FindingStatus,
  type JsonObject,
} from "../events/types.ts";

/**
 * Where an event may apply:
 * - `absent`   only to a finding that does not exist yet (finding.created);
 * - `live`     to an existing finding whose status is not `closed`;
 * - `existing` to any existing finding, closed included (annotations);
 * - `closed`   only to a closed finding (finding.reopened).
 */
export type Precondition = "absent" | "live" | "existing" | "closed";

/**
 * What the event does to the status: a fixed status, `payload.status` (status_changed and
 * vex_decision), or null (status unchanged).
 */
export type StatusEffect = FindingStatus | "payload.status" | null;

export interface WorkflowRule {
  from: Precondition;
  to: StatusEffect;
}

/**
 * The whole workflow. `decide` and `evolveWorkflow` read this table and nothing else.
 *
 * Every (state x event type) outcome. The seven live statuses (open, under_investigation,
 * affected, not_affected, fixed, accepted_risk, false_positive) behave identically, so they
 * share a column; "ok -> S" means allowed and the status becomes S, "ok" means allowed and
 * the status is unchanged. 409 details are always `{current, requested}` (see decide.ts).
 *
 * | event type                     | absent (no created yet) | any live status                        | closed                                           |
 * |--------------------------------|-------------------------|----------------------------------------|--------------------------------------------------|
 * | finding.created                | ok -> open              | 409 finding_exists                     | 409 finding_exists                               |
 * | finding.status_changed         | 409 finding_not_found   | ok -> payload.status                   | 409 invalid_transition, requested payload.status |
 * | finding.severity_changed       | 409 finding_not_found   | ok                                     | 409 invalid_transition, requested event type     |
 * | finding.tag_updated            | 409 finding_not_found   | ok                                     | 409 invalid_transition, requested event type     |
 * | finding.comment_added          | 409 finding_not_found   | ok                                     | ok                                               |
 * | finding.assignment_changed     | 409 finding_not_found   | ok                                     | 409 invalid_transition, requested event type     |
 * | finding.accepted_risk          | 409 finding_not_found   | ok -> accepted_risk                    | 409 invalid_transition, requested accepted_risk  |
 * | finding.remediation_plan_added | 409 finding_not_found   | ok                                     | 409 invalid_transition, requested event type     |
 * | finding.attachment_added       | 409 finding_not_found   | ok                                     | ok                                               |
 * | finding.vex_decision           | 409 finding_not_found   | ok -> payload.status                   | 409 invalid_transition, requested payload.status |
 * | finding.attestation_linked     | 409 finding_not_found   | ok                                     | ok                                               |
 * | finding.closed                 | 409 finding_not_found   | ok -> closed                           | 409 invalid_transition, requested closed         |
 * | finding.reopened               | 409 finding_not_found   | 409 invalid_transition, requested open | ok -> open                                       |
 * | airgap.*, orchestrator.*       | ok (no workflow)        | ok (no workflow)                       | ok (no workflow)                                 |
 *
 * Payload rules (not_affected needs a justification or impact statement, affected needs an
 * action statement, status_changed cannot target accepted_risk or closed, expiresAt after
 * occurredAt) are 422s checked by events/validate.ts before this table is consulted.
 * test/unit/workflow.exhaustive.test.ts pins every cell, one status at a time.
 */
export const WORKFLOW_RULES: Readonly<Record<FindingEventType, WorkflowRule>> = Object.freeze({
  "finding.created": { from: "absent", to: "open" },
  "finding.status_changed": { from: "live", to: "payload.status" },
  "finding.severity_changed": { from: "live", to: null },
  "finding.tag_updated": { from: "live", to: null },
  "finding.comment_added": { from: "existing", to: null },
  "finding.assignment_changed": { from: "live", to: null },
  "finding.accepted_risk": { from: "live", to: "accepted_risk" },
  "finding.remediation_plan_added": { from: "live", to: null },
  "finding.attachment_added": { from: "existing", to: null },
  "finding.vex_decision": { from: "live", to: "payload.status" },
  "finding.attestation_linked": { from: "existing", to: null },
  "finding.closed": { from: "live", to: "closed" },
  "finding.reopened": { from: "closed", to: "open" },
});

const FINDING_EVENT_TYPE_SET: ReadonlySet<string> = new Set(FINDING_EVENT_TYPES);

export const isFindingEventType = (eventType: string): eventType is FindingEventType =>
  FINDING_EVENT_TYPE_SET.has(eventType);

/**
 * The status a finding event leads to, or null when it leaves the status alone.
 * Payloads were validated upstream; a status outside the allowed set still fails here as a
 * 422 (never a silent wrong state), so this function is total over well-formed input.
 */
export function targetStatusOf(eventType: FindingEventType, payload: JsonObject): FindingStatus | null {
  const effect = WORKFLOW_RULES[eventType].to;
  if (effect !== "payload.status") return effect;
  const allowed: readonly string[] = eventType === "finding.vex_decision" ? VEX_STATUSES : STATUS_CHANGE_TARGETS;
  const status = payload["status"];
  if (typeof status !== "string" || !allowed.includes(status)) {
    throw new ValidationError([{ path: "payload.status", message: `must be one of ${allowed.join(", ")}` }]);
  }
  return status as FindingStatus;
}

/**
 * What a 409 reports as `requested`: the status the event would lead to when it sets one
 * (status_changed/vex_decision: the payload status; accepted_risk; closed; reopened: "open"),
 * otherwise the event type itself (DESIGN.md section 12, "A rejected non-status event on a
 * closed finding has details {current: "closed", requested: <eventType>}").
 */
export function requestedOf(eventType: EventType, payload: JsonObject): string {
  if (!isFindingEventType(eventType)) return eventType;
  return targetStatusOf(eventType, payload) ?? eventType;
}
