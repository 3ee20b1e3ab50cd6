// Owns a naive RFC 9162 section 2.1 Merkle tree (MTH, PATH, PROOF) written straight from the RFC, as the oracle for the fast code.
import { createHash } from "node:crypto";

// Deliberately independent of src/core/merkle: its own SHA-256 calls and prefixes, plain
// recursion over leaf ranges. Only MTH is memoised (per [start, end) of one fixed leaf list), so
// checking every proof of every size up to 256 stays fast without changing the RFC's structure.

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** HASH(0x00 || d) */
export const refLeafHash = (data: Uint8Array): Uint8Array => sha256(Uint8Array.of(0x00), data);

/** HASH(0x01 || left || right) */
export const refNodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(Uint8Array.of(0x01), left, right);

/** k: the largest power of two smaller than n (n > 1). */
const split = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/** A reference tree over a fixed list of leaf hashes; every method takes the tree size n <= leaves.length. */
export class ReferenceTree {
  readonly #leaves: readonly Uint8Array[];
  readonly #memo = new Map<string, Uint8Array>();

  constructor(leafHashes: readonly Uint8Array[]) {
    this.#leaves = leafHashes;
  }

  /** MTH(D[start:end]); MTH({}) = SHA-256(""). */
  mth(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n === 0) return sha256();
    if (n === 1) return this.#leaves[start]!;
    const key = `${start}:${end}`;
    const hit = this.#memo.get(key);
    if (hit !== undefined) return hit;
    const k = split(n);
    const h = refNodeHash(this.mth(start, start + k), this.mth(start + k, end));
    this.#memo.set(key, h);
    return h;
  }

  root(n: number): Uint8Array {
    return this.mth(0, n);
  }

  /** PATH(m, D[n]) — RFC 9162 2.1.3.1. */
  path(m: number, n: number): Uint8Array[] {
    return this.#path(m, 0, n);
  }

  #path(m: number, start: number, end: number): Uint8Array[] {
    const n = end - start;
    if (n === 1) return [];
    const k = split(n);
    if (m < k) return [...this.#path(m, start, start + k), this.mth(start + k, end)];
    return [...this.#path(m - k, start + k, end), this.mth(start, start + k)];
  }

  /** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) — RFC 9162 2.1.4.1 (m = n gives []). */
  proof(m: number, n: number): Uint8Array[] {
    return this.#subproof(m, 0, n, true);
  }

  #subproof(m: number, start: number, end: number, b: boolean): Uint8Array[] {
    const n = end - start;
    if (m === n) return b ? [] : [this.mth(start, end)];
    const k = split(n);
    if (m <= k) return [...this.#subproof(m, start, start + k, b), this.mth(start + k, end)];
    return [...this.#subproof(m - k, start + k, end, false), this.mth(start, start + k)];
  }
}

/** Deterministic distinct leaf hashes: leaf i = HASH(0x00 || "leaf-" + i). */
export function sampleLeafHashes(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => refLeafHash(new TextEncoder().encode(`leaf-${i}`)));
}
