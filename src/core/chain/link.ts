// Links an event into its chain: chain id, canonical hash input, eventHash and merkleLeafHash (DESIGN.md section 4).
import { canonicalize, quote } from "../canonical/jcs.ts";
import { merkleLeafHashOf, sha256Hex } from "../hash/digest.ts";
import { familyChainId, findingChainId } from "../hash/uuid.ts";
import type { ChainedEvent, EventDraft, JsonObject } from "../events/types.ts";

/** The chain an event belongs to: its finding's, or the tenant's family chain for non-finding events. */
export function chainIdOf(tenantId: string, draft: Pick<EventDraft, "eventType" | "findingId">): string {
  if (draft.findingId !== null) return findingChainId(tenantId, draft.findingId);
  return familyChainId(tenantId, draft.eventType.slice(0, draft.eventType.indexOf(".")));
}

/** The object whose RFC 8785 form is hashed. */
export function hashInputOf(e: Omit<ChainedEvent, "eventHash" | "merkleLeafHash">) {
  return {
    tenantId: e.tenantId,
    chainId: e.chainId,
    sequence: e.sequence,
    eventId: e.eventId,
    eventType: e.eventType,
    findingId: e.findingId,
    artifactId: e.artifactId,
    policyVersion: e.policyVersion,
    actor: { id: e.actor.id, type: e.actor.type },
    occurredAt: e.occurredAt,
    sourceRunId: e.sourceRunId,
    payload: e.payload,
    previousHash: e.previousHash,
  };
}

const payloadTexts = new WeakMap<object, string>();

/**
 * The RFC 8785 text of a payload, computed once per payload object: it is hashed twice (event
 * hash, content digest) and stored once. Payloads are never mutated after validation.
 */
export function canonicalPayload(payload: JsonObject): string {
  let text = payloadTexts.get(payload);
  if (text === undefined) {
    text = canonicalize(payload);
    payloadTexts.set(payload, text);
  }
  return text;
}

const q = (s: string | null): string => (s === null ? "null" : quote(s));

/**
 * RFC 8785 form of hashInputOf(e), written out with its keys in canonical order so the payload
 * text is reused; equal to canonicalize(hashInputOf(e)) (the vectors and a property test hold it).
 */
export function canonicalFormOf(e: Omit<ChainedEvent, "eventHash" | "merkleLeafHash">): string {
  return `{"actor":{"id":${q(e.actor.id)},"type":${q(e.actor.type)}},"artifactId":${q(e.artifactId)},"chainId":${q(e.chainId)},"eventId":${q(e.eventId)},"eventType":${q(e.eventType)},"findingId":${q(e.findingId)},"occurredAt":${q(e.occurredAt)},"payload":${canonicalPayload(e.payload)},"policyVersion":${q(e.policyVersion)},"previousHash":${q(e.previousHash)},"sequence":${canonicalize(e.sequence)},"sourceRunId":${q(e.sourceRunId)},"tenantId":${q(e.tenantId)}}`;
}

export const eventHashOf = (e: Omit<ChainedEvent, "eventHash" | "merkleLeafHash">): string => sha256Hex(canonicalFormOf(e));

export function linkEvent(tenantId: string, chainId: string, sequence: number, previousHash: string, draft: EventDraft): ChainedEvent {
  const unhashed = { ...draft, tenantId, chainId, sequence, previousHash };
  const eventHash = eventHashOf(unhashed);
  return { ...unhashed, eventHash, merkleLeafHash: merkleLeafHashOf(eventHash) };
}

/**
 * Digest of what the writer sent (tenant, chain and the draft), without position in the chain:
 * two sends of one eventId are "identical content" exactly when these match (DESIGN.md section 12).
 */
export function contentDigestOf(tenantId: string, chainId: string, d: EventDraft): string {
  return sha256Hex(
    `{"actor":{"id":${q(d.actor.id)},"type":${q(d.actor.type)}},"artifactId":${q(d.artifactId)},"chainId":${q(chainId)},"eventId":${q(d.eventId)},"eventType":${q(d.eventType)},"findingId":${q(d.findingId)},"occurredAt":${q(d.occurredAt)},"payload":${canonicalPayload(d.payload)},"policyVersion":${q(d.policyVersion)},"sourceRunId":${q(d.sourceRunId)},"tenantId":${q(tenantId)}}`,
  );
}

/** The object contentDigestOf hashes, for tests and outside verifiers. */
export function contentInputOf(tenantId: string, chainId: string, d: EventDraft) {
  return {
    tenantId,
    chainId,
    eventId: d.eventId,
    eventType: d.eventType,
    findingId: d.findingId,
    artifactId: d.artifactId,
    policyVersion: d.policyVersion,
    actor: { id: d.actor.id, type: d.actor.type },
    occurredAt: d.occurredAt,
    sourceRunId: d.sourceRunId,
    payload: d.payload,
  };
}
