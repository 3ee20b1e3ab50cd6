// Checks the store-facing side of proofs: which complete nodes they read, reading them from a fetched list, and 53-bit sizes.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ProofError } from "../../src/core/merkle/errors.ts";
import { hashChildren } from "../../src/core/merkle/hash.ts";
import { toHex } from "../../src/core/merkle/hex.ts";
import { rangeNodes, type NodeId } from "../../src/core/merkle/node-id.ts";
import {
  assembleConsistencyProof,
  assembleInclusionProof,
  consistencyProofNodes,
  consistencySubtrees,
  inclusionProofNodes,
  inclusionSubtrees,
  nodeReaderFromLeaves,
  nodeReaderFromList,
  rootFromNodes,
  type NodeReader,
} from "../../src/core/merkle/tree.ts";
import { consistencyProofLength, inclusionProofLength, verifyConsistency, verifyInclusion } from "../../src/core/merkle/verify.ts";
import { sampleLeafHashes } from "../support/reference-tree.ts";

const leaves = sampleLeafHashes(1000);
const read = nodeReaderFromLeaves(leaves);

/** A reader that records what it was asked for and refuses incomplete nodes of a tree of `size`. */
function recording(size: number): { reader: NodeReader; reads: NodeId[] } {
  const reads: NodeId[] = [];
  const reader: NodeReader = (level, index) => {
    expect((index + 1) * 2 ** level).toBeLessThanOrEqual(size);
    reads.push({ level, index });
    return read(level, index);
  };
  return { reader, reads };
}

describe("stored-node access", () => {
  test("a proof reads exactly the listed nodes, each complete, O(log n) of them", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }).chain((n) => fc.tuple(fc.nat(n - 1), fc.constant(n), fc.integer({ min: 1, max: n }))), ([i, n, m]) => {
        const inc = recording(n);
        assembleInclusionProof(i, n, inc.reader);
        expect(inc.reads).toEqual(inclusionProofNodes(i, n));
        expect(inc.reads.length).toBeLessThanOrEqual(2 * Math.log2(n) + 1);
        const con = recording(n);
        assembleConsistencyProof(m, n, con.reader);
        expect(con.reads).toEqual(consistencyProofNodes(m, n));
        expect(con.reads.length).toBeLessThanOrEqual(2 * Math.log2(n) + 1);
      }),
      { numRuns: 300 },
    );
  });

  test("a proof assembled from one fetched list of rows matches the in-memory one", () => {
    const ids = inclusionProofNodes(300, 999);
    const fromRows = nodeReaderFromList(ids, ids.map((id) => read(id.level, id.index)));
    expect(assembleInclusionProof(300, 999, fromRows).map(toHex)).toEqual(assembleInclusionProof(300, 999, read).map(toHex));
    const rootIds = rangeNodes(0, 999);
    const rootRows = nodeReaderFromList(rootIds, rootIds.map((id) => read(id.level, id.index)));
    expect(toHex(rootFromNodes(999, rootRows))).toBe(toHex(rootFromNodes(999, read)));
  });

  test("a missing or malformed node is a ProofError missing_node (an internal error)", () => {
    const ids = inclusionProofNodes(3, 10);
    const short = nodeReaderFromList(ids.slice(1), ids.slice(1).map((id) => read(id.level, id.index)));
    try {
      assembleInclusionProof(3, 10, short);
      throw new Error("assembled");
    } catch (e) {
      expect(e).toBeInstanceOf(ProofError);
      expect((e as ProofError).reason).toBe("missing_node");
      expect((e as ProofError).code).toBe("internal");
    }
    expect(() => assembleInclusionProof(3, 10, () => new Uint8Array(3))).toThrow("is not a 32-byte hash");
    expect(() => nodeReaderFromList(ids, [])).toThrow(ProofError);
    expect(() => read(0, 1000)).toThrow("not complete");
  });

  test("rangeNodes covers a range with aligned complete nodes, left to right", () => {
    expect(rangeNodes(0, 13)).toEqual([{ level: 3, index: 0 }, { level: 2, index: 2 }, { level: 0, index: 12 }]);
    expect(rangeNodes(5, 13)).toEqual([{ level: 0, index: 5 }, { level: 1, index: 3 }, { level: 2, index: 2 }, { level: 0, index: 12 }]);
    expect(rangeNodes(7, 7)).toEqual([]);
  });
});

describe("sizes beyond 32 bits", () => {
  // In a tree whose leaves are all equal, every complete node at a level has the same hash,
  // so a reader for any size is one hash per level: enough to run real proofs at 2^52.
  const uniform: Uint8Array[] = [leaves[0]!];
  for (let l = 1; l <= 53; l++) uniform.push(hashChildren(uniform[l - 1]!, uniform[l - 1]!));
  const uniformRead: NodeReader = (level) => uniform[level]!;

  test("proof lengths from the RFC walk equal the generator's subtree counts", () => {
    const size = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
    fc.assert(
      fc.property(size.chain((n) => fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constant(n), fc.integer({ min: 0, max: n }))), ([i, n, m]) => {
        expect(inclusionProofLength(i, n)).toBe(inclusionSubtrees(i, n).length);
        expect(consistencyProofLength(m, n)).toBe(consistencySubtrees(m, n).length);
      }),
      { numRuns: 2000 },
    );
  });

  test("inclusion and consistency proofs generate and verify at 2^52 + 12345 leaves", () => {
    const n = 2 ** 52 + 12345;
    const root = rootFromNodes(n, uniformRead);
    for (const i of [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52 - 1, 2 ** 52, n - 2, n - 1]) {
      const proof = assembleInclusionProof(i, n, uniformRead);
      expect(proof.length).toBe(inclusionProofLength(i, n));
      verifyInclusion(uniform[0]!, i, n, proof, root);
    }
    for (const m of [1, 3, 2 ** 31, 2 ** 32 + 7, 2 ** 52, n - 1, n]) {
      verifyConsistency(m, n, assembleConsistencyProof(m, n, uniformRead), rootFromNodes(m, uniformRead), root);
    }
    expect(() => verifyInclusion(uniform[0]!, 0, n, assembleInclusionProof(0, n - 1, uniformRead), root)).toThrow(ProofError);
  });
});
