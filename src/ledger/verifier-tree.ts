// The tree half of `ledger verify`: leaves against events, stored nodes recomputed, checkpoints signed, linked, rooted and consistent.
import { CompactRange } from "../core/merkle/compact-range.ts";
import { EMPTY_ROOT, HASH_SIZE, hashLeaf } from "../core/merkle/hash.ts";
import { bytesEqual, hashFromHex, toHex } from "../core/merkle/hex.ts";
import { assembleConsistencyProof, consistencyProofNodes, nodeReaderFromList } from "../core/merkle/tree.ts";
import { verifyConsistency } from "../core/merkle/verify.ts";
import { openCheckpoint } from "../core/signing/checkpoint.ts";
import { SigningError } from "../core/signing/errors.ts";
import type { NoteVerifier } from "../core/signing/note.ts";
import type { AnchorSnapshot, CheckpointRow, VerifyLeaf } from "../store/anchor-port.ts";
import type { ReportBuilder } from "./verifier.ts";

const CHECKPOINT_PAGE = 500;

interface TreeHeadRef {
  treeSize: number;
  rootHash: string;
}

/** Checkpoints in pages, each page's consistency proofs checked with one node read. */
class CheckpointCursor {
  private page: CheckpointRow[] = [];
  private at = 0;
  private readonly pages: AsyncIterator<CheckpointRow[]>;
  private done = false;
  private lastLinked: TreeHeadRef = { treeSize: 0, rootHash: "" };

  constructor(private readonly snapshot: AnchorSnapshot, private readonly out: ReportBuilder) {
    this.pages = snapshot.checkpoints(CHECKPOINT_PAGE)[Symbol.asyncIterator]();
  }

  async peek(): Promise<CheckpointRow | null> {
    if (this.at < this.page.length) return this.page[this.at]!;
    if (this.done) return null;
    const next = await this.pages.next();
    if (next.done) {
      this.done = true;
      return null;
    }
    this.page = next.value;
    this.at = 0;
    await this.checkConsistency();
    return this.page[0] ?? null;
  }

  next(): void {
    this.at++;
  }

  /**
   * RFC 9162 consistency proofs between successive checkpoints, assembled from the stored nodes
   * (what GET /v1/ledger/proofs/consistency serves) and verified against the two stored roots.
   */
  private async checkConsistency(): Promise<void> {
    const pairs: [TreeHeadRef, CheckpointRow][] = [];
    let prev = this.lastLinked;
    for (const cp of this.page) {
      if (prev.treeSize > 0) pairs.push([prev, cp]);
      prev = cp;
    }
    this.lastLinked = prev;
    if (pairs.length === 0) return;
    const ids = new Map(pairs.flatMap(([a, b]) => consistencyProofNodes(a.treeSize, b.treeSize)).map((id) => [`${id.level}/${id.index}`, id]));
    let read;
    try {
      const list = [...ids.values()];
      read = nodeReaderFromList(list, await this.snapshot.readNodes(list));
    } catch (e) {
      const span = `${pairs[0]![0].treeSize}..${pairs[pairs.length - 1]![1].treeSize}`;
      this.out.fail({ kind: "consistency_failed", treeSize: pairs[0]![1].treeSize, message: `nodes for the consistency proofs of tree sizes ${span} cannot be read: ${(e as Error).message}` });
      return;
    }
    for (const [a, b] of pairs) {
      try {
        const proof = assembleConsistencyProof(a.treeSize, b.treeSize, read);
        verifyConsistency(a.treeSize, b.treeSize, proof, hashFromHex(a.rootHash), hashFromHex(b.rootHash));
      } catch (e) {
        this.out.fail({ kind: "consistency_failed", treeSize: b.treeSize, message: `tree size ${a.treeSize} -> ${b.treeSize}: ${(e as Error).message}` });
      }
    }
  }
}

function checkLeaf(leaf: VerifyLeaf, out: ReportBuilder): void {
  const where = { chainId: leaf.chainId, sequence: leaf.sequence, leafIndex: leaf.leafIndex };
  if (leaf.event === null) {
    out.fail({ kind: "leaf_event_missing", ...where, message: `leaf ${leaf.leafIndex} names event ${leaf.eventId}, which is not in the store` });
    return;
  }
  if (leaf.event.chainId !== leaf.chainId || leaf.event.sequence !== leaf.sequence) {
    out.fail({ kind: "leaf_mismatch", ...where, message: `leaf ${leaf.leafIndex} was anchored as chain ${leaf.chainId} sequence ${leaf.sequence}, but event ${leaf.eventId} is now at chain ${leaf.event.chainId} sequence ${leaf.event.sequence}` });
  }
  let expected: Uint8Array | null = null;
  try {
    expected = hashLeaf(hashFromHex(leaf.event.eventHash));
  } catch {
    // a malformed stored eventHash: the chain pass reports it; the leaf cannot match it
  }
  if (expected === null || !bytesEqual(expected, leaf.nodeHashes.subarray(0, HASH_SIZE))) {
    out.fail({ kind: "leaf_mismatch", ...where, message: `leaf ${leaf.leafIndex} hash ${toHex(leaf.nodeHashes.subarray(0, HASH_SIZE))} is not SHA-256(0x00 || eventHash ${leaf.event.eventHash})` });
  }
}

