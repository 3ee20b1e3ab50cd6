// Issue 5, part 1: the pure RFC 9162 core against merkletreejs and @openzeppelin/merkle-tree, in memory, one process.
import { createHash, randomBytes } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { MerkleTree } from "merkletreejs";
import { CompactRange } from "../../src/core/merkle/compact-range.ts";
import { hashLeaf } from "../../src/core/merkle/hash.ts";
import { bytesEqual, toHex } from "../../src/core/merkle/hex.ts";
import { assembleInclusionProof, nodeReaderFromLeaves, rootFromLeafHashes, rootFromNodes } from "../../src/core/merkle/tree.ts";
import { verifyInclusion } from "../../src/core/merkle/verify.ts";

/** One contender's figures for one repetition (ms). */
export interface PureRun {
  /** Leaf hashing + tree head (what each library's "build" does; ours: hashLeaf + rootFromLeafHashes, no nodes kept). */
  headMs: number;
  /** Build of a tree that can answer proofs (ours: hashLeaf + nodeReaderFromLeaves + rootFromNodes; theirs: the same build as headMs). */
  buildMs: number;
  /** `proofs` inclusion proofs generated and verified against the root. */
  proofsMs: number;
  /** buildMs + proofsMs: the task, from leaves to 1,000 verified proofs. */
  totalMs: number;
}

export interface PureContender {
  name: string;
  hashing: string;
  runs: PureRun[];
  best: PureRun;
  root: string;
  /** Root and proof hashes byte-identical to ours (null: not comparable, different hash/shape). */
  sameAsOurs: boolean | null;
  notes: string;
}

export interface PureResult {
  leaves: number;
  proofs: number;
  ozLeaves: number;
  contenders: PureContender[];
  /** The anchorer's way to the same head: CompactRange.append of every leaf hash, then root(). */
  compactRangeMs: number;
  /** Raw Bun.SHA256.hash of a 65-byte input into a fresh 32-byte array, per hash (the floor). */
  rawSha256Ns: number;
}

const log = (s: string) => void process.stderr.write(`[merkle ${(performance.now() / 1000).toFixed(1)}s] ${s}\n`);
const gc = () => Bun.gc(true);

/** Deterministic proof indexes (LCG), so every contender proves the same leaves. */
export function proofIndexes(n: number, count: number, seed = 0x5eed): number[] {
  let x = seed >>> 0;
  return Array.from({ length: count }, () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  });
}

const best = (runs: PureRun[]): PureRun => runs.reduce((a, b) => (b.totalMs < a.totalMs ? b : a));

// ---- ours -----------------------------------------------------------------------------------

function oursOnce(data: readonly Uint8Array[], idx: readonly number[]): { run: PureRun; root: Uint8Array; proofs: Uint8Array[][] } {
  const n = data.length;
  gc();
  let t0 = performance.now();
  const headRoot = rootFromLeafHashes(data.map(hashLeaf));
  const headMs = performance.now() - t0;
  gc();
  t0 = performance.now();
  const leafHashes = data.map(hashLeaf);
  const read = nodeReaderFromLeaves(leafHashes);
  const root = rootFromNodes(n, read);
  const buildMs = performance.now() - t0;
  t0 = performance.now();
  const proofs: Uint8Array[][] = [];
  for (const i of idx) {
    const proof = assembleInclusionProof(i, n, read);
    verifyInclusion(leafHashes[i]!, i, n, proof, root);
    proofs.push(proof);
  }
  const proofsMs = performance.now() - t0;
  if (!bytesEqual(root, headRoot)) throw new Error("ours: rootFromLeafHashes and rootFromNodes disagree");
  return { run: { headMs, buildMs, proofsMs, totalMs: buildMs + proofsMs }, root, proofs };
}

// ---- merkletreejs ---------------------------------------------------------------------------

const NODE_PREFIX = Buffer.from([0x01]);
/** RFC 6962/9162 interior node: H(0x01 || left || right), through merkletreejs' concatenator option. */
const rfcConcat = (parts: Buffer[]) => Buffer.concat([NODE_PREFIX, ...parts]);
const nodeSha256 = (b: Buffer) => createHash("sha256").update(b).digest();
const bunSha256 = (b: Buffer) => {
  const out = Buffer.allocUnsafe(32);
  Bun.SHA256.hash(b, out);
  return out;
};

