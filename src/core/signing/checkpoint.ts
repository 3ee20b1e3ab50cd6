// Owns the C2SP tlog-checkpoint body (origin, tree size, base64 root; no extension lines) and its signed form.
import { fromBase64Strict, toBase64 } from "./base64.ts";
import { SigningError } from "./errors.ts";
import { openNote, signNote, type NoteSigner, type NoteVerifier, type OpenedNote } from "./note.ts";

export interface Checkpoint {
  /** `<key name>/<tenant>` in this ledger. */
  readonly origin: string;
  readonly treeSize: number;
  /** The 32-byte RFC 9162 root of the tree at treeSize. */
  readonly rootHash: Uint8Array;
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly note: OpenedNote;
}

const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

/** The origin line for a tenant's log: `<key name>/<tenant>` (DESIGN section 12). */
export function checkpointOrigin(keyName: string, tenant: string): string {
  return `${keyName}/${tenant}`;
}

/** `<origin>\n<treeSize>\n<base64 rootHash>\n` */
export function formatCheckpoint(cp: Checkpoint): string {
  const problem = originProblem(cp.origin);
  if (problem !== undefined) throw bad(problem);
  if (!Number.isSafeInteger(cp.treeSize) || cp.treeSize < 0) throw bad(`tree size must be a non-negative integer, got ${cp.treeSize}`);
  if (cp.rootHash.length !== 32) throw bad(`root hash must be 32 bytes, got ${cp.rootHash.length}`);
  return `${cp.origin}\n${cp.treeSize}\n${toBase64(cp.rootHash)}\n`;
}

/** Parses a checkpoint body; anything but exactly the three lines formatCheckpoint writes is refused. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) throw bad("checkpoint text must end in a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length !== 3) throw bad(`expected 3 lines (origin, tree size, root hash), got ${lines.length}${lines.length > 3 ? " (extension lines are not accepted)" : ""}`);
  const [origin, sizeLine, rootLine] = lines as [string, string, string];
  const problem = originProblem(origin);
  if (problem !== undefined) throw bad(problem);
  const treeSize = Number(sizeLine);
  if (!TREE_SIZE.test(sizeLine) || !Number.isSafeInteger(treeSize)) throw bad(`bad tree size line ${JSON.stringify(sizeLine.slice(0, 40))}`);
  const rootHash = fromBase64Strict(rootLine);
  if (rootHash === undefined || rootHash.length !== 32) throw bad(`root hash line must be the base64 of 32 bytes, got ${JSON.stringify(rootLine.slice(0, 60))}`);
  return { origin, treeSize, rootHash };
}

/** The signed note of a checkpoint. */
export function signCheckpoint(cp: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(cp), signer);
}

/**
 * Verifies a signed checkpoint note against `verifiers` and parses its body. With
 * `expectedOrigin`, a checkpoint for another log (e.g. another tenant) is refused.
 */
export function openCheckpoint(signedNote: string | Uint8Array, verifiers: readonly NoteVerifier[], expectedOrigin?: string): OpenedCheckpoint {
  const note = openNote(signedNote, verifiers);
  const checkpoint = parseCheckpoint(note.text);
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    throw bad(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not ${JSON.stringify(expectedOrigin)}`);
  }
  return { checkpoint, note };
}

function originProblem(origin: string): string | undefined {
  if (origin === "") return "origin must be non-empty";
  if (!origin.isWellFormed() || /[\p{White_Space}+\u0000-\u001f]/u.test(origin)) {
    return `origin ${JSON.stringify(origin.slice(0, 80))} must contain no spaces, control characters or '+'`;
  }
  return undefined;
}

function bad(why: string): SigningError {
  return new SigningError("malformed_checkpoint", `malformed checkpoint: ${why}`);
}
