// Owns RFC 9162 section 2 tree math over leaf hashes: MTH, and inclusion and consistency proofs built from complete nodes.
import { ProofError } from "./errors.ts";
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from "./hash.ts";
import { checkCount, rangeNodes, splitPoint, type NodeId } from "./node-id.ts";

/**
 * Answers the hash of a complete node (see NodeId). A store implements it over its persisted
 * nodes; it must throw (or return a non-32-byte value) when it does not hold the node.
 * Hashes are treated as immutable: a proof may hand back the very arrays the reader returned.
 */
export type NodeReader = (level: number, index: number) => Uint8Array;

/** A subtree of the RFC 9162 tree named by its leaf range [start, start + size). */
export interface Subtree {
  readonly start: number;
  readonly size: number;
}

/** MTH(D[n]) over leaf hashes (not data): level by level, an odd last node moves up unchanged. */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT.slice();
  let level: Uint8Array[] = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = new Array(Math.ceil(level.length / 2));
    let j = 0;
    for (let i = 0; i + 1 < level.length; i += 2) next[j++] = hashChildren(level[i]!, level[i + 1]!);
    if (level.length % 2 === 1) next[j] = level[level.length - 1]!;
    level = next;
  }
  return level[0]!.slice();
}

/** The complete nodes whose hashes fold into the subtree's hash (left to right). */
export function subtreeNodes(subtree: Subtree): NodeId[] {
  return rangeNodes(subtree.start, subtree.start + subtree.size);
}

/**
 * Folds the hashes of a subtree's complete nodes (as listed by subtreeNodes) into its RFC 9162
 * hash, right to left: a right-edge subtree of size 13 is H(n8, H(n4, n1)).
 */
export function foldNodeHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return EMPTY_ROOT.slice();
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i]!, acc);
  return acc;
}

/** The hash of a subtree of the RFC 9162 tree, read from complete nodes. */
export function hashSubtree(subtree: Subtree, read: NodeReader): Uint8Array {
  return foldNodeHashes(subtreeNodes(subtree).map((n) => readNode(read, n)));
}

/** The root of the tree of `size` leaves from its frontier nodes: rangeNodes(0, size) folded. */
export function rootFromNodes(size: number, read: NodeReader): Uint8Array {
  return hashSubtree({ start: 0, size }, read);
}

/** PATH(m, D[n]) of RFC 9162 2.1.3.1 as subtrees, in proof order (leaf sibling first). */
export function inclusionSubtrees(index: number, size: number): Subtree[] {
  checkCount("index", index);
  checkCount("size", size);
  if (index >= size) {
    throw new ProofError("index_out_of_range", `leaf index ${index} is not below tree size ${size}`, { index, size });
  }
  const out: Subtree[] = [];
  let start = 0;
  let n = size;
  let m = index;
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      out.push({ start: start + k, size: n - k });
      n = k;
    } else {
      out.push({ start, size: k });
      start += k;
      m -= k;
      n -= k;
    }
  }
  return out.reverse();
}

/**
 * PROOF(m, D[n]) of RFC 9162 2.1.4.1 as subtrees, in proof order. Equal sizes give no hashes;
 * size1 = 0 also gives none (the empty tree is consistent with every tree).
 */
export function consistencySubtrees(size1: number, size2: number): Subtree[] {
  checkCount("size1", size1);
  checkCount("size2", size2);
  if (size1 > size2) {
    throw new ProofError("size_out_of_range", `first tree size ${size1} is above second tree size ${size2}`, { size1, size2 });
  }
  if (size1 === 0 || size1 === size2) return [];
  const out: Subtree[] = [];
  let start = 0;
  let n = size2;
  let m = size1;
  let whole = true; // SUBPROOF's b: still on the path of the original old root
  while (m < n) {
    const k = splitPoint(n);
    if (m <= k) {
      out.push({ start: start + k, size: n - k });
      n = k;
    } else {
      out.push({ start, size: k });
      start += k;
      m -= k;
      n -= k;
      whole = false;
    }
  }
  if (!whole) out.push({ start, size: m });
  return out.reverse();
}

/** Every complete node an inclusion proof needs, in proof order: fetch these in one query. */
export function inclusionProofNodes(index: number, size: number): NodeId[] {
  return inclusionSubtrees(index, size).flatMap(subtreeNodes);
}

/** Every complete node a consistency proof needs, in proof order: fetch these in one query. */
export function consistencyProofNodes(size1: number, size2: number): NodeId[] {
  return consistencySubtrees(size1, size2).flatMap(subtreeNodes);
}

/** The RFC 9162 inclusion proof for leaf `index` in the tree of `size` leaves. */
export function assembleInclusionProof(index: number, size: number, read: NodeReader): Uint8Array[] {
  return inclusionSubtrees(index, size).map((s) => hashSubtree(s, read));
}

/** The RFC 9162 consistency proof from tree size `size1` to `size2`. */
export function assembleConsistencyProof(size1: number, size2: number, read: NodeReader): Uint8Array[] {
  return consistencySubtrees(size1, size2).map((s) => hashSubtree(s, read));
}

/**
 * A NodeReader over rows fetched for inclusionProofNodes / consistencyProofNodes / rangeNodes:
 * `hashes[i]` is the hash of `ids[i]`. Asking for anything else is a ProofError `missing_node`.
 */
export function nodeReaderFromList(ids: readonly NodeId[], hashes: readonly Uint8Array[]): NodeReader {
  if (ids.length !== hashes.length) {
    throw new ProofError("missing_node", `got ${hashes.length} node hashes for ${ids.length} node ids`);
  }
  const byKey = new Map<string, Uint8Array>();
  ids.forEach((id, i) => byKey.set(`${id.level}/${id.index}`, hashes[i]!));
  return (level, index) => {
    const hash = byKey.get(`${level}/${index}`);
    if (hash === undefined) throw new ProofError("missing_node", `node (level ${level}, index ${index}) was not supplied`, { level, index });
    return hash;
  };
}

/**
 * A NodeReader holding every complete node of a tree over `leaves` in memory (O(n) hashes).
 * For tests, tools and small trees; a store answers from its persisted nodes instead.
 */
export function nodeReaderFromLeaves(leaves: readonly Uint8Array[]): NodeReader {
  const levels: Uint8Array[][] = [leaves.slice()];
  for (let below = levels[0]!; below.length > 1; ) {
    const up: Uint8Array[] = new Array(Math.floor(below.length / 2));
    for (let i = 0; i < up.length; i++) up[i] = hashChildren(below[2 * i]!, below[2 * i + 1]!);
    levels.push(up);
    below = up;
  }
  return (level, index) => {
    const hash = levels[level]?.[index];
    if (hash === undefined) throw new ProofError("missing_node", `node (level ${level}, index ${index}) is not complete in a tree of ${leaves.length} leaves`, { level, index });
    return hash;
  };
}

function readNode(read: NodeReader, id: NodeId): Uint8Array {
  const hash = read(id.level, id.index);
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new ProofError("missing_node", `node (level ${id.level}, index ${id.index}) is not a ${HASH_SIZE}-byte hash`, { level: id.level, index: id.index });
  }
  return hash;
}
