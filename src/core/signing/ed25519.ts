// Owns Ed25519 (RFC 8032) keys built from raw bytes, and raw sign/verify, via node:crypto KeyObjects.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { SigningError } from "./errors.ts";

export const ED25519_SEED_SIZE = 32;
export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

// DER prefixes that wrap a raw 32-byte seed as PKCS#8 and a raw public key as SPKI (RFC 8410).
const PKCS8_SEED_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export interface Ed25519KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The 32-byte RFC 8032 encoding of the public key. */
  readonly publicKeyRaw: Uint8Array;
}

/** The key pair for a 32-byte RFC 8032 private key (seed). Deterministic. */
export function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== ED25519_SEED_SIZE) {
    throw new SigningError("bad_key", `an Ed25519 seed is ${ED25519_SEED_SIZE} bytes, got ${seed.length}`);
  }
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_SEED_PREFIX, seed]), format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyRaw: ed25519PublicKeyRaw(publicKey) };
}

/** A public KeyObject from the 32-byte RFC 8032 encoding. */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new SigningError("bad_key", `an Ed25519 public key is ${ED25519_PUBLIC_KEY_SIZE} bytes, got ${raw.length}`);
  }
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  } catch (e) {
    throw new SigningError("bad_key", `not a valid Ed25519 public key: ${(e as Error).message}`);
  }
}

/** The 32-byte RFC 8032 encoding of an Ed25519 key's public half (private or public KeyObject). */
export function ed25519PublicKeyRaw(key: KeyObject): Uint8Array {
  requireEd25519(key);
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const spki = publicKey.export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}

/** An RFC 8032 signature (64 bytes) over `message`. */
export function ed25519Sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  requireEd25519(privateKey);
  if (privateKey.type !== "private") throw new SigningError("bad_key", "signing needs a private key");
  return new Uint8Array(sign(null, message, privateKey));
}

/** Whether `signature` is a valid RFC 8032 signature of `message` by `publicKey`. */
export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  requireEd25519(publicKey);
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  return verify(null, message, publicKey, signature);
}

function requireEd25519(key: KeyObject): void {
  if (key.asymmetricKeyType !== "ed25519") {
    throw new SigningError("bad_key", `expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
  }
}
