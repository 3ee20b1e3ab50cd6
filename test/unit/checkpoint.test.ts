// Checks the C2SP tlog-checkpoint body and its signed form against test/vectors/checkpoint.json, and that bad bodies are refused.
import { describe, expect, test } from "bun:test";
import vector from "../vectors/checkpoint.json";
import merkle from "../vectors/merkle.json";
import { hashFromHex, toHex } from "../../src/core/merkle/hex.ts";
import { checkpointOrigin, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from "../../src/core/signing/checkpoint.ts";
import { ed25519KeyPairFromSeed } from "../../src/core/signing/ed25519.ts";
import { SigningError, type SigningFailure } from "../../src/core/signing/errors.ts";
import { parseVkey, signNote } from "../../src/core/signing/note.ts";

const keys = ed25519KeyPairFromSeed(Buffer.from(vector.ed25519SeedHex, "hex"));
const signer = { name: vector.keyName, privateKey: keys.privateKey };
const verifier = parseVkey(vector.vkey);
const checkpoint = {
  origin: checkpointOrigin(vector.keyName, "acme"),
  treeSize: 13,
  rootHash: hashFromHex(merkle.roots["13"]),
};

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

describe("checkpoint body", () => {
  test("formats the vector text from the vector tree's root at size 13", () => {
    expect(formatCheckpoint(checkpoint)).toBe(vector.checkpointText);
  });

  test("parse is the inverse of format", () => {
    const parsed = parseCheckpoint(vector.checkpointText);
    expect(parsed.origin).toBe("findings-ledger/acme");
    expect(parsed.treeSize).toBe(13);
    expect(toHex(parsed.rootHash)).toBe(merkle.roots["13"]);
    const empty = { origin: "findings-ledger/t", treeSize: 0, rootHash: hashFromHex(merkle.roots["0"]) };
    expect(parseCheckpoint(formatCheckpoint(empty))).toEqual(empty);
    const big = { ...checkpoint, treeSize: Number.MAX_SAFE_INTEGER };
    expect(parseCheckpoint(formatCheckpoint(big)).treeSize).toBe(Number.MAX_SAFE_INTEGER);
  });

  test("parse refuses extension lines and malformed lines", () => {
    const [origin, size, root] = vector.checkpointText.split("\n") as [string, string, string];
    const cases = [
      `${origin}\n${size}\n${root}`, // no final newline
      `${origin}\n${size}\n${root}\nextension\n`, // extension line
      `${origin}\n${size}\n${root}\n\n`, // trailing blank line
      `${origin}\n${size}\n`, // missing root
      `\n${size}\n${root}\n`, // empty origin
      `findings ledger/acme\n${size}\n${root}\n`, // space in origin
      `${origin}\n013\n${root}\n`, // leading zero
      `${origin}\n+13\n${root}\n`,
      `${origin}\n-1\n${root}\n`,
      `${origin}\n1e3\n${root}\n`,
      `${origin}\n 13\n${root}\n`,
      `${origin}\n9007199254740992\n${root}\n`, // above 2^53 - 1
      `${origin}\n${size}\n${root.slice(0, -1)}\n`, // unpadded
      `${origin}\n${size}\n${Buffer.alloc(31).toString("base64")}\n`, // 31 bytes
      `${origin}\n${size}\n${toHex(checkpoint.rootHash)}\n`, // hex, not base64
    ];
    for (const bad of cases) refused(() => parseCheckpoint(bad), "malformed_checkpoint");
  });

  test("format refuses what it could not parse back", () => {
    refused(() => formatCheckpoint({ ...checkpoint, origin: "a\nb" }), "malformed_checkpoint");
    refused(() => formatCheckpoint({ ...checkpoint, origin: "" }), "malformed_checkpoint");
    refused(() => formatCheckpoint({ ...checkpoint, treeSize: -1 }), "malformed_checkpoint");
    refused(() => formatCheckpoint({ ...checkpoint, treeSize: 1.5 }), "malformed_checkpoint");
    refused(() => formatCheckpoint({ ...checkpoint, rootHash: new Uint8Array(31) }), "malformed_checkpoint");
  });
});

describe("signed checkpoint", () => {
  test("signCheckpoint reproduces the vector's signed note byte for byte", () => {
    expect(signCheckpoint(checkpoint, signer)).toBe(vector.signedNote);
  });

  test("openCheckpoint verifies, parses and checks the origin", () => {
    const opened = openCheckpoint(vector.signedNote, [verifier], "findings-ledger/acme");
    expect(opened.checkpoint.treeSize).toBe(13);
    expect(toHex(opened.checkpoint.rootHash)).toBe(merkle.roots["13"]);
    refused(() => openCheckpoint(vector.signedNote, [verifier], "findings-ledger/other"), "malformed_checkpoint");
  });

  test("tampered size, root or signature, and a wrong key, are refused", () => {
    refused(() => openCheckpoint(vector.signedNote.replace("\n13\n", "\n12\n"), [verifier]), "bad_signature");
    const otherRoot = Buffer.from(merkle.roots["12"], "hex").toString("base64");
    refused(() => openCheckpoint(vector.signedNote.replace(/\n[^\n]+=\n\n/, `\n${otherRoot}\n\n`), [verifier]), "bad_signature");
    const other = ed25519KeyPairFromSeed(new Uint8Array(32).fill(1));
    refused(() => openCheckpoint(signCheckpoint(checkpoint, { name: vector.keyName, privateKey: other.privateKey }), [verifier]), "unverified_note");
  });

  test("a validly signed note whose text is not a checkpoint is refused", () => {
    refused(() => openCheckpoint(signNote(`${vector.checkpointText}ext\n`, signer), [verifier]), "malformed_checkpoint");
  });
});
