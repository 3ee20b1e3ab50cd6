// Owns proof verification (RFC 9162 2.1.3.2 and 2.1.4.2) as pure functions: bounds and shape first, then hashes.
import { ProofError, RootMismatchError } from "./errors.ts";
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from "./hash.ts";
import { bytesEqual } from "./hex.ts";
import { checkCount, isPowerOfTwo } from "./node-id.ts";

// These follow the RFC's bit-walking algorithms, deliberately not the generator in tree.ts,
// so the two cross-check each other. Sizes go up to 2^53 - 1: halve with arithmetic, not >>.
const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/**
 * Checks that `proof` proves `leafHash` is leaf `index` of the tree of `size` leaves with root
 * `root`. Returns nothing on success; throws ProofError (bounds, length, hash size) before hashing,
 * or RootMismatchError (role "root") when the recomputed root differs.
 */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): void {
  const computed = rootFromInclusionProof(leafHash, index, size, proof);
  checkHash("root", root);
  if (!bytesEqual(computed, root)) throw new RootMismatchError("root", root, computed, `inclusion of leaf ${index} in tree size ${size}`);
}

/** The root an inclusion proof implies (bounds and shape checked); verifyInclusion compares it. */
export function rootFromInclusionProof(leafHash: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array {
  checkCount("index", index);
  checkCount("size", size);
  if (index >= size) {
    throw new ProofError("index_out_of_range", `leaf index ${index} is not below tree size ${size}`, { index, size });
  }
  const expected = inclusionProofLength(index, size);
  if (proof.length !== expected) {
    throw new ProofError("wrong_proof_length", `inclusion proof for leaf ${index} in tree size ${size} needs ${expected} hashes, got ${proof.length}`, { index, size, expected, actual: proof.length });
  }
  checkHash("leaf hash", leafHash);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));

  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (odd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return r;
}

/**
 * Checks that `proof` proves the tree of `size1` leaves with root `root1` is a prefix of the tree
 * of `size2` leaves with root `root2`. Equal sizes need an empty proof and equal roots; size1 = 0
 * needs an empty proof and root1 = SHA-256(""). Throws ProofError before hashing, or
 * RootMismatchError with role "root1" or "root2".
 */
export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  checkCount("size1", size1);
  checkCount("size2", size2);
  if (size1 > size2) {
    throw new ProofError("size_out_of_range", `first tree size ${size1} is above second tree size ${size2}`, { size1, size2 });
  }
  const expected = consistencyProofLength(size1, size2);
  if (proof.length !== expected) {
    throw new ProofError("wrong_proof_length", `consistency proof from tree size ${size1} to ${size2} needs ${expected} hashes, got ${proof.length}`, { size1, size2, expected, actual: proof.length });
  }
  checkHash("root1", root1);
  checkHash("root2", root2);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  const context = `consistency from tree size ${size1} to ${size2}`;

  if (size1 === 0) {
    if (!bytesEqual(root1, EMPTY_ROOT)) throw new RootMismatchError("root1", root1, EMPTY_ROOT.slice(), context);
    return;
  }
  if (size1 === size2) {
    if (!bytesEqual(root1, root2)) throw new RootMismatchError("root2", root2, root1, context);
    return;
  }

  // RFC 9162 2.1.4.2: a power-of-two old tree is itself a node of the new one, so its root leads.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (odd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (!bytesEqual(fr, root1)) throw new RootMismatchError("root1", root1, fr, context);
  if (!bytesEqual(sr, root2)) throw new RootMismatchError("root2", root2, sr, context);
}

/** Hashes in an inclusion proof for (index, size), index < size: the RFC walk run without hashing. */
export function inclusionProofLength(index: number, size: number): number {
  let fn = index;
  let sn = size - 1;
  let count = 0;
  while (sn > 0) {
    if (!odd(fn) && fn === sn) {
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    }
    fn = half(fn);
    sn = half(sn);
    count++;
  }
  return count;
}

/** Hashes in a consistency proof for size1 <= size2: the RFC walk run without hashing. */
export function consistencyProofLength(size1: number, size2: number): number {
  if (size1 === 0 || size1 === size2) return 0;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  const steps = inclusionProofLength(fn, sn + 1);
  return isPowerOfTwo(size1) ? steps : steps + 1;
}

function checkHash(name: string, h: Uint8Array): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
    throw new ProofError("bad_hash", `${name} must be a ${HASH_SIZE}-byte hash, got ${h instanceof Uint8Array ? h.length : typeof h} bytes`);
  }
}
