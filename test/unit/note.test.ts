// Checks C2SP signed notes against test/vectors/checkpoint.json byte for byte, and that tampering or a wrong key is refused.
import { describe, expect, test } from "bun:test";
import vector from "../vectors/checkpoint.json";
import { ed25519KeyPairFromSeed, ed25519PublicKeyFromRaw, ed25519Sign, ed25519Verify } from "../../src/core/signing/ed25519.ts";
import { SigningError, type SigningFailure } from "../../src/core/signing/errors.ts";
import {
  describeNoteKey,
  formatKeyId,
  formatVkey,
  isValidKeyName,
  noteKeyId,
  noteVerifier,
  openNote,
  parseVkey,
  signNote,
} from "../../src/core/signing/note.ts";

const keys = ed25519KeyPairFromSeed(Buffer.from(vector.ed25519SeedHex, "hex"));
const signer = { name: vector.keyName, privateKey: keys.privateKey };
const verifier = parseVkey(vector.vkey);
const other = ed25519KeyPairFromSeed(new Uint8Array(32).fill(7));

function refused(run: () => unknown, reason: SigningFailure): void {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SigningError);
  expect((caught as SigningError).reason).toBe(reason);
}

describe("keys", () => {
  test("key id, vkey and key description reproduce the vector", () => {
    expect(formatKeyId(noteKeyId(vector.keyName, keys.publicKeyRaw))).toBe(vector.keyIdHex);
    expect(formatVkey(vector.keyName, keys.publicKeyRaw)).toBe(vector.vkey);
    expect(describeNoteKey(vector.keyName, keys.privateKey)).toEqual({
      name: vector.keyName,
      keyId: vector.keyIdHex,
      algorithm: "ed25519",
      vkey: vector.vkey,
    });
  });

  test("parseVkey round-trips and matches a verifier built from the key", () => {
    expect(verifier.name).toBe(vector.keyName);
    expect(formatKeyId(verifier.keyId)).toBe(vector.keyIdHex);
    expect(noteVerifier(vector.keyName, keys.publicKey).keyId).toBe(verifier.keyId);
  });

  test("parseVkey refuses malformed keys and a key id that does not match", () => {
    const [name, id, key] = vector.vkey.split("+") as [string, string, string];
    refused(() => parseVkey(`${name}+${id}`), "bad_key");
    refused(() => parseVkey(`${name}+00000000+${key}`), "bad_key");
    refused(() => parseVkey(`${name}+${id}+${key}+x`), "bad_key");
    refused(() => parseVkey(`other+${id}+${key}`), "bad_key");
    refused(() => parseVkey(`${name}+${id}+${key.slice(0, -4)}`), "bad_key");
    refused(() => parseVkey(`bad name+${id}+${key}`), "bad_key");
    const wrongAlg = Buffer.from(key, "base64");
    wrongAlg[0] = 0x02;
    refused(() => parseVkey(`${name}+${id}+${wrongAlg.toString("base64")}`), "bad_key");
  });

  test("key names follow C2SP: non-empty, no Unicode space, no '+'", () => {
    expect(isValidKeyName("findings-ledger")).toBe(true);
    expect(isValidKeyName("example.com/log")).toBe(true);
    for (const bad of ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b", "a\u0085b", "\ud800"]) expect(isValidKeyName(bad)).toBe(false);
    refused(() => signNote("x\n", { name: "a b", privateKey: keys.privateKey }), "bad_key_name");
  });

  test("Ed25519 helpers: seed and public key sizes, sign/verify round trip", () => {
    refused(() => ed25519KeyPairFromSeed(new Uint8Array(31)), "bad_key");
    refused(() => ed25519PublicKeyFromRaw(new Uint8Array(33)), "bad_key");
    const msg = new TextEncoder().encode("hello");
    const sig = ed25519Sign(keys.privateKey, msg);
    expect(sig.length).toBe(64);
    expect(ed25519Verify(ed25519PublicKeyFromRaw(keys.publicKeyRaw), msg, sig)).toBe(true);
    expect(ed25519Verify(other.publicKey, msg, sig)).toBe(false);
    expect(ed25519Verify(keys.publicKey, msg, sig.subarray(1))).toBe(false);
    refused(() => ed25519Sign(keys.publicKey, msg), "bad_key");
  });
});

describe("signed notes", () => {
  test("signNote reproduces the vector byte for byte (em dash, key id, signature)", () => {
    expect(signNote(vector.checkpointText, signer)).toBe(vector.signedNote);
  });

  test("openNote verifies the vector and returns the text", () => {
    const opened = openNote(vector.signedNote, [verifier]);
    expect(opened.text).toBe(vector.checkpointText);
    expect(opened.verified.map((s) => [s.name, formatKeyId(s.keyId)])).toEqual([[vector.keyName, vector.keyIdHex]]);
    expect(opened.unknown).toEqual([]);
    expect(openNote(new TextEncoder().encode(vector.signedNote), [verifier]).text).toBe(vector.checkpointText);
  });

  test("tampered text or signature is refused", () => {
    refused(() => openNote(vector.signedNote.replace("\n13\n", "\n14\n"), [verifier]), "bad_signature");
    refused(() => openNote(vector.signedNote.replace("acme", "acmf"), [verifier]), "bad_signature");
    const sigStart = vector.signedNote.lastIndexOf(" ") + 1;
    const b64 = vector.signedNote.slice(sigStart, -1);
    const blob = Buffer.from(b64, "base64");
    blob[40] = blob[40]! ^ 0x01;
    refused(() => openNote(vector.signedNote.slice(0, sigStart) + blob.toString("base64") + "\n", [verifier]), "bad_signature");
  });

  test("a note signed by another key, or checked with no known key, is unverified", () => {
    const foreign = signNote(vector.checkpointText, { name: vector.keyName, privateKey: other.privateKey });
    refused(() => openNote(foreign, [verifier]), "unverified_note");
    refused(() => openNote(vector.signedNote, []), "unverified_note");
    refused(() => openNote(vector.signedNote, [noteVerifier("someone-else", keys.publicKey)]), "unverified_note");
  });

  test("unknown signatures are ignored next to a known one; duplicates are dropped", () => {
    const foreignLine = signNote(vector.checkpointText, { name: "witness.example", privateKey: other.privateKey }).split("\n\n")[1]!;
    const both = vector.signedNote + foreignLine + vector.signedNote.split("\n\n")[1]!;
    const opened = openNote(both, [verifier]);
    expect(opened.verified.length).toBe(1);
    expect(opened.unknown.map((s) => s.name)).toEqual(["witness.example"]);
    // With both verifiers, both verify.
    expect(openNote(both, [verifier, noteVerifier("witness.example", other.publicKey)]).verified.length).toBe(2);
  });

  test("a signature by a known name with the right id but a wrong key fails (not skipped)", () => {
    const impostor = { name: vector.keyName, keyId: verifier.keyId, publicKey: other.publicKey };
    refused(() => openNote(vector.signedNote, [impostor]), "bad_signature");
  });

  test("malformed notes are refused clearly", () => {
    const [text, sigs] = vector.signedNote.split("\n\n") as [string, string];
    const cases: string[] = [
      vector.checkpointText, // no signature block
      `${text}\n\n`, // empty signature block
      `${text}\n\n${sigs.slice(0, -1)}`, // no final newline
      `${text}\n\n${sigs.replace("\u2014", "-")}`, // hyphen, not em dash
      `${text}\n\n${sigs.replace(" ", "")}`, // no space after the dash
      `${text}\n\n${sigs.replace(/ ([^ ]+)\n$/, " $1=\n")}`, // bad base64 padding
      `${text}\n\n${sigs.replace(/ ([^ ]+)\n$/, " \n")}`, // empty signature
      `${text}\n\n\u2014 ${vector.keyName} AAAA\n`, // shorter than key id + 1 byte
      `${text}\n\n${sigs.replace(vector.keyName, "")}`, // no key name
      `${text.replace("13", "1\r3")}\n\n${sigs}`, // control character
      `${text.replace("13", "1\u00003")}\n\n${sigs}`, // NUL
      `${text}\ud800\n\n${sigs}`, // lone surrogate
      `${text}\n\n${sigs.repeat(101)}`, // too many signatures
    ];
    for (const bad of cases) refused(() => openNote(bad, [verifier]), "malformed_note");
    refused(() => openNote(new Uint8Array([0x61, 0x0a, 0x0a, 0xff, 0x0a]), [verifier]), "malformed_note");
  });

  test("signNote refuses text C2SP cannot carry", () => {
    refused(() => signNote("no newline", signer), "malformed_note");
    refused(() => signNote("tab\there\n", signer), "malformed_note");
    refused(() => signNote("\ud800\n", signer), "malformed_note");
  });

  test("texts with blank lines and Unicode round-trip (the last blank line splits)", () => {
    const text = "Ognuno sta solo\n\ned è subito sera.\n";
    expect(openNote(signNote(text, signer), [verifier]).text).toBe(text);
  });
});