function checkCheckpoint(cp: CheckpointRow, root: Uint8Array, prev: TreeHeadRef, tenantId: string, verifiers: readonly NoteVerifier[], out: ReportBuilder): void {
  const at = { treeSize: cp.treeSize };
  out.report.checkpointsChecked++;
  try {
    const { checkpoint: body, note } = openCheckpoint(cp.note, verifiers);
    if (!note.verified.some((s) => body.origin === `${s.name}/${tenantId}`)) {
      out.fail({ kind: "checkpoint_note_mismatch", ...at, message: `signed origin ${JSON.stringify(body.origin)} is not <key name>/${tenantId}` });
    }
    if (body.treeSize !== cp.treeSize || toHex(body.rootHash) !== cp.rootHash) {
      out.fail({ kind: "checkpoint_note_mismatch", ...at, message: `the signed note says tree size ${body.treeSize} root ${toHex(body.rootHash)}, the row says ${cp.treeSize} ${cp.rootHash}` });
    }
  } catch (e) {
    const reason = e instanceof SigningError ? e.reason : "error";
    const kind = reason === "malformed_checkpoint" ? "checkpoint_note_mismatch" : "checkpoint_signature";
    out.fail({ kind, ...at, message: `${reason}: ${(e as Error).message}` });
  }
  if (cp.previousTreeSize !== prev.treeSize || cp.previousRootHash !== prev.rootHash) {
    out.fail({ kind: "checkpoint_link", ...at, message: `previous tree size ${cp.previousTreeSize} root ${cp.previousRootHash}, but the checkpoint before it is size ${prev.treeSize} root ${prev.rootHash}` });
  }
  if (cp.rootHash !== toHex(root)) {
    out.fail({ kind: "checkpoint_root_mismatch", ...at, message: `root ${cp.rootHash}, but the leaves recompute ${toHex(root)}` });
  }
}

/** Streams leaves in index order through a CompactRange, meeting each checkpoint at its tree size. */
export async function verifyTree(snapshot: AnchorSnapshot, tenantId: string, verifiers: readonly NoteVerifier[], pageSize: number, out: ReportBuilder): Promise<void> {
  const range = CompactRange.empty();
  const checkpoints = new CheckpointCursor(snapshot, out);
  let prev: TreeHeadRef = { treeSize: 0, rootHash: toHex(EMPTY_ROOT) };
  let stoppedAt: number | null = null;
  let nextSize = 0; // tree size of the next checkpoint to meet (Infinity when none is left)
  const meet = async () => {
    let cp = await checkpoints.peek();
    for (; cp !== null && cp.treeSize <= range.size; cp = await checkpoints.peek()) {
      if (cp.treeSize === range.size) checkCheckpoint(cp, range.root(), prev, tenantId, verifiers, out);
      prev = cp;
      checkpoints.next();
    }
    nextSize = cp?.treeSize ?? Number.POSITIVE_INFINITY;
  };
  await meet();
  for await (const page of snapshot.leaves(pageSize)) {
    for (const leaf of page) {
      if (leaf.leafIndex !== range.size) {
        out.fail({ kind: "leaf_gap", treeSize: range.size, leafIndex: leaf.leafIndex, message: `expected leaf ${range.size} next, found leaf ${leaf.leafIndex}; the tree is checked no further` });
        stoppedAt = range.size;
        break;
      }
      checkLeaf(leaf, out);
      const nodes = range.append(leaf.nodeHashes.subarray(0, HASH_SIZE));
      const stored = leaf.nodeHashes;
      const intact = stored.length === HASH_SIZE * nodes.length && nodes.every((n, k) => bytesEqual(n.hash, stored.subarray(HASH_SIZE * k, HASH_SIZE * (k + 1))));
      if (!intact) {
        out.fail({ kind: "node_mismatch", chainId: leaf.chainId, sequence: leaf.sequence, leafIndex: leaf.leafIndex, message: `the ${stored.length / HASH_SIZE} node hashes stored with leaf ${leaf.leafIndex} differ from the ${nodes.length} recomputed from the leaves` });
      }
      out.report.leavesChecked++;
      if (range.size >= nextSize) await meet();
    }
    out.tick("tree");
    if (stoppedAt !== null) break;
  }
  if (prev.treeSize < range.size && stoppedAt === null) {
    out.fail({ kind: "leaves_beyond_checkpoint", treeSize: range.size, message: `the tree holds ${range.size} leaves but the latest checkpoint covers ${prev.treeSize}` });
  }
  for (let cp = await checkpoints.peek(); cp !== null; cp = await checkpoints.peek()) {
    out.report.checkpointsChecked++;
    const why = stoppedAt === null ? `the tree holds only ${range.size} leaves` : `the tree could not be checked past leaf ${stoppedAt}`;
    out.fail({ kind: "checkpoint_beyond_tree", treeSize: cp.treeSize, message: `checkpoint of tree size ${cp.treeSize}: ${why}` });
    checkpoints.next();
  }
}
