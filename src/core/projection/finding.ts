// The projected finding row (DESIGN.md section 12, GET /v1/findings/{id}) and the keys that address it.
import type { FindingStatus, JsonObject, JsonValue, Severity } from "../events/types.ts";
import type { WorkflowState } from "../workflow/state.ts";

/**
 * The accepted risk behind status `accepted_risk`. `expired` is always false in a folded row
 * (the fold knows no clock, so rows and checksums stay replay-stable); reads set it with
 * `withExpiry(finding, now)` from expiry.ts.
 */
export interface AcceptedRisk {
  reason: string;
  expiresAt: string;
  approvedBy: string | null;
  expired: boolean;
}

/** Where a list entry came from, so a reader can go from the row to the event and its proof. */
export interface EntryOrigin {
  eventId: string;
  occurredAt: string;
}

export interface RemediationPlan extends EntryOrigin {
  plan: string;
  dueAt: string | null;
  ticketUrl: string | null;
}

export interface AttachmentRef extends EntryOrigin {
  attachmentId: string;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
}

export interface AttestationLink extends EntryOrigin {
  dsseDigest: string;
  predicateType: string;
  envelope: JsonValue;
  rekor: JsonObject | null;
}

/**
 * One row of the projection, field for field the `finding` of GET /v1/findings/{id}.
 * Plain JSON data: no undefined, no Dates, no class instances; absent values are null.
 */
export interface Finding {
  findingId: string;
  artifactId: string | null;
  vulnerabilityId: string;
  component: string | null;
  status: FindingStatus;
  severity: Severity;
  cvssScore: number | null;
  assignee: string | null;
  /** Sorted (UTF-16 code-unit order) and unique. */
  tags: string[];
  justification: string | null;
  impactStatement: string | null;
  actionStatement: string | null;
  acceptedRisk: AcceptedRisk | null;
  remediationPlans: RemediationPlan[];
  attachments: AttachmentRef[];
  attestations: AttestationLink[];
  policyVersion: string | null;
  /** occurredAt of finding.created. */
  createdAt: string;
  /** occurredAt of the event at lastSequence (chain order, so it can go backwards if a writer backdates). */
  updatedAt: string;
  lastSequence: number;
  lastEventHash: string;
}

/**
 * The key of a finding across tenants: the same `tenantId + "\n" + findingId` string its
 * chainId is derived from (tenant ids cannot contain a newline, so the key is unambiguous).
 */
export const findingKey = (tenantId: string, findingId: string): string => `${tenantId}\n${findingId}`;

/** The workflow state a projected row implies; equals evolving the chain's events from the initial state. */
export const workflowStateOf = (finding: Finding | null): WorkflowState =>
  finding === null ? { exists: false, status: null } : { exists: true, status: finding.status };
