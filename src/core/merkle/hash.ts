// Owns RFC 9162 domain separation: the leaf (0x00) and node (0x01) prefixes, and SHA-256 over them.
import { ProofError } from "./errors.ts";

export const HASH_SIZE = 32;
export const LEAF_PREFIX = 0x00;
export const NODE_PREFIX = 0x01;

// Bun.SHA256.hash writing into a fresh 32-byte array is about 2.5x faster than
// createHash(...).digest() for these 33/65-byte inputs (1M node hashes: ~150 ms vs ~390 ms).
// The scratch buffers are safe to share: hashing is synchronous and JS is single-threaded.
const nodeScratch = new Uint8Array(1 + 2 * HASH_SIZE);
nodeScratch[0] = NODE_PREFIX;
const leafScratch = new Uint8Array(1 + HASH_SIZE);
leafScratch[0] = LEAF_PREFIX;

/** SHA-256 of `data` into a new 32-byte array. */
export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_SIZE);
  Bun.SHA256.hash(data, out);
  return out;
}

/** MTH({}) = SHA-256 of the empty string. Shared: never mutate it (every function here returns fresh arrays). */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/**
 * RFC 9162 leaf hash: SHA-256(0x00 || data). In this ledger `data` is the 32 raw bytes of an
 * eventHash, and the result is the event's merkleLeafHash.
 */
export function hashLeaf(data: Uint8Array): Uint8Array {
  if (data.length === HASH_SIZE) {
    leafScratch.set(data, 1);
    return sha256(leafScratch);
  }
  const buf = new Uint8Array(1 + data.length);
  buf[0] = LEAF_PREFIX;
  buf.set(data, 1);
  return sha256(buf);
}

/** RFC 9162 interior node hash: SHA-256(0x01 || left || right); both must be 32 bytes. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new ProofError("bad_hash", `node children must be ${HASH_SIZE} bytes, got ${left.length} and ${right.length}`);
  }
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return sha256(nodeScratch);
}
