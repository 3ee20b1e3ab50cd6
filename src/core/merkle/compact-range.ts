// Owns the frontier of a growing tree: the roots of its perfect subtrees, appended to leaf by leaf.
import { ProofError } from "./errors.ts";
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from "./hash.ts";
import { checkCount, rangeNodes, type NodeHash } from "./node-id.ts";
import type { NodeReader } from "./tree.ts";

/**
 * The right edge of a tree of `size` leaves: one complete node per set bit of `size`, largest
 * (leftmost) first, exactly rangeNodes(0, size). That is all the state needed to append leaves
 * and compute the root, so an anchorer loads it once (fromNodes / fromReader), appends the
 * pending leaf hashes, persists every node append() reports and signs root().
 *
 * Ownership: a CompactRange is mutable and owned by one caller; append() changes it in place.
 * Use clone() to keep a snapshot. Hashes passed in or returned are never mutated by this class
 * (nor should callers mutate them: they may be shared with the returned nodes).
 */
export class CompactRange {
  #size: number;
  readonly #hashes: Uint8Array[];

  private constructor(size: number, hashes: Uint8Array[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  /** The frontier of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Rebuilds the frontier of a tree of `size` leaves from the hashes of rangeNodes(0, size), in that order. */
  static fromNodes(size: number, hashes: readonly Uint8Array[]): CompactRange {
    checkCount("size", size);
    const ids = rangeNodes(0, size);
    if (hashes.length !== ids.length) {
      throw new ProofError("missing_node", `a tree of size ${size} has ${ids.length} frontier nodes, got ${hashes.length}`, { size });
    }
    hashes.forEach((h, i) => {
      if (h.length !== HASH_SIZE) throw new ProofError("bad_hash", `frontier node ${i} is ${h.length} bytes, not ${HASH_SIZE}`);
    });
    return new CompactRange(size, hashes.slice());
  }

  /** Rebuilds the frontier of a tree of `size` leaves by reading its rangeNodes(0, size) from a store. */
  static fromReader(size: number, read: NodeReader): CompactRange {
    checkCount("size", size);
    return CompactRange.fromNodes(size, rangeNodes(0, size).map((id) => read(id.level, id.index)));
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** The frontier nodes with their ids, largest first. */
  nodes(): NodeHash[] {
    return rangeNodes(0, this.#size).map((id, i) => ({ ...id, hash: this.#hashes[i]! }));
  }

  /**
   * Appends one leaf hash and returns every node that became complete, bottom-up: the leaf
   * itself at (0, oldSize), then each parent it closed, e.g. appending leaf 7 returns
   * (0,7), (1,3), (2,1), (3,0). Persisting these for every append stores every complete node.
   */
  append(leafHash: Uint8Array): NodeHash[] {
    if (leafHash.length !== HASH_SIZE) throw new ProofError("bad_hash", `leaf hash must be ${HASH_SIZE} bytes, got ${leafHash.length}`);
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new ProofError("invalid_size", `tree is full at ${this.#size} leaves`);
    let index = this.#size;
    let level = 0;
    let hash = leafHash;
    const completed: NodeHash[] = [{ level, index, hash }];
    // Each trailing 1 bit of the old size is a left sibling on the frontier waiting for this node.
    while (index % 2 === 1) {
      hash = hashChildren(this.#hashes.pop()!, hash);
      level++;
      index = (index - 1) / 2;
      completed.push({ level, index, hash });
    }
    this.#hashes.push(hash);
    this.#size++;
    return completed;
  }

  /** MTH of the tree so far: the frontier folded right to left; SHA-256("") when empty. */
  root(): Uint8Array {
    const h = this.#hashes;
    if (h.length === 0) return EMPTY_ROOT.slice();
    let acc = h[h.length - 1]!;
    for (let i = h.length - 2; i >= 0; i--) acc = hashChildren(h[i]!, acc);
    return acc === h[h.length - 1] ? acc.slice() : acc;
  }

  /** An independent copy (hash arrays are shared, as they are never mutated). */
  clone(): CompactRange {
    return new CompactRange(this.#size, this.#hashes.slice());
  }
}
