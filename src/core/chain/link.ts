// Links an event into its chain: chain id, canonical hash input, eventHash and merkleLeafHash (DESIGN.md section 4).
import { canonicalize } from "../canonical/jcs.ts";
import { merkleLeafHashOf, sha256Hex } from "../hash/digest.ts";
import { familyChainId, findingChainId } from "../hash/uuid.ts";
import type { ChainedEvent, EventDraft } from "../events/types.ts";

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

export const canonicalFormOf = (e: Omit<ChainedEvent, "eventHash" | "merkleLeafHash">): string => canonicalize(hashInputOf(e));

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
export function contentDigestOf(tenantId: string, chainId: string, draft: EventDraft): string {
  return sha256Hex(
    canonicalize({
      tenantId,
      chainId,
      eventId: draft.eventId,
      eventType: draft.eventType,
      findingId: draft.findingId,
      artifactId: draft.artifactId,
      policyVersion: draft.policyVersion,
      actor: { id: draft.actor.id, type: draft.actor.type },
      occurredAt: draft.occurredAt,
      sourceRunId: draft.sourceRunId,
      payload: draft.payload,
    }),
  );
}
