// Owns C2SP signed notes (c2sp.org/signed-note) with Ed25519: key ids, vkeys, signing and opening.
import { createHash, type KeyObject } from "node:crypto";
import { fromBase64Strict, toBase64 } from "./base64.ts";
import { ed25519PublicKeyFromRaw, ed25519PublicKeyRaw, ed25519Sign, ed25519Verify } from "./ed25519.ts";
import { SigningError } from "./errors.ts";

/** C2SP signature type byte for Ed25519. */
export const NOTE_ALG_ED25519 = 0x01;
/** Opening refuses notes with more signature lines than this (the spec requires accepting 16). */
export const MAX_NOTE_SIGNATURES = 100;
const SIG_PREFIX = "\u2014 "; // em dash, space

export interface NoteSigner {
  readonly name: string;
  readonly privateKey: KeyObject;
}

export interface NoteVerifier {
  readonly name: string;
  /** uint32 key id (big-endian first 4 bytes of the key hash). */
  readonly keyId: number;
  readonly publicKey: KeyObject;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** base64(keyId || signature) as it appeared on the line. */
  readonly base64: string;
}

export interface OpenedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  /** Signatures by known keys, each verified. Never empty. */
  readonly verified: NoteSignature[];
  /** Signatures by keys not in the verifier list (ignored, as the spec requires). */
  readonly unknown: NoteSignature[];
}

/** What GET /v1/ledger/keys lists for one key. */
export interface NoteKeyInfo {
  readonly name: string;
  readonly keyId: string;
  readonly algorithm: "ed25519";
  readonly vkey: string;
}

/** A key name is non-empty, well-formed Unicode, with no Unicode space and no '+'. */
export function isValidKeyName(name: string): boolean {
  return name !== "" && name.isWellFormed() && !/[\p{White_Space}+]/u.test(name);
}

/** key id = SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4], as a uint32. */
export function noteKeyId(name: string, publicKeyRaw: Uint8Array): number {
  requireKeyName(name);
  const digest = createHash("sha256").update(`${name}\n`, "utf8").update(keyMaterial(publicKeyRaw)).digest();
  return digest.readUInt32BE(0);
}

/** The 8 lowercase hex digits of a key id. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, "0");
}

/** `<name>+<keyid hex>+<base64(0x01 || public key)>` */
export function formatVkey(name: string, publicKeyRaw: Uint8Array): string {
  return `${name}+${formatKeyId(noteKeyId(name, publicKeyRaw))}+${toBase64(keyMaterial(publicKeyRaw))}`;
}

/** Parses a vkey strictly (as Go's note.NewVerifier): key id must match, algorithm must be Ed25519. */
export function parseVkey(vkey: string): NoteVerifier {
  // Split on the first two "+" only: standard base64 (the key) may itself contain "+".
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  const name = first < 0 ? "" : vkey.slice(0, first);
  const idHex = second < 0 ? "" : vkey.slice(first + 1, second);
  const material = second < 0 ? undefined : fromBase64Strict(vkey.slice(second + 1));
  if (!/^[0-9a-f]{8}$/i.test(idHex) || material === undefined || !isValidKeyName(name)) {
    throw new SigningError("bad_key", `malformed verifier key ${JSON.stringify(vkey.slice(0, 120))}`);
  }
  if (material.length !== 33 || material[0] !== NOTE_ALG_ED25519) {
    throw new SigningError("bad_key", `verifier key ${name} is not an Ed25519 key (type byte 0x01 and 32 bytes)`);
  }
  const raw = material.subarray(1);
  const keyId = noteKeyId(name, raw);
  if (keyId !== Number.parseInt(idHex, 16)) {
    throw new SigningError("bad_key", `verifier key ${name} has key id ${idHex.toLowerCase()}, but its key hashes to ${formatKeyId(keyId)}`);
  }
  return { name, keyId, publicKey: ed25519PublicKeyFromRaw(raw) };
}

/** A verifier for a named Ed25519 public (or private) KeyObject. */
export function noteVerifier(name: string, key: KeyObject): NoteVerifier {
  const raw = ed25519PublicKeyRaw(key);
  return { name, keyId: noteKeyId(name, raw), publicKey: ed25519PublicKeyFromRaw(raw) };
}

