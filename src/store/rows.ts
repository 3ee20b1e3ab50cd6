// Conversions between EventRow and the flat column tuple both drivers store.
import { canonicalPayload } from "../core/chain/link.ts";
import type { FindingStatus, StoredEvent } from "../core/events/types.ts";
import type { EventRow } from "./port.ts";

/** Column order shared by every INSERT and COPY. */
export const EVENT_COLUMNS = [
  "tenant_id", "chain_id", "sequence", "event_id", "event_type", "finding_id", "artifact_id", "policy_version",
  "actor_id", "actor_type", "occurred_at", "source_run_id", "payload", "previous_hash", "event_hash",
  "merkle_leaf_hash", "content_digest", "finding_status", "recorded_at_us",
] as const;

export type EventTuple = [
  string, string, number, string, string, string | null, string | null, string | null,
  string, string, string, string | null, string, string, string, string, string, string | null, number,
];

export function toTuple(r: EventRow, payloadJson: string = canonicalPayload(r.payload)): EventTuple {
  return [
    r.tenantId, r.chainId, r.sequence, r.eventId, r.eventType, r.findingId, r.artifactId, r.policyVersion,
    r.actor.id, r.actor.type, r.occurredAt, r.sourceRunId, payloadJson, r.previousHash, r.eventHash,
    r.merkleLeafHash, r.contentDigest, r.findingStatus, r.recordedAtUs,
  ];
}

/** A row as read from either driver (snake_case columns). */
export interface RawEventRow {
  tenant_id: string;
  chain_id: string;
  sequence: number | bigint | string;
  event_id: string;
  event_type: string;
  finding_id: string | null;
  artifact_id: string | null;
  policy_version: string | null;
  actor_id: string;
  actor_type: string;
  occurred_at: string;
  source_run_id: string | null;
  payload: string;
  previous_hash: string;
  event_hash: string;
  merkle_leaf_hash: string;
  content_digest: string;
  finding_status: string | null;
  recorded_at_us: number | bigint | string;
  leaf_index?: number | bigint | string | null;
}

export function fromRaw(r: RawEventRow): EventRow & { leafIndex: number | null } {
  return {
    tenantId: r.tenant_id,
    chainId: r.chain_id,
    sequence: Number(r.sequence),
    eventId: r.event_id,
    eventType: r.event_type as EventRow["eventType"],
    findingId: r.finding_id,
    artifactId: r.artifact_id,
    policyVersion: r.policy_version,
    actor: { id: r.actor_id, type: r.actor_type as EventRow["actor"]["type"] },
    occurredAt: r.occurred_at,
    sourceRunId: r.source_run_id,
    payload: JSON.parse(r.payload),
    previousHash: r.previous_hash,
    eventHash: r.event_hash,
    merkleLeafHash: r.merkle_leaf_hash,
    contentDigest: r.content_digest,
    findingStatus: r.finding_status as FindingStatus | null,
    recordedAtUs: Number(r.recorded_at_us),
    leafIndex: r.leaf_index == null ? null : Number(r.leaf_index),
  };
}

/** `recordedAt` as the API shows it: UTC with microseconds. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // ...ss.sssZ
  return `${iso.slice(0, 23)}${String(us % 1000).padStart(3, "0")}Z`;
}

export function toStoredEvent(r: EventRow & { leafIndex: number | null }): StoredEvent {
  return {
    eventId: r.eventId,
    eventType: r.eventType,
    findingId: r.findingId,
    artifactId: r.artifactId,
    policyVersion: r.policyVersion,
    actor: r.actor,
    occurredAt: r.occurredAt,
    sourceRunId: r.sourceRunId,
    payload: r.payload,
    tenantId: r.tenantId,
    chainId: r.chainId,
    sequence: r.sequence,
    previousHash: r.previousHash,
    eventHash: r.eventHash,
    merkleLeafHash: r.merkleLeafHash,
    recordedAt: formatMicros(r.recordedAtUs),
    leafIndex: r.leafIndex,
  };
}
