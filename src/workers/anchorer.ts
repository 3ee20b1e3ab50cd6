// The anchorer worker: seals each tenant's pending events into its Merkle tree and signs a checkpoint, per interval or batch.
import { LedgerError } from "../core/errors.ts";
import { CompactRange } from "../core/merkle/compact-range.ts";
import { HASH_SIZE, hashLeaf } from "../core/merkle/hash.ts";
import { bytesEqual, hashFromHex, toHex } from "../core/merkle/hex.ts";
import { checkpointOrigin, signCheckpoint } from "../core/signing/checkpoint.ts";
import type { WorkerState } from "../http/context.ts";
import type { SigningKey } from "../ledger/signing-key.ts";
import { WorkerLoop } from "./loop.ts";
import type { Logger } from "../observability/logger.ts";
import type { AnchorStore, NewLeaf, SealFn } from "../store/anchor-port.ts";

/** Leaves per checkpoint transaction: a backlog becomes several checkpoints, each a bounded write. */
export const DEFAULT_MAX_LEAVES = 50_000;

/**
 * The tree step run inside the store's transaction: rebuild the frontier, refuse to extend a tree
 * whose stored nodes disagree with its last checkpoint, append each event's RFC 9162 leaf hash
 * (SHA-256(0x00 || eventHash)), keep every node that completes, sign the new tree head.
 */
export function sealWith(key: SigningKey, nowUs: () => number): SealFn {
  return (head, events) => {
    const range = CompactRange.fromNodes(head.treeSize, head.frontier);
    const folded = range.root();
    if (!bytesEqual(folded, head.rootHash)) {
      throw new LedgerError("internal", `tenant ${head.tenantId}: the stored frontier of tree size ${head.treeSize} folds to ${toHex(folded)}, not the checkpoint root ${toHex(head.rootHash)}; anchoring stopped, run \`ledger verify --tenant ${head.tenantId}\``);
    }
    const leaves: NewLeaf[] = events.map((e, i) => {
      const nodes = range.append(hashLeaf(hashFromHex(e.eventHash)));
      const nodeHashes = new Uint8Array(HASH_SIZE * nodes.length);
      nodes.forEach((n, k) => nodeHashes.set(n.hash, HASH_SIZE * k));
      return { leafIndex: head.treeSize + i, eventId: e.eventId, chainId: e.chainId, sequence: e.sequence, nodeHashes };
    });
    const root = range.root();
    const note = signCheckpoint({ origin: checkpointOrigin(key.name, head.tenantId), treeSize: range.size, rootHash: root }, key.signer);
    return {
      leaves,
      checkpoint: {
        tenantId: head.tenantId,
        treeSize: range.size,
        rootHash: toHex(root),
        previousTreeSize: head.treeSize,
        previousRootHash: toHex(head.rootHash),
        createdAtUs: nowUs(),
        note,
      },
    };
  };
}

/** One checkpoint written, for metrics (issue 8: ledger_merkle_anchor_duration_seconds). */
export interface AnchorSample {
  tenantId: string;
  treeSize: number;
  leaves: number;
  seconds: number;
}

export interface AnchorerOptions {
  anchors: AnchorStore;
  key: SigningKey;
  log: Logger;
  /** LEDGER__MERKLE__ANCHORINTERVAL: a tenant's pending events wait at most this long after its last checkpoint. */
  intervalSeconds: number;
  /** LEDGER__MERKLE__ANCHORBATCH: seal early once this many events are pending. */
  batch: number;
  maxLeaves?: number;
  /** How often pending counts are looked at (default: 1 s, or the interval if shorter). */
  pollMs?: number;
  nowUs?: () => number;
  onAnchored?: (sample: AnchorSample) => void;
  onFailure?: (tenantId: string, error: Error) => void;
}

export class Anchorer {
  readonly stats = { checkpoints: 0, leaves: 0, failures: 0 };
  private readonly seal: SealFn;
  private readonly maxLeaves: number;
  private readonly pollMs: number;
  private readonly nowUs: () => number;
  private readonly failures = new Map<string, string>();
  private readonly loop: WorkerLoop;
  /** Set by stop(): a draining tenant stops after its current checkpoint. */
  private halted = false;

  constructor(private readonly opts: AnchorerOptions) {
    this.nowUs = opts.nowUs ?? (() => Date.now() * 1000);
    this.seal = sealWith(opts.key, this.nowUs);
    this.maxLeaves = opts.maxLeaves ?? DEFAULT_MAX_LEAVES;
    this.pollMs = opts.pollMs ?? Math.max(50, Math.min(1000, opts.intervalSeconds * 1000));
    this.loop = new WorkerLoop({
      name: "anchorer",
      log: opts.log,
      pollMs: this.pollMs,
      // Always pause after a pass: due tenants were sealed until nothing was pending.
      step: async () => (await this.pass(), false),
      failures: this.failures,
      detail: () => `${this.stats.checkpoints} checkpoints, ${this.stats.leaves} leaves`,
    });
  }

  /** Anchor one tenant until nothing is pending (or another anchorer holds it); returns the leaves added. */
  async anchorTenant(tenantId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const started = performance.now();
      const r = await this.opts.anchors.anchorNext(tenantId, this.maxLeaves, this.seal);
      if (r === null || r === "locked") return total;
      total += r.leaves;
      this.stats.checkpoints++;
      this.stats.leaves += r.leaves;
      const sample = { tenantId, treeSize: r.checkpoint.treeSize, leaves: r.leaves, seconds: (performance.now() - started) / 1000 };
      this.opts.log.info("checkpoint signed", { tenant: tenantId, treeSize: sample.treeSize, leaves: sample.leaves, rootHash: r.checkpoint.rootHash });
      this.opts.onAnchored?.(sample);
      if (!r.more || this.halted) return total;
    }
  }

  /**
   * One look at every tenant with pending events: anchor those due (`force`: all of them).
   * Returns the leaves added. A failing tenant is logged and kept in problems(), not thrown.
   */
  async pass(force = false): Promise<number> {
    let added = 0;
    const now = this.nowUs();
    for (const t of await this.opts.anchors.pendingTenants(this.opts.batch)) {
      const due = force || t.pending >= this.opts.batch || t.lastCheckpointAtUs === null || now - t.lastCheckpointAtUs >= this.opts.intervalSeconds * 1e6;
      if (!due) continue;
      try {
        added += await this.anchorTenant(t.tenantId);
        this.failures.delete(t.tenantId);
      } catch (e) {
        const message = (e as Error).message;
        this.stats.failures++;
        this.opts.onFailure?.(t.tenantId, e as Error);
        if (this.failures.get(t.tenantId) !== message) this.opts.log.error("anchoring failed", { tenant: t.tenantId, error: message });
        this.failures.set(t.tenantId, message);
      }
    }
    return added;
  }

  /** Seal everything committed now, whatever the interval (`ledger anchor --once`). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.pass(true);
      total += n;
      if (n === 0) return total;
    }
  }

  start(): void {
    this.halted = false;
    this.loop.start();
  }

  /** Finish the checkpoint in flight, then stop (a backlog is left for the next start); safe to call twice. */
  stop(): Promise<void> {
    this.halted = true;
    return this.loop.stop();
  }

  problems(): string[] {
    return this.loop.problems();
  }

  state(): WorkerState {
    return this.loop.state();
  }
}