/** The public description of a signer's key: name, key id hex, algorithm, vkey. */
export function describeNoteKey(name: string, key: KeyObject): NoteKeyInfo {
  const raw = ed25519PublicKeyRaw(key);
  return { name, keyId: formatKeyId(noteKeyId(name, raw)), algorithm: "ed25519", vkey: formatVkey(name, raw) };
}

/**
 * Signs `text` (which must end in a newline) and returns the signed note:
 * text, a blank line, then `— <name> base64(keyId || Ed25519 signature over text)`.
 */
export function signNote(text: string, signer: NoteSigner): string {
  requireKeyName(signer.name);
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new SigningError("malformed_note", `cannot sign: ${problem}`);
  const keyId = noteKeyId(signer.name, ed25519PublicKeyRaw(signer.privateKey));
  const signature = ed25519Sign(signer.privateKey, Buffer.from(text, "utf8"));
  const blob = new Uint8Array(4 + signature.length);
  new DataView(blob.buffer).setUint32(0, keyId);
  blob.set(signature, 4);
  return `${text}\n${SIG_PREFIX}${signer.name} ${toBase64(blob)}\n`;
}

/**
 * Parses a signed note and verifies it against `verifiers`, following the C2SP rules: signatures
 * by unknown (name, key id) pairs are ignored; one by a known key that fails is a SigningError
 * `bad_signature`; none verified is `unverified_note`; bad layout is `malformed_note`.
 */
export function openNote(signedNote: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const note = typeof signedNote === "string" ? signedNote : decodeUtf8(signedNote);
  const problem = noteCharsProblem(note);
  if (problem !== undefined) throw malformed(problem);
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no blank line before the signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === "" || !block.endsWith("\n")) throw malformed("the signature block must be non-empty and end in a newline");

  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) throw malformed(`signature line does not start with an em dash and a space: ${JSON.stringify(line.slice(0, 80))}`);
    const body = line.slice(SIG_PREFIX.length);
    const space = body.indexOf(" ");
    const name = space < 0 ? body : body.slice(0, space);
    const b64 = space < 0 ? "" : body.slice(space + 1);
    const blob = fromBase64Strict(b64);
    if (!isValidKeyName(name) || blob === undefined || blob.length < 5) throw malformed(`bad signature line for key ${JSON.stringify(name)}`);
    const keyId = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0);
    const dedupe = `${name}\n${keyId}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const sig: NoteSignature = { name, keyId, base64: b64 };
    const verifier = verifiers.find((v) => v.name === name && v.keyId === keyId);
    if (verifier === undefined) {
      unknown.push(sig);
      continue;
    }
    if (!ed25519Verify(verifier.publicKey, Buffer.from(text, "utf8"), blob.subarray(4))) {
      throw new SigningError("bad_signature", `signature by ${name}+${formatKeyId(keyId)} does not verify`, { name, keyId: formatKeyId(keyId) });
    }
    verified.push(sig);
  }
  if (verified.length === 0) {
    throw new SigningError("unverified_note", `no signature by a known key (found ${unknown.map((s) => `${s.name}+${formatKeyId(s.keyId)}`).join(", ") || "none"})`);
  }
  return { text, verified, unknown };
}

function keyMaterial(publicKeyRaw: Uint8Array): Uint8Array {
  if (publicKeyRaw.length !== 32) throw new SigningError("bad_key", `an Ed25519 public key is 32 bytes, got ${publicKeyRaw.length}`);
  const out = new Uint8Array(33);
  out[0] = NOTE_ALG_ED25519;
  out.set(publicKeyRaw, 1);
  return out;
}

function requireKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new SigningError("bad_key_name", `key name ${JSON.stringify(name)} must be non-empty with no spaces or '+'`);
}

function noteTextProblem(text: string): string | undefined {
  if (!text.endsWith("\n")) return "note text must end in a newline";
  return noteCharsProblem(text);
}

// C2SP: valid UTF-8 (no lone surrogates in a JS string) and no ASCII control character but newline.
function noteCharsProblem(s: string): string | undefined {
  if (!s.isWellFormed()) return "not valid Unicode (lone surrogate)";
  const control = /[\u0000-\u0009\u000b-\u001f]/.exec(s);
  if (control !== null) return `control character U+${control[0].charCodeAt(0).toString(16).padStart(4, "0")} at offset ${control.index}`;
  return undefined;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw malformed("not valid UTF-8");
  }
}

function malformed(why: string): SigningError {
  return new SigningError("malformed_note", `malformed signed note: ${why}`);
}
