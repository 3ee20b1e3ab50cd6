// Embedded anchor store: the same leaves and checkpoint rows on the one SQLite connection; verify reads a second, read-only one.
import { Database } from "bun:sqlite";
import { EMPTY_ROOT } from "../core/merkle/hash.ts";
import { hashFromHex } from "../core/merkle/hex.ts";
import { rangeNodes, type NodeId } from "../core/merkle/node-id.ts";
import type { AnchorResult, AnchorSnapshot, AnchorStore, CheckpointRow, PendingTenant, SealFn, VerifyEvent, VerifyLeaf } from "./anchor-port.ts";
import { CHECKPOINT_COLUMNS, nodeRows, pickNodes, rowMap, toCheckpoint, type RawCheckpoint } from "./anchor-rows.ts";
import { fromRaw, type RawEventRow } from "./rows.ts";

const CHUNK = 500; // keeps IN (...) lists under SQLite's bound-parameter limit

const NOT_A_LEAF = "NOT EXISTS (SELECT 1 FROM ledger_merkle_leaves l WHERE l.tenant_id = e.tenant_id AND l.event_id = e.event_id)";

/** One writer process commits in position order, so pending = at or above the horizon and not yet a leaf. */
const PENDING = `SELECT e.event_id, e.chain_id, e.sequence, e.event_hash, e.recorded_at_us, e.position FROM ledger_events e
  WHERE e.tenant_id = ? AND e.position >= ? AND ${NOT_A_LEAF}
  ORDER BY e.recorded_at_us, e.chain_id, e.sequence LIMIT ?`;

const COUNT_PENDING = `SELECT count(*) AS n FROM (SELECT 1 FROM ledger_events e WHERE e.tenant_id = ? AND e.position >= ? AND ${NOT_A_LEAF} LIMIT ?)`;

// min() over the (tenant_id, ...) index: one seek per tenant instead of a scan.
const TENANT_EVENTS = `WITH RECURSIVE t(tenant_id) AS (
    SELECT min(tenant_id) FROM ledger_events
    UNION ALL
    SELECT (SELECT min(e.tenant_id) FROM ledger_events e WHERE e.tenant_id > t.tenant_id) FROM t WHERE t.tenant_id IS NOT NULL)
  SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL`;

const HEAD = "SELECT tree_size, root_hash, position_horizon, created_at_us FROM ledger_merkle_roots WHERE tenant_id = ? ORDER BY tree_size DESC LIMIT 1";

const INSERT_LEAF = "INSERT INTO ledger_merkle_leaves (tenant_id, leaf_index, event_id, chain_id, sequence, node_hashes) VALUES (?, ?, ?, ?, ?, ?)";

