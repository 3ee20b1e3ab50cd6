// Folds one accepted event into a finding chain's workflow state.
import type { EventType, JsonObject } from "../events/types.ts";
import { isFindingEventType, targetStatusOf } from "./rules.ts";
import type { WorkflowState } from "./state.ts";

/**
 * Emmett-style evolve: total over events `decide` accepted, never throws for them, never
 * mutates `state` (returns it unchanged when nothing moves, so callers can compare by identity).
 * Non-finding events leave the state alone.
 */
export function evolveWorkflow(state: WorkflowState, eventType: EventType, payload: JsonObject): WorkflowState {
  if (!isFindingEventType(eventType)) return state;
  if (eventType === "finding.created") return { exists: true, status: "open" };
  const status = targetStatusOf(eventType, payload);
  if (status === null || status === state.status) return state;
  return { exists: state.exists, status };
}
