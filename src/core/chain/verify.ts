// Verifies a chain's events in sequence order and reports every broken link.
import { ZERO_HASH, type ChainedEvent } from "../events/types.ts";
import { merkleLeafHashOf } from "../hash/digest.ts";
import { chainIdOf, eventHashOf } from "./link.ts";

export type ChainFailureKind = "sequence_gap" | "hash_mismatch" | "previous_hash_mismatch" | "leaf_hash_mismatch" | "wrong_chain";

export interface ChainFailure {
  kind: ChainFailureKind;
  chainId: string;
  sequence: number;
  message: string;
}

/** Incremental verifier: feed one chain's events in the order stored; it remembers the head. */
export class ChainVerifier {
  private expectedSequence = 1;
  private previousHash = ZERO_HASH;
  readonly failures: ChainFailure[] = [];
  eventsChecked = 0;

  /** The finding id (or family) last proven to map to this chain: UUIDv5 once per chain, not per event. */
  private provenKey: string | null = null;

  constructor(readonly tenantId: string, readonly chainId: string) {}

  private belongs(e: ChainedEvent): boolean {
    const key = e.findingId ?? `@${e.eventType.slice(0, e.eventType.indexOf("."))}`;
    if (key === this.provenKey) return true;
    if (chainIdOf(e.tenantId, e) !== e.chainId) return false;
    this.provenKey = key;
    return true;
  }

  push(e: ChainedEvent): void {
    this.eventsChecked++;
    const fail = (kind: ChainFailureKind, message: string) => this.failures.push({ kind, chainId: this.chainId, sequence: e.sequence, message });
    if (e.tenantId !== this.tenantId || e.chainId !== this.chainId || !this.belongs(e))
      fail("wrong_chain", `event ${e.eventId} does not belong to chain ${this.chainId}`);
    if (e.sequence !== this.expectedSequence) fail("sequence_gap", `expected sequence ${this.expectedSequence}, found ${e.sequence}`);
    if (e.previousHash !== this.previousHash) fail("previous_hash_mismatch", `previousHash ${e.previousHash} does not match the prior event's hash ${this.previousHash}`);
    const recomputed = eventHashOf(e);
    if (recomputed !== e.eventHash) fail("hash_mismatch", `stored eventHash ${e.eventHash} but the event's content hashes to ${recomputed}`);
    if (merkleLeafHashOf(e.eventHash) !== e.merkleLeafHash) fail("leaf_hash_mismatch", `merkleLeafHash does not derive from eventHash`);
    this.expectedSequence = e.sequence + 1;
    this.previousHash = e.eventHash;
  }
}

export function verifyChain(tenantId: string, chainId: string, events: Iterable<ChainedEvent>): ChainFailure[] {
  const v = new ChainVerifier(tenantId, chainId);
  for (const e of events) v.push(e);
  return v.failures;
}