function merkletreejsOnce(prefixed: readonly Buffer[], idx: readonly number[], hashFn: (b: Buffer) => Buffer): { run: PureRun; root: Buffer; proofs: Buffer[][] } {
  gc();
  let t0 = performance.now();
  // hashLeaves: every input (0x00 || eventHash) is hashed with hashFn: the RFC leaf hash.
  const tree = new MerkleTree(prefixed as Buffer[], hashFn, { hashLeaves: true, concatenator: rfcConcat });
  const root = tree.getRoot();
  const buildMs = performance.now() - t0;
  const leaves = tree.getLeaves();
  t0 = performance.now();
  const proofs: Buffer[][] = [];
  for (const i of idx) {
    const proof = tree.getProof(leaves[i]!, i); // with the index: no linear search for the leaf
    if (!tree.verify(proof, leaves[i]!, root)) throw new Error(`merkletreejs: proof of leaf ${i} does not verify`);
    proofs.push(proof.map((p) => p.data));
  }
  const proofsMs = performance.now() - t0;
  return { run: { headMs: buildMs, buildMs, proofsMs, totalMs: buildMs + proofsMs }, root, proofs };
}

// ---- @openzeppelin/merkle-tree --------------------------------------------------------------

function openzeppelinOnce(data: readonly Uint8Array[], idx: readonly number[]): { run: PureRun; root: string } {
  gc();
  let t0 = performance.now();
  // Its documented path: leaf = keccak256(keccak256(abi.encode(bytes32))), leaves sorted, pairs sorted.
  const tree = StandardMerkleTree.of(data.map((d) => [d]), ["bytes32"]);
  const root = tree.root;
  const buildMs = performance.now() - t0;
  t0 = performance.now();
  for (const i of idx) {
    const proof = tree.getProof(i); // getProof re-verifies its own proof before returning it
    if (!tree.verify(i, proof)) throw new Error(`openzeppelin: proof of value ${i} does not verify`);
  }
  const proofsMs = performance.now() - t0;
  return { run: { headMs: buildMs, buildMs, proofsMs, totalMs: buildMs + proofsMs }, root };
}

// ---- the comparison -------------------------------------------------------------------------

function sameProofs(a: readonly Uint8Array[][], b: readonly Uint8Array[][]): boolean {
  return a.length === b.length && a.every((p, i) => p.length === b[i]!.length && p.every((h, k) => bytesEqual(h, b[i]![k]!)));
}

