// Checks the frontier: appends match the reference root at every size and report exactly the complete nodes, with their true hashes.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { CompactRange } from "../../src/core/merkle/compact-range.ts";
import { ProofError } from "../../src/core/merkle/errors.ts";
import { toHex } from "../../src/core/merkle/hex.ts";
import { rangeNodes, type NodeHash } from "../../src/core/merkle/node-id.ts";
import { nodeReaderFromLeaves } from "../../src/core/merkle/tree.ts";
import { ReferenceTree, sampleLeafHashes } from "../support/reference-tree.ts";

const MAX = 300;
const leaves = sampleLeafHashes(MAX);
const ref = new ReferenceTree(leaves);
/** The reference hash of complete node (level, index). */
const refNode = (level: number, index: number): string => toHex(ref.mth(index * 2 ** level, (index + 1) * 2 ** level));

describe("CompactRange", () => {
  test("an empty range has size 0, no nodes and the empty root", () => {
    const r = CompactRange.empty();
    expect(r.size).toBe(0);
    expect(r.nodes()).toEqual([]);
    expect(toHex(r.root())).toBe(toHex(ref.root(0)));
  });

  test(`appends 1..${MAX}: root equals the reference; every complete node is reported once with its reference hash`, () => {
    const r = CompactRange.empty();
    const reported = new Set<string>();
    for (let n = 1; n <= MAX; n++) {
      const completed = r.append(leaves[n - 1]!);
      expect(r.size).toBe(n);
      expect(toHex(r.root())).toBe(toHex(ref.root(n)));
      // Bottom-up, starting with the leaf itself.
      expect(completed[0]).toEqual({ level: 0, index: n - 1, hash: leaves[n - 1]! });
      completed.forEach((node, k) => {
        expect(node.level).toBe(k);
        expect(toHex(node.hash)).toBe(refNode(node.level, node.index));
        // The node's last leaf is the one just appended: it became complete now, not earlier.
        expect((node.index + 1) * 2 ** node.level).toBe(n);
        const key = `${node.level}/${node.index}`;
        expect(reported.has(key)).toBe(false);
        reported.add(key);
      });
      // Frontier = rangeNodes(0, n), each with its reference hash.
      const frontier = r.nodes();
      expect(frontier.map(({ level, index }) => ({ level, index }))).toEqual(rangeNodes(0, n));
      frontier.forEach((node) => expect(toHex(node.hash)).toBe(refNode(node.level, node.index)));
    }
    // Every complete node of a 300-leaf tree: 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1.
    expect(reported.size).toBe(596);
  });

  test("fromNodes / fromReader resume where a stored frontier left off", () => {
    const read = nodeReaderFromLeaves(leaves);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX - 1 }), fc.integer({ min: 1, max: 40 }), (start, more) => {
        const end = Math.min(MAX, start + more);
        const ids = rangeNodes(0, start);
        const a = CompactRange.fromNodes(start, ids.map((id) => read(id.level, id.index)));
        const b = CompactRange.fromReader(start, read);
        expect(toHex(a.root())).toBe(toHex(ref.root(start)));
        const completed: NodeHash[] = [];
        for (let i = start; i < end; i++) {
          completed.push(...a.append(leaves[i]!));
          b.append(leaves[i]!);
        }
        expect(toHex(a.root())).toBe(toHex(ref.root(end)));
        expect(toHex(b.root())).toBe(toHex(ref.root(end)));
        for (const node of completed) expect(toHex(node.hash)).toBe(refNode(node.level, node.index));
      }),
      { numRuns: 200 },
    );
  });

  test("clone is independent; root() never hands out internal state", () => {
    const a = CompactRange.empty();
    a.append(leaves[0]!);
    const b = a.clone();
    b.append(leaves[1]!);
    expect(a.size).toBe(1);
    expect(toHex(a.root())).toBe(toHex(ref.root(1)));
    expect(toHex(b.root())).toBe(toHex(ref.root(2)));
    const root = a.root();
    root.fill(0);
    expect(toHex(a.root())).toBe(toHex(ref.root(1)));
    expect(toHex(leaves[0]!)).toBe(toHex(ref.root(1)));
  });

  test("refuses bad input", () => {
    expect(() => CompactRange.empty().append(new Uint8Array(31))).toThrow(ProofError);
    expect(() => CompactRange.fromNodes(3, [leaves[0]!])).toThrow("a tree of size 3 has 2 frontier nodes, got 1");
    expect(() => CompactRange.fromNodes(1, [new Uint8Array(8)])).toThrow(ProofError);
    expect(() => CompactRange.fromNodes(-1, [])).toThrow(ProofError);
  });
});