const INSERT_ROOT = `INSERT INTO ledger_merkle_roots (tenant_id, tree_size, root_hash, previous_tree_size, previous_root_hash,
    first_leaf_index, last_leaf_index, position_horizon, created_at_us, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const VERIFY_EVENTS = `SELECT e.*, l.leaf_index, (e.position < ?) AS must
  FROM ledger_events e LEFT JOIN ledger_merkle_leaves l ON l.tenant_id = e.tenant_id AND l.event_id = e.event_id
  WHERE e.tenant_id = ? AND (e.chain_id, e.sequence) > (?, ?)
  ORDER BY e.chain_id, e.sequence LIMIT ?`;

const VERIFY_LEAVES = `SELECT l.leaf_index, l.event_id, l.chain_id, l.sequence, l.node_hashes,
    e.chain_id AS e_chain_id, e.sequence AS e_sequence, e.event_hash AS e_event_hash
  FROM ledger_merkle_leaves l LEFT JOIN ledger_events e ON e.tenant_id = l.tenant_id AND e.event_id = l.event_id
  WHERE l.tenant_id = ? AND l.leaf_index > ? ORDER BY l.leaf_index LIMIT ?`;

interface Head {
  tree_size: number;
  root_hash: string;
  position_horizon: number;
  created_at_us: number;
}

interface RawLeaf {
  leaf_index: number;
  event_id: string;
  chain_id: string;
  sequence: number;
  node_hashes: Uint8Array;
  e_chain_id: string | null;
  e_sequence: number | null;
  e_event_hash: string | null;
}

const toLeaf = (r: RawLeaf): VerifyLeaf => ({
  leafIndex: r.leaf_index,
  eventId: r.event_id,
  chainId: r.chain_id,
  sequence: r.sequence,
  nodeHashes: r.node_hashes,
  event: r.e_event_hash === null ? null : { chainId: r.e_chain_id!, sequence: r.e_sequence!, eventHash: r.e_event_hash },
});

function readNodesIn(db: Database, tenantId: string, ids: readonly NodeId[]): Uint8Array[] {
  const keys = nodeRows(ids);
  const rows: { leaf_index: number; node_hashes: Uint8Array }[] = [];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const part = keys.slice(i, i + CHUNK);
    rows.push(...db.query<{ leaf_index: number; node_hashes: Uint8Array }, (string | number)[]>(
      `SELECT leaf_index, node_hashes FROM ledger_merkle_leaves WHERE tenant_id = ? AND leaf_index IN (${part.map(() => "?").join(",")})`,
    ).all(tenantId, ...part));
  }
  return pickNodes(ids, rowMap(rows));
}

function checkpointsIn(db: Database, tenantId: string, fromSize: number, limit: number): CheckpointRow[] {
  return db
    .query<RawCheckpoint, [string, number, number]>(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_merkle_roots WHERE tenant_id = ? AND tree_size >= ? ORDER BY tree_size LIMIT ?`)
    .all(tenantId, fromSize, limit)
    .map(toCheckpoint);
}

export class SqliteAnchorStore implements AnchorStore {
  readonly kind = "sqlite" as const;

  constructor(private readonly db: Database) {}

