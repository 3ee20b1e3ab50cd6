// Cross-checks the fast tree code against the naive RFC 9162 reference tree: every size and pair up to 256, broken proofs, random cases.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ProofError, RootMismatchError, type ProofFailure } from "../../src/core/merkle/errors.ts";
import { toHex } from "../../src/core/merkle/hex.ts";
import {
  assembleConsistencyProof,
  assembleInclusionProof,
  nodeReaderFromLeaves,
  rootFromLeafHashes,
  rootFromNodes,
} from "../../src/core/merkle/tree.ts";
import { verifyConsistency, verifyInclusion } from "../../src/core/merkle/verify.ts";
import { ReferenceTree, sampleLeafHashes } from "../support/reference-tree.ts";

const MAX = 256;
const BROKEN_MAX = 64;
const leaves = sampleLeafHashes(MAX);
const ref = new ReferenceTree(leaves);
// One reader over all 256 leaves serves every smaller size: a complete node never changes.
const read = nodeReaderFromLeaves(leaves);
const hex = (hs: readonly Uint8Array[]): string[] => hs.map(toHex);

const flipped = (proof: readonly Uint8Array[], at: number, byte = 0): Uint8Array[] =>
  proof.map((h, i) => {
    if (i !== at) return h;
    const c = h.slice();
    c[byte] = c[byte]! ^ 0x01;
    return c;
  });

/** Asserts `run` throws a ProofError (RootMismatchError when reason is root_mismatch). */
function rejects(run: () => void, reason?: ProofFailure): void {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ProofError);
  if (reason !== undefined) expect((caught as ProofError).reason).toBe(reason);
  if ((caught as ProofError).reason === "root_mismatch") expect(caught).toBeInstanceOf(RootMismatchError);
}

describe("merkle against the reference tree", () => {
  test(`every root for sizes 0..${MAX}`, () => {
    for (let n = 0; n <= MAX; n++) {
      const want = toHex(ref.root(n));
      expect(toHex(rootFromLeafHashes(leaves.slice(0, n)))).toBe(want);
      expect(toHex(rootFromNodes(n, read))).toBe(want);
    }
  });

  test(`every inclusion proof of every size 1..${MAX} equals the reference and verifies`, () => {
    for (let n = 1; n <= MAX; n++) {
      const root = ref.root(n);
      for (let i = 0; i < n; i++) {
        const proof = assembleInclusionProof(i, n, read);
        expect(hex(proof)).toEqual(hex(ref.path(i, n)));
        verifyInclusion(leaves[i]!, i, n, proof, root);
      }
    }
  });

  test(`every consistency proof for 1 <= m <= n <= ${MAX} equals the reference and verifies`, () => {
    const roots = Array.from({ length: MAX + 1 }, (_, n) => ref.root(n));
    for (let n = 1; n <= MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = assembleConsistencyProof(m, n, read);
        expect(hex(proof)).toEqual(hex(ref.proof(m, n)));
        verifyConsistency(m, n, proof, roots[m]!, roots[n]!);
      }
    }
  });

  test("the empty tree is consistent with every tree, by an empty proof", () => {
    for (const n of [0, 1, 7, 256]) {
      expect(assembleConsistencyProof(0, n, read)).toEqual([]);
      verifyConsistency(0, n, [], ref.root(0), ref.root(n));
    }
    rejects(() => verifyConsistency(0, 5, [], ref.root(1), ref.root(5)), "root_mismatch");
    rejects(() => verifyConsistency(0, 5, [ref.root(5)], ref.root(0), ref.root(5)), "wrong_proof_length");
  });
});

describe("broken inclusion proofs are rejected", () => {
  test(`sizes 1..${BROKEN_MAX}, every index`, () => {
    for (let n = 1; n <= BROKEN_MAX; n++) {
      const root = ref.root(n);
      for (let i = 0; i < n; i++) {
        const leaf = leaves[i]!;
        const proof = ref.path(i, n);
        for (let at = 0; at < proof.length; at++) rejects(() => verifyInclusion(leaf, i, n, flipped(proof, at, at % 32), root), "root_mismatch");
        rejects(() => verifyInclusion(flipped([leaf], 0, 31)[0]!, i, n, proof, root), "root_mismatch");
        rejects(() => verifyInclusion(leaf, i, n, proof, flipped([root], 0, 5)[0]!), "root_mismatch");
        if (i + 1 < n) rejects(() => verifyInclusion(leaf, i + 1, n, proof, root));
        if (i > 0) rejects(() => verifyInclusion(leaf, i - 1, n, proof, root));
        // Another size, checked against that size's true root.
        if (n < MAX) rejects(() => verifyInclusion(leaf, i, n + 1, proof, ref.root(n + 1)));
        if (i < n - 1) rejects(() => verifyInclusion(leaf, i, n - 1, proof, ref.root(n - 1)));
        if (proof.length > 0) {
          rejects(() => verifyInclusion(leaf, i, n, proof.slice(0, -1), root), "wrong_proof_length");
          rejects(() => verifyInclusion(leaf, i, n, proof.slice(1), root), "wrong_proof_length");
          // Reordering keeps the length but not the root (unless the swapped hashes are equal).
          if (proof.length > 1) rejects(() => verifyInclusion(leaf, i, n, [...proof].reverse(), root), "root_mismatch");
        }
        rejects(() => verifyInclusion(leaf, i, n, [...proof, root], root), "wrong_proof_length");
      }
    }
  });

  test("bounds are checked first and name both numbers", () => {
    const leaf = leaves[0]!;
    const root = ref.root(4);
    expect(() => verifyInclusion(leaf, 4, 4, [], root)).toThrow("leaf index 4 is not below tree size 4");
    rejects(() => verifyInclusion(leaf, 0, 0, [], root), "index_out_of_range");
    rejects(() => verifyInclusion(leaf, -1, 4, [], root), "invalid_size");
    rejects(() => verifyInclusion(leaf, 0.5, 4, [], root), "invalid_size");
    rejects(() => verifyInclusion(leaf, 0, Number.NaN, [], root), "invalid_size");
    rejects(() => verifyInclusion(leaf, 0, 2 ** 53, [], root), "invalid_size");
    rejects(() => verifyInclusion(leaf.subarray(1), 0, 2, ref.path(0, 2), ref.root(2)), "bad_hash");
    rejects(() => verifyInclusion(leaf, 0, 2, [new Uint8Array(33)], ref.root(2)), "bad_hash");
    rejects(() => verifyInclusion(leaf, 0, 2, ref.path(0, 2), new Uint8Array(0)), "bad_hash");
    expect(() => assembleInclusionProof(9, 9, read)).toThrow("leaf index 9 is not below tree size 9");
  });
});