export function runPure(opts: { leaves: number; proofs: number; ozLeaves: number; reps: number }): PureResult {
  const { leaves: n, proofs: count, reps } = opts;
  const bytes = new Uint8Array(randomBytes(32 * n));
  const data = Array.from({ length: n }, (_, i) => bytes.subarray(32 * i, 32 * (i + 1)));
  // merkletreejs hashes its inputs with the same function as its nodes, so it gets 0x00 || eventHash.
  const prefixed = data.map((d) => {
    const b = Buffer.allocUnsafe(33);
    b[0] = 0x00;
    b.set(d, 1);
    return b;
  });
  const idx = proofIndexes(n, count);

  // Warm-up at 20k leaves: the first call of each path is not the one timed.
  {
    const w = Math.min(n, 20_000);
    const widx = proofIndexes(w, 100);
    oursOnce(data.slice(0, w), widx);
    merkletreejsOnce(prefixed.slice(0, w), widx, nodeSha256);
    merkletreejsOnce(prefixed.slice(0, w), widx, bunSha256);
  }

  const ours: PureRun[] = [];
  const mt: PureRun[] = [];
  let oursRoot: Uint8Array = new Uint8Array();
  let oursProofs: Uint8Array[][] = [];
  let mtSame = true;
  let mtRoot = "";
  // Alternate the two main contenders so drift in machine load hits both.
  for (let r = 0; r < reps; r++) {
    const o = oursOnce(data, idx);
    ours.push(o.run);
    oursRoot = o.root;
    oursProofs = o.proofs;
    log(`ours #${r + 1}: head ${o.run.headMs.toFixed(0)} ms, build ${o.run.buildMs.toFixed(0)} ms, ${count} proofs ${o.run.proofsMs.toFixed(1)} ms`);
    const m = merkletreejsOnce(prefixed, idx, nodeSha256);
    mt.push(m.run);
    mtRoot = toHex(m.root);
    mtSame &&= bytesEqual(m.root, oursRoot) && sameProofs(m.proofs, oursProofs);
    log(`merkletreejs #${r + 1}: build ${m.run.buildMs.toFixed(0)} ms, ${count} proofs ${m.run.proofsMs.toFixed(1)} ms, same root and proofs as ours: ${mtSame}`);
  }
  const mb = merkletreejsOnce(prefixed, idx, bunSha256);
  const mbSame = bytesEqual(mb.root, oursRoot) && sameProofs(mb.proofs, oursProofs);
  log(`merkletreejs + Bun.SHA256: build ${mb.run.buildMs.toFixed(0)} ms, proofs ${mb.run.proofsMs.toFixed(1)} ms, same: ${mbSame}`);

  gc();
  let t0 = performance.now();
  const range = CompactRange.empty();
  for (const d of data) range.append(hashLeaf(d));
  const crRoot = range.root();
  const compactRangeMs = performance.now() - t0;
  if (!bytesEqual(crRoot, oursRoot)) throw new Error("CompactRange root differs from rootFromLeafHashes");

  const input = new Uint8Array(65);
  t0 = performance.now();
  for (let i = 0; i < n; i++) Bun.SHA256.hash(input, new Uint8Array(32));
  const rawSha256Ns = ((performance.now() - t0) * 1e6) / n;

  const contenders: PureContender[] = [
    {
      name: "ours (src/core/merkle)", hashing: "SHA-256 (Bun.SHA256), RFC 9162 0x00/0x01 prefixes", runs: ours, best: best(ours), root: toHex(oursRoot), sameAsOurs: null,
      notes: "head: hashLeaf + rootFromLeafHashes; proofs: nodeReaderFromLeaves (every complete node in memory) + rootFromNodes + assembleInclusionProof + verifyInclusion",
    },
    {
      name: "merkletreejs", hashing: "SHA-256 (node:crypto createHash, its README idiom); 0x00 leaf prefix in the input, 0x01 node prefix via `concatenator`", runs: mt, best: best(mt), root: mtRoot, sameAsOurs: mtSame,
      notes: "new MerkleTree(0x00||eventHash, sha256, { hashLeaves: true, concatenator }) + getRoot; getProof(leaf, index) + verify",
    },
    {
      name: "merkletreejs, hashFn = Bun.SHA256", hashing: "as above, with the same SHA-256 call as ours", runs: [mb.run], best: mb.run, root: toHex(mb.root), sameAsOurs: mbSame,
      notes: "isolates the tree code from the hash function",
    },
  ];

  if (opts.ozLeaves > 0) {
    const on = Math.min(opts.ozLeaves, n);
    openzeppelinOnce(data.slice(0, Math.min(on, 5_000)), proofIndexes(Math.min(on, 5_000), 50)); // warm-up
    const oz = openzeppelinOnce(on === n ? data : data.slice(0, on), on === n ? idx : proofIndexes(on, count));
    log(`@openzeppelin/merkle-tree (${on} leaves): build ${oz.run.buildMs.toFixed(0)} ms, proofs ${oz.run.proofsMs.toFixed(1)} ms`);
    contenders.push({
      name: "@openzeppelin/merkle-tree StandardMerkleTree", hashing: "keccak256 (ethereum-cryptography, pure JS), leaf = keccak(keccak(abi.encode(bytes32))), sorted leaves, sorted pairs", runs: [oz.run], best: oz.run, root: oz.root, sameAsOurs: null,
      notes: `StandardMerkleTree.of(values, ["bytes32"]) + root; getProof(i) (self-verifying) + verify(i, proof); ${on} leaves`,
    });
  }
  return { leaves: n, proofs: count, ozLeaves: opts.ozLeaves > 0 ? Math.min(opts.ozLeaves, n) : 0, contenders, compactRangeMs, rawSha256Ns };
}
