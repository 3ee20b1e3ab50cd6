// Owns the conversions between 32-byte tree hashes and the lowercase hex used in JSON bodies.
import { ProofError } from "./errors.ts";
import { HASH_SIZE } from "./hash.ts";

const HASH_HEX = /^[0-9a-f]{64}$/;

/** Lowercase hex of any bytes (no copy of the underlying buffer). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** A 32-byte hash from exactly 64 lowercase hex characters; anything else is a ProofError `bad_hash`. */
export function hashFromHex(hex: string): Uint8Array {
  if (!HASH_HEX.test(hex)) {
    throw new ProofError("bad_hash", `expected ${2 * HASH_SIZE} lowercase hex characters, got ${JSON.stringify(hex.slice(0, 80))}`);
  }
  return new Uint8Array(Buffer.from(hex, "hex"));
}

/** Byte-wise equality (not constant time: tree hashes are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
