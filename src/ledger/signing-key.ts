// The checkpoint signing key: an Ed25519 PKCS#8 PEM file (LEDGER__SIGNING__KEYFILE or <data dir>/signing.key), loaded or generated.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Config } from "../config/load.ts";
import { LedgerError } from "../core/errors.ts";
import { describeNoteKey, isValidKeyName, noteVerifier, type NoteKeyInfo, type NoteSigner, type NoteVerifier } from "../core/signing/note.ts";

export const SIGNING_KEY_FILE = "signing.key";

export interface SigningKey {
  readonly name: string;
  readonly signer: NoteSigner;
  readonly verifier: NoteVerifier;
  /** What GET /v1/ledger/keys lists: name, keyId, algorithm, vkey. */
  readonly info: NoteKeyInfo;
  readonly path: string;
  /** True when this call generated the file. */
  readonly created: boolean;
  /** Whether the path came from LEDGER__SIGNING__KEYFILE (false: the data dir default). */
  readonly configured: boolean;
}

/** Where the key lives for this configuration. */
export function signingKeyPath(config: Config): { path: string; configured: boolean } {
  if (config.signing.keyFile) return { path: config.signing.keyFile, configured: true };
  return { path: join(config.data.dir, SIGNING_KEY_FILE), configured: false };
}

/** A fresh Ed25519 private key as PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes). */
export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/** Writes a new key file (mode 0600); refuses to replace an existing one: old checkpoints need the old key. */
export function writeNewKeyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, generateSigningKeyPem(), { mode: 0o600, flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw new LedgerError("config_invalid", `${path} already exists; checkpoints signed with it verify only with it, so it is never overwritten (move it away first)`);
    }
    throw new LedgerError("config_invalid", `cannot write the signing key ${path}: ${(e as Error).message}`);
  }
}

/** Parses a PKCS#8 PEM Ed25519 private key. */
export function parseKeyPem(pem: string, path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (e) {
    throw new LedgerError("config_invalid", `${path} is not a PEM private key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new LedgerError("config_invalid", `${path} holds a ${key.asymmetricKeyType} key; checkpoints are signed with Ed25519`);
  return key;
}

/** A SigningKey over a private KeyObject and a key name. */
export function signingKeyFrom(name: string, privateKey: KeyObject, path: string, flags: { created: boolean; configured: boolean }): SigningKey {
  if (!isValidKeyName(name)) throw new LedgerError("config_invalid", `config signing.keyname: ${JSON.stringify(name)} must be non-empty with no spaces or '+'`);
  return {
    name,
    signer: { name, privateKey },
    verifier: noteVerifier(name, privateKey),
    info: describeNoteKey(name, privateKey),
    path,
    ...flags,
  };
}

/**
 * Loads the configured key. With `create`, a missing data-dir default (never a configured
 * LEDGER__SIGNING__KEYFILE) is generated first; the caller says so at start-up.
 */
export function loadSigningKey(config: Config, opts: { create: boolean }): SigningKey {
  const { path, configured } = signingKeyPath(config);
  let created = false;
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new LedgerError("config_invalid", `cannot read the signing key ${path}: ${(e as Error).message}`);
    if (configured) throw new LedgerError("config_invalid", `LEDGER__SIGNING__KEYFILE ${path} does not exist; create it with \`ledger keys generate --out ${path}\``);
    if (!opts.create) throw new LedgerError("config_invalid", `no signing key at ${path}; \`ledger keys generate\` creates one (\`ledger serve\` does on first start)`);
    writeNewKeyFile(path);
    created = true;
    pem = readFileSync(path, "utf8");
  }
  // A key the service generated is kept private; a configured file is the operator's to manage.
  if (!configured && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return signingKeyFrom(config.signing.keyName, parseKeyPem(pem, path), path, { created, configured });
}

/** The start-up line about the key, on stderr: where it is and, when it matters, what the operator must do. */
export function signingKeyNotice(key: SigningKey, driver: "postgres" | "sqlite"): string {
  const id = `${key.info.name}+${key.info.keyId}`;
  if (key.created && driver === "postgres")
    return `signing key: generated ${key.path} (${id}); every replica must sign with this same key: copy it to the others and set LEDGER__SIGNING__KEYFILE\n`;
  if (key.created) return `signing key: generated ${key.path} (${id}); back it up: checkpoints verify only with its public key\n`;
  if (!key.configured && driver === "postgres")
    return `signing key: ${key.path} (${id}; LEDGER__SIGNING__KEYFILE is unset: every replica must use this same key)\n`;
  return `signing key: ${key.path} (${id})\n`;
}

