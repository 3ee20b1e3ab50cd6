// The workflow state of one finding chain: the least the append path needs to decide the next event.
import type { FindingStatus } from "../events/types.ts";

/**
 * Kept tiny and JSON-serialisable on purpose: the store caches it next to each chain head,
 * so deciding an append never needs the projection. `status` is null exactly when
 * `exists` is false.
 */
export interface WorkflowState {
  exists: boolean;
  status: FindingStatus | null;
}

/** A finding chain with no events yet. Frozen: evolve returns new objects, never edits this one. */
export const initialWorkflowState: WorkflowState = Object.freeze({ exists: false, status: null });
