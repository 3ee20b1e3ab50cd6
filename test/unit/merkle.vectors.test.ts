// Checks the tree math against the contract vectors in test/vectors/merkle.json (roots, inclusion and consistency proofs).
import { describe, expect, test } from "bun:test";
import vectors from "../vectors/merkle.json";
import { EMPTY_ROOT, hashLeaf } from "../../src/core/merkle/hash.ts";
import { hashFromHex, toHex } from "../../src/core/merkle/hex.ts";
import { CompactRange } from "../../src/core/merkle/compact-range.ts";
import {
  assembleConsistencyProof,
  assembleInclusionProof,
  nodeReaderFromLeaves,
  rootFromLeafHashes,
  rootFromNodes,
} from "../../src/core/merkle/tree.ts";
import { verifyConsistency, verifyInclusion } from "../../src/core/merkle/verify.ts";
import { RootMismatchError } from "../../src/core/merkle/errors.ts";

const leaves = vectors.merkleLeafHashes.map(hashFromHex);
const read = nodeReaderFromLeaves(leaves);
const root = (n: number): Uint8Array => hashFromHex((vectors.roots as Record<string, string>)[String(n)]!);

describe("merkle vectors", () => {
  test("merkleLeafHash = SHA-256(0x00 || eventHash bytes)", () => {
    expect(vectors.eventHashes.map((h) => toHex(hashLeaf(hashFromHex(h))))).toEqual(vectors.merkleLeafHashes);
  });

  test("empty root is SHA-256 of the empty string", () => {
    expect(toHex(EMPTY_ROOT)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(rootFromLeafHashes([]))).toBe(vectors.roots["0"]);
  });

  test("every root, three ways: from leaves, from stored nodes, from the frontier", () => {
    const range = CompactRange.empty();
    for (let n = 0; n <= leaves.length; n++) {
      const want = (vectors.roots as Record<string, string>)[String(n)];
      expect(toHex(rootFromLeafHashes(leaves.slice(0, n)))).toBe(want!);
      expect(toHex(rootFromNodes(n, read))).toBe(want!);
      expect(toHex(range.root())).toBe(want!);
      if (n < leaves.length) range.append(leaves[n]!);
    }
  });

  test.each(vectors.inclusion.map((v) => [v.leafIndex, v.treeSize, v.hashes] as const))(
    "inclusion proof for leaf %d in tree size %d",
    (index, size, hashes) => {
      const proof = assembleInclusionProof(index, size, read);
      expect(proof.map(toHex)).toEqual([...hashes]);
      verifyInclusion(leaves[index]!, index, size, proof, root(size));
    },
  );

  test.each(vectors.consistency.map((v) => [v.from, v.to, v.hashes] as const))(
    "consistency proof from tree size %d to %d",
    (from, to, hashes) => {
      const proof = assembleConsistencyProof(from, to, read);
      expect(proof.map(toHex)).toEqual([...hashes]);
      verifyConsistency(from, to, proof, root(from), root(to));
    },
  );

  test("a vector proof checked against the wrong root is a RootMismatchError carrying both roots", () => {
    const v = vectors.inclusion[1]!;
    const wrong = root(v.treeSize - 1);
    try {
      verifyInclusion(leaves[v.leafIndex]!, v.leafIndex, v.treeSize, v.hashes.map(hashFromHex), wrong);
      throw new Error("accepted");
    } catch (e) {
      expect(e).toBeInstanceOf(RootMismatchError);
      const m = e as RootMismatchError;
      expect(toHex(m.expected)).toBe(toHex(wrong));
      expect(toHex(m.computed)).toBe(toHex(root(v.treeSize)));
      expect(m.message).toContain(toHex(wrong));
    }
  });
});