describe("broken consistency proofs are rejected", () => {
  test(`pairs 1 <= m <= n <= ${BROKEN_MAX}`, () => {
    for (let n = 1; n <= BROKEN_MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const r1 = ref.root(m);
        const r2 = ref.root(n);
        const proof = ref.proof(m, n);
        for (let at = 0; at < proof.length; at++) rejects(() => verifyConsistency(m, n, flipped(proof, at, 31 - (at % 32)), r1, r2), "root_mismatch");
        rejects(() => verifyConsistency(m, n, proof, flipped([r1], 0, 0)[0]!, r2), "root_mismatch");
        rejects(() => verifyConsistency(m, n, proof, r1, flipped([r2], 0, 0)[0]!), "root_mismatch");
        if (m < n) rejects(() => verifyConsistency(m, n, proof, r2, r1), "root_mismatch");
        if (m < n) rejects(() => verifyConsistency(n, m, proof, r2, r1), "size_out_of_range");
        if (m > 1) rejects(() => verifyConsistency(m - 1, n, proof, ref.root(m - 1), r2));
        if (m < n - 1) rejects(() => verifyConsistency(m + 1, n, proof, ref.root(m + 1), r2));
        if (n < MAX) rejects(() => verifyConsistency(m, n + 1, proof, r1, ref.root(n + 1)));
        if (proof.length > 0) rejects(() => verifyConsistency(m, n, proof.slice(0, -1), r1, r2), "wrong_proof_length");
        rejects(() => verifyConsistency(m, n, [...proof, r2], r1, r2), "wrong_proof_length");
      }
    }
  });

  test("bounds are checked first and name both numbers", () => {
    expect(() => verifyConsistency(5, 4, [], ref.root(5), ref.root(4))).toThrow("first tree size 5 is above second tree size 4");
    expect(() => assembleConsistencyProof(5, 4, read)).toThrow("first tree size 5 is above second tree size 4");
    rejects(() => verifyConsistency(-1, 4, [], ref.root(1), ref.root(4)), "invalid_size");
    rejects(() => verifyConsistency(3, 3, [], ref.root(3), ref.root(4)), "root_mismatch");
    rejects(() => verifyConsistency(3, 3, [ref.root(3)], ref.root(3), ref.root(3)), "wrong_proof_length");
    rejects(() => verifyConsistency(3, 4, ref.proof(3, 4), ref.root(3).subarray(2), ref.root(4)), "bad_hash");
  });
});

describe("randomised against the reference", () => {
  const big = sampleLeafHashes(2048);
  const bigRef = new ReferenceTree(big);
  const bigRead = nodeReaderFromLeaves(big);

  test("inclusion: random size and index, proof equals reference; a random bit flip is rejected", () => {
    const arb = fc
      .integer({ min: 1, max: big.length })
      .chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(), fc.nat(255)));
    fc.assert(
      fc.property(arb, ([n, i, pick, bit]) => {
        const proof = assembleInclusionProof(i, n, bigRead);
        expect(hex(proof)).toEqual(hex(bigRef.path(i, n)));
        verifyInclusion(big[i]!, i, n, proof, bigRef.root(n));
        if (proof.length === 0) return;
        const at = pick % proof.length;
        const bad = proof.map((h) => h.slice());
        bad[at]![bit >> 3] = bad[at]![bit >> 3]! ^ (1 << (bit & 7));
        rejects(() => verifyInclusion(big[i]!, i, n, bad, bigRef.root(n)), "root_mismatch");
      }),
      { numRuns: 500 },
    );
  });

  test("consistency: random sizes, proof equals reference; a random bit flip is rejected", () => {
    const arb = fc
      .integer({ min: 1, max: big.length })
      .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n), fc.nat(), fc.nat(255)));
    fc.assert(
      fc.property(arb, ([m, n, pick, bit]) => {
        const proof = assembleConsistencyProof(m, n, bigRead);
        expect(hex(proof)).toEqual(hex(bigRef.proof(m, n)));
        verifyConsistency(m, n, proof, bigRef.root(m), bigRef.root(n));
        if (proof.length === 0) return;
        const at = pick % proof.length;
        const bad = proof.map((h) => h.slice());
        bad[at]![bit >> 3] = bad[at]![bit >> 3]! ^ (1 << (bit & 7));
        rejects(() => verifyConsistency(m, n, bad, bigRef.root(m), bigRef.root(n)), "root_mismatch");
      }),
      { numRuns: 500 },
    );
  });
});
