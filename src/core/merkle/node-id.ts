// Owns the addressing of complete (perfect, aligned) subtrees and the integer arithmetic on tree sizes.
import { ProofError } from "./errors.ts";

/**
 * A complete subtree: level 0 is a leaf hash, and node (level, index) covers leaves
 * [index * 2^level, (index + 1) * 2^level). Only complete nodes are ever stored; the
 * hash of a node never changes once the tree has grown past its last leaf.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A node id with its hash, as handed to a store for persisting. */
export interface NodeHash extends NodeId {
  readonly hash: Uint8Array;
}

// Sizes and indexes are plain numbers up to 2^53 - 1, so no 32-bit bitwise operators here.

/** Throws ProofError `invalid_size` unless `n` is a non-negative safe integer. */
export function checkCount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ProofError("invalid_size", `${name} must be a non-negative integer, got ${n}`, { [name]: n });
  }
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** The largest power of two strictly below n (n >= 2): RFC 9162's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The complete nodes covering leaves [begin, end), left to right: greedily the largest aligned
 * node that fits. For [0, n) these are the roots of the perfect subtrees of a tree of size n
 * (one per set bit of n, largest first), i.e. its right edge / frontier.
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  checkCount("begin", begin);
  checkCount("end", end);
  const out: NodeId[] = [];
  while (begin < end) {
    let level = 0;
    let width = 1;
    while (begin % (width * 2) === 0 && begin + width * 2 <= end) {
      level++;
      width *= 2;
    }
    out.push({ level, index: begin / width });
    begin += width;
  }
  return out;
}
