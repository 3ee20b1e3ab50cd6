// The shapes of ledger events: what a writer sends, what the ledger stores, and the fixed vocabularies.

export const FINDING_EVENT_TYPES = [
  "finding.created",
  "finding.status_changed",
  "finding.severity_changed",
  "finding.tag_updated",
  "finding.comment_added",
  "finding.assignment_changed",
  "finding.accepted_risk",
  "finding.remediation_plan_added",
  "finding.attachment_added",
  "finding.vex_decision",
  "finding.attestation_linked",
  "finding.closed",
  "finding.reopened",
] as const;

export const NON_FINDING_EVENT_TYPES = [
  "airgap.bundle_imported",
  "airgap.time_anchor_updated",
  "orchestrator.run_exported",
] as const;

export const EVENT_TYPES = [...FINDING_EVENT_TYPES, ...NON_FINDING_EVENT_TYPES] as const;

export type FindingEventType = (typeof FINDING_EVENT_TYPES)[number];
export type NonFindingEventType = (typeof NON_FINDING_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

export const FINDING_STATUSES = [
  "open",
  "under_investigation",
  "affected",
  "not_affected",
  "fixed",
  "accepted_risk",
  "false_positive",
  "closed",
] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export const SEVERITIES = ["critical", "high", "medium", "low", "informational"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The five OpenVEX justifications for `not_affected`. */
export const VEX_JUSTIFICATIONS = [
  "component_not_present",
  "vulnerable_code_not_present",
  "vulnerable_code_not_in_execute_path",
  "vulnerable_code_cannot_be_controlled_by_adversary",
  "inline_mitigations_already_exist",
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];

/** OpenVEX statuses accepted by `finding.vex_decision`. */
export const VEX_STATUSES = ["not_affected", "affected", "fixed", "under_investigation"] as const;
export type VexStatus = (typeof VEX_STATUSES)[number];

export const ACTOR_TYPES = ["operator", "system", "integration"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export interface Actor {
  id: string;
  type: ActorType;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * An event after validation and normalisation: ids lower-case, occurredAt in
 * `YYYY-MM-DDTHH:mm:ss.sssZ`, absent optional fields as null.
 */
export interface EventDraft {
  eventId: string;
  eventType: EventType;
  findingId: string | null;
  artifactId: string | null;
  policyVersion: string | null;
  actor: Actor;
  occurredAt: string;
  sourceRunId: string | null;
  payload: JsonObject;
}

/** The hashed fields of a stored event (DESIGN.md section 4), plus the hashes themselves. */
export interface ChainedEvent extends EventDraft {
  tenantId: string;
  chainId: string;
  sequence: number;
  previousHash: string;
  eventHash: string;
  merkleLeafHash: string;
}

/** An event as stored: chained, with the server time it was recorded (not hashed). */
export interface StoredEvent extends ChainedEvent {
  recordedAt: string;
  leafIndex: number | null;
}

export interface Receipt {
  eventId: string;
  chainId: string;
  sequence: number;
  eventHash: string;
  previousHash: string;
  merkleLeafHash: string;
  recordedAt: string;
}

export const ZERO_HASH = "0".repeat(64);