  async tenants(): Promise<string[]> {
    const rows = this.db.query<{ tenant_id: string }, []>(`${TENANT_EVENTS} UNION SELECT DISTINCT tenant_id FROM ledger_merkle_roots`).all();
    return rows.map((r) => r.tenant_id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async pendingTenants(cap: number): Promise<PendingTenant[]> {
    const out: PendingTenant[] = [];
    const head = this.db.query<Head, [string]>(HEAD);
    const count = this.db.query<{ n: number }, [string, number, number]>(COUNT_PENDING);
    for (const { tenant_id } of this.db.query<{ tenant_id: string }, []>(TENANT_EVENTS).all()) {
      const h = head.get(tenant_id);
      const pending = count.get(tenant_id, h?.position_horizon ?? 0, cap)!.n;
      if (pending > 0) out.push({ tenantId: tenant_id, pending, lastCheckpointAtUs: h?.created_at_us ?? null });
    }
    return out;
  }

  async anchorNext(tenantId: string, maxLeaves: number, seal: SealFn): Promise<AnchorResult | "locked" | null> {
    // BEGIN IMMEDIATE: the writer lock for the whole checkpoint; a crash leaves the old tree or the new one.
    return this.db.transaction((): AnchorResult | null => {
      const head = this.db.query<Head, [string]>(HEAD).get(tenantId);
      const horizon = head?.position_horizon ?? 0;
      const raw = this.db
        .query<{ event_id: string; chain_id: string; sequence: number; event_hash: string; recorded_at_us: number; position: number }, [string, number, number]>(PENDING)
        .all(tenantId, horizon, maxLeaves + 1);
      if (raw.length === 0) return null;
      const more = raw.length > maxLeaves;
      const taken = raw.slice(0, maxLeaves);
      const treeSize = head?.tree_size ?? 0;
      const frontier = readNodesIn(this.db, tenantId, rangeNodes(0, treeSize));
      const { leaves, checkpoint: cp } = seal(
        { tenantId, treeSize, rootHash: head ? hashFromHex(head.root_hash) : EMPTY_ROOT.slice(), frontier },
        taken.map((r) => ({ eventId: r.event_id, chainId: r.chain_id, sequence: r.sequence, eventHash: r.event_hash, recordedAtUs: r.recorded_at_us })),
      );
      const insert = this.db.prepare(INSERT_LEAF);
      for (const l of leaves) insert.run(tenantId, l.leafIndex, l.eventId, l.chainId, l.sequence, l.nodeHashes);
      // Everything at or above the old horizon is now a leaf, unless events were left for the next pass.
      const nextHorizon = more ? horizon : taken.reduce((h, r) => Math.max(h, r.position + 1), horizon);
      this.db.query(INSERT_ROOT).run(tenantId, cp.treeSize, cp.rootHash, cp.previousTreeSize, cp.previousRootHash, cp.previousTreeSize, cp.treeSize - 1, nextHorizon, cp.createdAtUs, cp.note);
      return { checkpoint: cp, leaves: leaves.length, more };
    }).immediate();
  }

  async latestCheckpoint(tenantId: string): Promise<CheckpointRow | null> {
    const r = this.db.query<RawCheckpoint, [string]>(`SELECT ${CHECKPOINT_COLUMNS} FROM ledger_merkle_roots WHERE tenant_id = ? ORDER BY tree_size DESC LIMIT 1`).get(tenantId);
    return r ? toCheckpoint(r) : null;
  }

  async listCheckpoints(tenantId: string, fromSize: number, limit: number): Promise<CheckpointRow[]> {
    return checkpointsIn(this.db, tenantId, fromSize, limit);
  }

  async leafIndexOf(tenantId: string, eventId: string): Promise<number | null> {
    const r = this.db.query<{ leaf_index: number }, [string, string]>("SELECT leaf_index FROM ledger_merkle_leaves WHERE tenant_id = ? AND event_id = ?").get(tenantId, eventId);
    return r ? r.leaf_index : null;
  }

  async readNodes(tenantId: string, ids: readonly NodeId[]): Promise<Uint8Array[]> {
    return readNodesIn(this.db, tenantId, ids);
  }

  async withSnapshot<T>(tenantId: string, fn: (snapshot: AnchorSnapshot) => Promise<T>): Promise<T> {
    // A second, read-only connection holding one WAL read transaction: the writer (appends, the
    // anchorer) carries on, and every page below sees the same committed state.
    const db = new Database(this.db.filename, { readonly: true, strict: true });
    try {
      db.run("PRAGMA busy_timeout = 5000");
      db.run("BEGIN");
      const horizon = db.query<Head, [string]>(HEAD).get(tenantId)?.position_horizon ?? 0;
      const events = db.query<RawEventRow & { must: number }, [number, string, string, number, number]>(VERIFY_EVENTS);
      const leaves = db.query<RawLeaf, [string, number, number]>(VERIFY_LEAVES);
      // Keyset pages: SQLite walks the primary-key indexes in order for each page.
      const snapshot: AnchorSnapshot = {
        async *events(pageSize) {
          for (let after = { chainId: "", sequence: 0 }; ; ) {
            const rows = events.all(horizon, tenantId, after.chainId, after.sequence, pageSize);
            if (rows.length > 0) yield rows.map((r): VerifyEvent => ({ ...fromRaw(r), mustBeAnchored: r.must === 1 }));
            if (rows.length < pageSize) return;
            after = { chainId: rows[rows.length - 1]!.chain_id, sequence: Number(rows[rows.length - 1]!.sequence) };
          }
        },
        async *leaves(pageSize) {
          for (let after = -1; ; ) {
            const rows = leaves.all(tenantId, after, pageSize);
            if (rows.length > 0) yield rows.map(toLeaf);
            if (rows.length < pageSize) return;
            after = rows[rows.length - 1]!.leaf_index;
          }
        },
        async *checkpoints(pageSize) {
          for (let after = 0; ; ) {
            const rows = checkpointsIn(db, tenantId, after + 1, pageSize);
            if (rows.length > 0) yield rows;
            if (rows.length < pageSize) return;
            after = rows[rows.length - 1]!.treeSize;
          }
        },
        readNodes: async (ids) => readNodesIn(db, tenantId, ids),
      };
      return await fn(snapshot);
    } finally {
      try {
        db.run("COMMIT");
      } finally {
        db.close();
      }
    }
  }
}
