// Cross-checks our signed checkpoint and proofs with an independent verifier: Go's golang.org/x/mod/sumdb note and tlog.
import { beforeAll, describe, expect, test } from "bun:test";
import vector from "../vectors/checkpoint.json";
import { hashChildren } from "../../src/core/merkle/hash.ts";
import { toHex } from "../../src/core/merkle/hex.ts";
import {
  assembleConsistencyProof,
  assembleInclusionProof,
  nodeReaderFromLeaves,
  rootFromNodes,
  type NodeReader,
} from "../../src/core/merkle/tree.ts";
import { CompactRange } from "../../src/core/merkle/compact-range.ts";
import { checkpointOrigin, signCheckpoint } from "../../src/core/signing/checkpoint.ts";
import { ed25519KeyPairFromSeed } from "../../src/core/signing/ed25519.ts";
import { formatVkey } from "../../src/core/signing/note.ts";
import { goVerify, type GoConsistency, type GoInclusion } from "../support/go-verify.ts";
import { sampleLeafHashes } from "../support/reference-tree.ts";

const keys = ed25519KeyPairFromSeed(Buffer.from(vector.ed25519SeedHex, "hex"));
const signer = { name: vector.keyName, privateKey: keys.privateKey };
const vkey = formatVkey(vector.keyName, keys.publicKeyRaw);
const leaves = sampleLeafHashes(100);
const read = nodeReaderFromLeaves(leaves);
const root = (n: number, r: NodeReader = read): string => toHex(rootFromNodes(n, r));

const inclusion = (i: number, n: number, r: NodeReader = read, leaf = leaves[i]!): GoInclusion => ({
  leafHash: toHex(leaf),
  index: i,
  size: n,
  root: root(n, r),
  proof: assembleInclusionProof(i, n, r).map(toHex),
});

const consistency = (m: number, n: number, r: NodeReader = read): GoConsistency => ({
  size1: m,
  size2: n,
  root1: root(m, r),
  root2: root(n, r),
  proof: assembleConsistencyProof(m, n, r).map(toHex),
});

// The first call builds the Go verifier (a cold Go build cache can take a while); never skipped.
beforeAll(async () => {
  expect((await goVerify({ vkey, inclusion: [] })).ok).toBe(true);
}, 180_000);

describe("Go sumdb note + tlog accept what we produce", () => {
  test("the vector's signed checkpoint, re-signed by us, opens with note.Open and the vkey", async () => {
    const range = CompactRange.empty();
    for (const leaf of leaves.slice(0, 77)) range.append(leaf);
    const signedNote = signCheckpoint({ origin: checkpointOrigin(vector.keyName, "acme"), treeSize: 77, rootHash: range.root() }, signer);
    for (const [key, note] of [[vector.vkey, vector.signedNote], [vkey, signedNote]] as const) {
      const out = await goVerify({ vkey: key, signedNote: note });
      expect(out.ok).toBe(true);
      expect(out.results[0]!.text).toBe(note.slice(0, note.lastIndexOf("\n\n") + 1));
    }
    const out = await goVerify({ vkey, signedNote });
    expect(out.results[0]).toMatchObject({ origin: "findings-ledger/acme", treeSize: 77, rootHash: root(77) });
  });

  test("every inclusion proof of sizes 1..40 and a spread of consistency pairs pass tlog.CheckRecord / CheckTree", async () => {
    const inc: GoInclusion[] = [];
    for (let n = 1; n <= 40; n++) for (let i = 0; i < n; i++) inc.push(inclusion(i, n));
    for (const [i, n] of [[0, 100], [63, 64], [64, 65], [99, 100], [37, 97]] as const) inc.push(inclusion(i, n));
    const con: GoConsistency[] = [];
    for (let n = 1; n <= 40; n++) for (let m = 1; m <= n; m++) con.push(consistency(m, n));
    for (const [m, n] of [[1, 100], [31, 32], [32, 33], [63, 100], [64, 100], [99, 100], [100, 100]] as const) con.push(consistency(m, n));
    const out = await goVerify({ vkey, inclusion: inc, consistency: con });
    expect(out.results.filter((r) => !r.ok)).toEqual([]);
    expect(out.results.length).toBe(inc.length + con.length);
    expect(out.ok).toBe(true);
  });

  test("sizes above 2^32 agree too (a uniform tree, whose nodes are one hash per level)", async () => {
    const levels: Uint8Array[] = [leaves[0]!];
    for (let l = 1; l <= 53; l++) levels.push(hashChildren(levels[l - 1]!, levels[l - 1]!));
    const uniform: NodeReader = (level) => levels[level]!;
    const n = 2 ** 40 + 12345;
    const inc = [0, 2 ** 32 + 3, 2 ** 40, n - 1].map((i) => inclusion(i, n, uniform, leaves[0]!));
    const con = [1, 2 ** 33 + 1, 2 ** 40, n - 1].map((m) => consistency(m, n, uniform));
    const out = await goVerify({ vkey, inclusion: inc, consistency: con });
    expect(out.results.filter((r) => !r.ok)).toEqual([]);
  });
});

describe("Go sumdb note + tlog reject tampering", () => {
  test("a tampered note, flipped proof hashes, a wrong index and a wrong size all fail", async () => {
    const tamperedNote = vector.signedNote.replace("\n13\n", "\n14\n");
    const good = inclusion(5, 13);
    const flippedInc = { ...good, proof: good.proof.map((h, k) => (k === 1 ? `${h.slice(0, 63)}${h[63] === "0" ? "1" : "0"}` : h)) };
    const wrongIndex = { ...good, index: 4 };
    const wrongSize = { ...good, size: 14, root: root(14) };
    const goodCon = consistency(5, 13);
    const flippedCon = { ...goodCon, proof: goodCon.proof.map((h, k) => (k === 0 ? `f${h.slice(1)}` : h)) };
    const swapped = { ...goodCon, root1: goodCon.root2, root2: goodCon.root1 };
    const out = await goVerify({
      vkey,
      signedNote: tamperedNote,
      inclusion: [good, flippedInc, wrongIndex, wrongSize],
      consistency: [goodCon, flippedCon, swapped],
    });
    expect(out.ok).toBe(false);
    expect(out.results.map((r) => [r.kind, r.item, r.ok])).toEqual([
      ["note", 0, false],
      ["inclusion", 0, true],
      ["inclusion", 1, false],
      ["inclusion", 2, false],
      ["inclusion", 3, false],
      ["consistency", 0, true],
      ["consistency", 1, false],
      ["consistency", 2, false],
    ]);
  });
});
