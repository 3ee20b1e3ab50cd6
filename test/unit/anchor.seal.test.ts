// The anchorer's seal step and the stored-node addressing, without a store: every size 1..256 split at random into checkpoints.
import { describe, expect, test } from "bun:test";
import { createHash, generateKeyPairSync } from "node:crypto";
import { EMPTY_ROOT, hashLeaf } from "../../src/core/merkle/hash.ts";
import { hashFromHex, toHex } from "../../src/core/merkle/hex.ts";
import { rangeNodes } from "../../src/core/merkle/node-id.ts";
import { nodeReaderFromLeaves, rootFromLeafHashes } from "../../src/core/merkle/tree.ts";
import { openCheckpoint } from "../../src/core/signing/checkpoint.ts";
import { formatVkey, parseVkey } from "../../src/core/signing/note.ts";
import { signingKeyFrom } from "../../src/ledger/signing-key.ts";
import type { NewLeaf, PendingEvent, TreeHead } from "../../src/store/anchor-port.ts";
import { nodeRowOf, pickNodes } from "../../src/store/anchor-rows.ts";
import { sealWith } from "../../src/workers/anchorer.ts";

const { privateKey } = generateKeyPairSync("ed25519");
const key = signingKeyFrom("findings-ledger", privateKey, "(memory)", { created: false, configured: true });
const eventHash = (i: number) => createHash("sha256").update(`event ${i}`).digest("hex");
const pending = (from: number, to: number): PendingEvent[] =>
  Array.from({ length: to - from }, (_, k) => ({ eventId: `e${from + k}`, chainId: "c", sequence: from + k + 1, eventHash: eventHash(from + k), recordedAtUs: from + k }));

/** Runs seal in checkpoints of the given sizes, keeping every leaf row as a store would. */
function anchorInSteps(sizes: number[]) {
  const rows = new Map<number, Uint8Array>();
  const checkpoints: { treeSize: number; rootHash: string; previousTreeSize: number; previousRootHash: string; note: string }[] = [];
  let head: TreeHead = { tenantId: "acme", treeSize: 0, rootHash: EMPTY_ROOT, frontier: [] };
  const seal = sealWith(key, () => 1);
  for (const size of sizes) {
    const { leaves, checkpoint } = seal(head, pending(head.treeSize, size));
    leaves.forEach((l: NewLeaf) => rows.set(l.leafIndex, l.nodeHashes));
    checkpoints.push(checkpoint);
    head = { tenantId: "acme", treeSize: size, rootHash: hashFromHex(checkpoint.rootHash), frontier: pickNodes(rangeNodes(0, size), rows) };
  }
  return { rows, checkpoints };
}

let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

describe("sealWith", () => {
  test("every size 1..256, split at random: roots equal MTH, checkpoints link, every complete node sits in the row of its last leaf", () => {
    for (let n = 1; n <= 256; n++) {
      const sizes: number[] = [];
      for (let s = 0; s < n; ) sizes.push((s = Math.min(n, s + 1 + Math.floor(random() * Math.max(1, n / 3)))));
      const { rows, checkpoints } = anchorInSteps(sizes);
      const leafHashes = Array.from({ length: n }, (_, i) => hashLeaf(hashFromHex(eventHash(i))));
      checkpoints.forEach((cp, i) => {
        expect(cp.rootHash).toBe(toHex(rootFromLeafHashes(leafHashes.slice(0, cp.treeSize))));
        expect(cp.previousTreeSize).toBe(i === 0 ? 0 : checkpoints[i - 1]!.treeSize);
        expect(cp.previousRootHash).toBe(i === 0 ? toHex(EMPTY_ROOT) : checkpoints[i - 1]!.rootHash);
      });
      const reference = nodeReaderFromLeaves(leafHashes);
      for (let level = 0; 2 ** level <= n; level++) {
        for (let index = 0; (index + 1) * 2 ** level <= n; index++) {
          expect(nodeRowOf({ level, index })).toBeLessThan(n);
          expect(toHex(pickNodes([{ level, index }], rows)[0]!)).toBe(toHex(reference(level, index)));
        }
      }
      const stored = [...rows.values()].reduce((sum, r) => sum + r.length / 32, 0);
      expect(stored).toBe(2 * n - popcount(n)); // every complete node exactly once
    }
  });

  test("the checkpoint is a C2SP signed note for <key name>/<tenant> that opens with the key's vkey", () => {
    const { checkpoints } = anchorInSteps([3, 10]);
    const { checkpoint } = openCheckpoint(checkpoints[1]!.note, [parseVkey(key.info.vkey)], "findings-ledger/acme");
    expect(checkpoint.treeSize).toBe(10);
    expect(toHex(checkpoint.rootHash)).toBe(checkpoints[1]!.rootHash);
  });

  test("refuses to extend a head whose frontier does not fold to its root", () => {
    const { rows, checkpoints } = anchorInSteps([5]);
    const head: TreeHead = { tenantId: "acme", treeSize: 5, rootHash: hashFromHex(checkpoints[0]!.rootHash), frontier: pickNodes(rangeNodes(0, 5), rows) };
    const seal = sealWith(key, () => 1);
    expect(() => seal({ ...head, rootHash: new Uint8Array(32) }, pending(5, 6))).toThrow(/folds to [0-9a-f]{64}, not the checkpoint root 0{64}/);
    expect(() => seal({ ...head, frontier: head.frontier.slice(1) }, pending(5, 6))).toThrow(/frontier nodes/);
    expect(seal(head, pending(5, 6)).checkpoint.treeSize).toBe(6);
  });
});

describe("parseVkey (core)", () => {
  test("accepts vkeys whose base64 holds '+' (only the first two '+' separate fields) and refuses a wrong key id", () => {
    let withPlus = 0;
    for (let i = 0; i < 40; i++) {
      const k = generateKeyPairSync("ed25519").publicKey;
      const raw = new Uint8Array(k.export({ format: "der", type: "spki" }).subarray(12));
      const vkey = formatVkey("findings-ledger", raw);
      if (vkey.split("+").length > 3) withPlus++;
      expect(parseVkey(vkey).name).toBe("findings-ledger");
      const [name, id, ...rest] = vkey.split("+");
      const wrongId = ((Number.parseInt(id!, 16) ^ 1) >>> 0).toString(16).padStart(8, "0");
      expect(() => parseVkey([name, wrongId, ...rest].join("+"))).toThrow(/key id/);
    }
    expect(withPlus).toBeGreaterThan(0);
    expect(() => parseVkey("findings-ledger+00000000")).toThrow(/malformed verifier key/);
    expect(() => parseVkey("findings-ledger+00000000+AAAA")).toThrow(/not an Ed25519 key/);
    expect(() => parseVkey("findings-ledger+0000+AAAA")).toThrow(/malformed verifier key/);
    expect(() => parseVkey("bad name+00000000+AAAA")).toThrow();
  });
});

function popcount(n: number): number {
  let c = 0;
  for (; n > 0; n = Math.floor(n / 2)) c += n % 2;
  return c;
}
