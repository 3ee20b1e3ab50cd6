// `ledger verify` as a service: recompute a tenant's chains, leaves, stored nodes and signed checkpoints from one snapshot, streaming.
import { ChainVerifier } from "../core/chain/verify.ts";
import { LedgerError } from "../core/errors.ts";
import type { NoteVerifier } from "../core/signing/note.ts";
import type { AnchorStore } from "../store/anchor-port.ts";
import { verifyTree } from "./verifier-tree.ts";

export type VerifyFailureKind =
  // chains (core/chain/verify.ts)
  | "sequence_gap" | "hash_mismatch" | "previous_hash_mismatch" | "leaf_hash_mismatch" | "wrong_chain"
  // events and leaves
  | "unanchored_event" | "leaf_gap" | "leaf_event_missing" | "leaf_mismatch" | "node_mismatch"
  // checkpoints
  | "checkpoint_signature" | "checkpoint_note_mismatch" | "checkpoint_link" | "checkpoint_root_mismatch"
  | "checkpoint_beyond_tree" | "leaves_beyond_checkpoint" | "consistency_failed";

export interface VerifyFailure {
  kind: VerifyFailureKind;
  chainId?: string;
  sequence?: number;
  treeSize?: number;
  leafIndex?: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  tenant: string;
  chainsChecked: number;
  eventsChecked: number;
  leavesChecked: number;
  checkpointsChecked: number;
  failures: VerifyFailure[];
  /** Failures beyond the reported ones (only counted; `ok` is false either way). */
  failuresOmitted: number;
}

export interface VerifyProgress {
  phase: "events" | "tree";
  events: number;
  leaves: number;
  checkpoints: number;
}

export interface VerifyOptions {
  /** Checkpoint verifier keys (GET /v1/ledger/keys, or the local signing key). At least one. */
  verifiers: readonly NoteVerifier[];
  pageSize?: number;
  /** Failures kept in the report (default 1000); the rest are counted in failuresOmitted. */
  maxFailures?: number;
  progress?: (p: VerifyProgress) => void;
}

/** The report under construction, shared by the event pass and the tree pass. */
export class ReportBuilder {
  readonly report: VerifyReport;

  constructor(tenant: string, private readonly maxFailures: number, private readonly progress?: (p: VerifyProgress) => void) {
    this.report = { ok: true, tenant, chainsChecked: 0, eventsChecked: 0, leavesChecked: 0, checkpointsChecked: 0, failures: [], failuresOmitted: 0 };
  }

  fail(f: VerifyFailure): void {
    this.report.ok = false;
    if (this.report.failures.length < this.maxFailures) this.report.failures.push(f);
    else this.report.failuresOmitted++;
  }

  tick(phase: VerifyProgress["phase"]): void {
    const r = this.report;
    this.progress?.({ phase, events: r.eventsChecked, leaves: r.leavesChecked, checkpoints: r.checkpointsChecked });
  }
}

const DEFAULT_PAGE = 5000;

/**
 * Verifies one tenant: every chain (sequence, previousHash, eventHash, merkleLeafHash), that every
 * event below the anchoring horizon is a leaf, every leaf against its event, every stored node
 * against the nodes recomputed from the leaves, and every checkpoint (signature, body, link to the
 * previous one, root, consistency with the previous one). Memory is one page plus the tree
 * frontier; nothing is held per event.
 */
export async function verifyTenant(anchors: AnchorStore, tenantId: string, opts: VerifyOptions): Promise<VerifyReport> {
  if (opts.verifiers.length === 0) throw new LedgerError("config_invalid", "no checkpoint verifier key: give the signing key or a vkey");
  const pageSize = opts.pageSize ?? DEFAULT_PAGE;
  const out = new ReportBuilder(tenantId, opts.maxFailures ?? 1000, opts.progress);
  return anchors.withSnapshot(tenantId, async (snapshot) => {
    let chain: ChainVerifier | null = null;
    const drain = () => {
      for (const f of chain?.failures.splice(0) ?? []) out.fail(f);
    };
    for await (const page of snapshot.events(pageSize)) {
      for (const e of page) {
        if (chain === null || chain.chainId !== e.chainId) {
          drain();
          chain = new ChainVerifier(tenantId, e.chainId);
          out.report.chainsChecked++;
        }
        chain.push(e);
        if (e.mustBeAnchored && e.leafIndex === null) {
          out.fail({ kind: "unanchored_event", chainId: e.chainId, sequence: e.sequence, message: `event ${e.eventId} was committed before the latest checkpoint's horizon but is not a leaf of the tree` });
        }
      }
      drain();
      out.report.eventsChecked += page.length;
      out.tick("events");
    }
    await verifyTree(snapshot, tenantId, opts.verifiers, pageSize, out);
    return out.report;
  });
}

/** One line per failure, as `ledger verify` prints it: kind, tenant, chain and sequence or tree size. */
export function formatFailure(tenant: string, f: VerifyFailure): string {
  const where = [
    `tenant=${tenant}`,
    f.chainId !== undefined ? `chain=${f.chainId}` : null,
    f.sequence !== undefined ? `sequence=${f.sequence}` : null,
    f.treeSize !== undefined ? `treeSize=${f.treeSize}` : null,
    f.leafIndex !== undefined ? `leafIndex=${f.leafIndex}` : null,
  ].filter((x) => x !== null);
  return `${f.kind} ${where.join(" ")}: ${f.message}`;
}
