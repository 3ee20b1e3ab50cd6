// PostgreSQL anchor store: leaves with their completed nodes and checkpoint rows, one transaction per checkpoint under a per-tenant advisory lock.
import type postgres from "postgres";
import { EMPTY_ROOT } from "../core/merkle/hash.ts";
import { hashFromHex, toHex } from "../core/merkle/hex.ts";
import { rangeNodes, type NodeId } from "../core/merkle/node-id.ts";
import type { AnchorResult, AnchorSnapshot, AnchorStore, CheckpointRow, PendingEvent, PendingTenant, SealFn, VerifyEvent, VerifyLeaf } from "./anchor-port.ts";
import { CHECKPOINT_COLUMNS, nodeRows, pickNodes, rowMap, toCheckpoint, type RawCheckpoint } from "./anchor-rows.ts";
import type { PostgresEventStore } from "./postgres.ts";
import { fromRaw, type RawEventRow } from "./rows.ts";

type Sql = PostgresEventStore["sql"];
type Q = Sql | postgres.TransactionSql<Record<string, never>>;

/** Advisory lock class of the anchorer (two-key form: class, hashtext(tenant)), distinct from the projector's. */
const ANCHOR_LOCK_CLASS = 73_019_775;

/**
 * Pending = committed, below the snapshot xmin, at or above the last checkpoint's horizon, and not
 * yet a leaf. Every transaction id below xmin has ended, and a transaction still to commit has an
 * id at or above it, so a late commit is never skipped: it is pending in a later pass
 * (docs/anchoring.md). The anti-join only covers [horizon, xmin), which a pass that anchors
 * everything pending moves forward.
 */
const PENDING = `SELECT e.event_id::text, e.chain_id::text, e.sequence, e.event_hash, e.recorded_at_us, s.xmin::text AS xmin
  FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s
  JOIN ledger_events e ON e.tenant_id = $1 AND e.tx_id >= $2::xid8 AND e.tx_id < s.xmin
  WHERE NOT EXISTS (SELECT 1 FROM ledger_merkle_leaves l WHERE l.tenant_id = e.tenant_id AND l.event_id = e.event_id)
  ORDER BY e.recorded_at_us, e.chain_id, e.sequence LIMIT $3`;

const TENANT_EVENTS = `WITH RECURSIVE t(tenant_id) AS (
    (SELECT tenant_id FROM ledger_events ORDER BY tenant_id LIMIT 1)
    UNION ALL
    SELECT (SELECT e.tenant_id FROM ledger_events e WHERE e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL)`;

const PENDING_TENANTS = `${TENANT_EVENTS}
  SELECT t.tenant_id, h.created_at_us,
    (SELECT count(*) FROM (SELECT 1 FROM ledger_events e
       WHERE e.tenant_id = t.tenant_id AND e.tx_id >= coalesce(h.tx_horizon, '0'::xid8) AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
         AND NOT EXISTS (SELECT 1 FROM ledger_merkle_leaves l WHERE l.tenant_id = e.tenant_id AND l.event_id = e.event_id)
       LIMIT $1) c) AS pending
  FROM t LEFT JOIN LATERAL (SELECT tx_horizon, created_at_us FROM ledger_merkle_roots r WHERE r.tenant_id = t.tenant_id ORDER BY tree_size DESC LIMIT 1) h ON true
  WHERE t.tenant_id IS NOT NULL`;

const INSERT_LEAVES = `INSERT INTO ledger_merkle_leaves (tenant_id, leaf_index, event_id, chain_id, sequence, node_hashes)
  SELECT $1::text, u.l, u.e, u.c, u.s, decode(u.h, 'hex') FROM unnest($2::int8[], $3::uuid[], $4::uuid[], $5::int8[], $6::text[]) AS u(l, e, c, s, h)`;

const INSERT_ROOT = `INSERT INTO ledger_merkle_roots (tenant_id, tree_size, root_hash, previous_tree_size, previous_root_hash,
    first_leaf_index, last_leaf_index, tx_horizon, created_at_us, note)
  VALUES ($1, $2::int8, $3, $4::int8, $5, $4::int8, $2::int8 - 1, $6::xid8, $7, $8)`;

// Whole-tenant scans for the verify snapshot, read through SQL cursors (DECLARE ... FETCH): one plan
// per scan. The lookups across tables are scalar subqueries on unique indexes, so they stay one index
// probe per row whatever the statistics say (a cursor's fast-start plan over a never-analysed table
// otherwise nests a full scan per row).
const VERIFY_EVENTS = `SELECT e.tenant_id, e.chain_id::text, e.sequence, e.event_id::text, e.event_type, e.finding_id, e.artifact_id, e.policy_version,
    e.actor_id, e.actor_type, e.occurred_at, e.source_run_id::text, e.payload, e.previous_hash, e.event_hash, e.merkle_leaf_hash,
    e.content_digest, e.finding_status, e.recorded_at_us, (e.tx_id < $2::xid8) AS must,
    (SELECT l.leaf_index FROM ledger_merkle_leaves l WHERE l.tenant_id = e.tenant_id AND l.event_id = e.event_id) AS leaf_index
  FROM ledger_events e WHERE e.tenant_id = $1 ORDER BY e.chain_id, e.sequence`;

const VERIFY_LEAVES = `SELECT l.leaf_index, l.event_id::text, l.chain_id::text, l.sequence, l.node_hashes,
    (SELECT ARRAY[e.chain_id::text, e.sequence::text, e.event_hash::text] FROM ledger_events e WHERE e.tenant_id = l.tenant_id AND e.event_id = l.event_id) AS e
  FROM ledger_merkle_leaves l WHERE l.tenant_id = $1 ORDER BY l.leaf_index`;

const VERIFY_CHECKPOINTS = `SELECT ${CHECKPOINT_COLUMNS} FROM ledger_merkle_roots WHERE tenant_id = $1 ORDER BY tree_size`;

interface RawLeaf {
  leaf_index: string;
  event_id: string;
  chain_id: string;
  sequence: string;
  node_hashes: Buffer;
  /** [chain_id, sequence, event_hash] of the event the leaf names; null when the row is gone. */
  e: [string, string, string] | null;
}

/** Streams a query through a named SQL cursor in the snapshot's transaction (cursors may interleave). */
async function* fetchAll<R>(tx: Q, name: string, query: string, params: unknown[], pageSize: number): AsyncGenerator<R[]> {
  await tx.unsafe(`DECLARE ${name} NO SCROLL CURSOR FOR ${query}`, params as never[]);
  try {
    for (;;) {
      const rows = await tx.unsafe<R[]>(`FETCH ${Math.floor(pageSize)} FROM ${name}`);
      if (rows.length > 0) yield [...rows];
      if (rows.length < pageSize) return;
    }
  } finally {
    await tx.unsafe(`CLOSE ${name}`);
  }
}

const toLeaf = (r: RawLeaf): VerifyLeaf => ({
  leafIndex: Number(r.leaf_index),
  eventId: r.event_id,
  chainId: r.chain_id,
  sequence: Number(r.sequence),
  nodeHashes: new Uint8Array(r.node_hashes.buffer, r.node_hashes.byteOffset, r.node_hashes.byteLength),
  event: r.e === null ? null : { chainId: r.e[0], sequence: Number(r.e[1]), eventHash: r.e[2] },
});

async function readNodesIn(q: Q, tenantId: string, ids: readonly NodeId[]): Promise<Uint8Array[]> {
  if (ids.length === 0) return [];
  const rows = await q.unsafe<{ leaf_index: string; node_hashes: Buffer }[]>(
    "SELECT leaf_index, node_hashes FROM ledger_merkle_leaves WHERE tenant_id = $1 AND leaf_index = ANY($2::int8[])",
    [tenantId, nodeRows(ids)] as never[], { prepare: true });
  return pickNodes(ids, rowMap(rows));
}

async function checkpointsIn(q: Q, tenantId: string, fromSize: number, limit: number): Promise<CheckpointRow[]> {
  const rows = await q.unsafe<RawCheckpoint[]>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM ledger_merkle_roots WHERE tenant_id = $1 AND tree_size >= $2 ORDER BY tree_size LIMIT $3`,
    [tenantId, fromSize, limit], { prepare: true });
  return rows.map(toCheckpoint);
}

export class PostgresAnchorStore implements AnchorStore {
  readonly kind = "postgres" as const;

  constructor(private readonly sql: Sql) {}

  async tenants(): Promise<string[]> {
    const rows = await this.sql.unsafe<{ tenant_id: string }[]>(
      `${TENANT_EVENTS} SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL UNION SELECT DISTINCT tenant_id FROM ledger_merkle_roots`);
    return rows.map((r) => r.tenant_id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async pendingTenants(cap: number): Promise<PendingTenant[]> {
    const rows = await this.sql.unsafe<{ tenant_id: string; created_at_us: string | null; pending: string }[]>(PENDING_TENANTS, [cap], { prepare: true });
    return rows
      .filter((r) => Number(r.pending) > 0)
      .map((r) => ({ tenantId: r.tenant_id, pending: Number(r.pending), lastCheckpointAtUs: r.created_at_us === null ? null : Number(r.created_at_us) }));
  }

  anchorNext(tenantId: string, maxLeaves: number, seal: SealFn): Promise<AnchorResult | "locked" | null> {
    return this.sql.begin(async (tx) => {
      const [lock] = await tx.unsafe<{ ok: boolean }[]>("SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok", [ANCHOR_LOCK_CLASS, tenantId], { prepare: true });
      if (!lock!.ok) return "locked" as const;
      // Read after the lock: this statement's snapshot includes the previous holder's commit.
      const [head] = await tx.unsafe<{ tree_size: string; root_hash: string; tx_horizon: string }[]>(
        "SELECT tree_size, root_hash, tx_horizon::text FROM ledger_merkle_roots WHERE tenant_id = $1 ORDER BY tree_size DESC LIMIT 1", [tenantId], { prepare: true });
      const horizon = head?.tx_horizon ?? "0";
      const raw = await tx.unsafe<{ event_id: string; chain_id: string; sequence: string; event_hash: string; recorded_at_us: string; xmin: string }[]>(
        PENDING, [tenantId, horizon, maxLeaves + 1], { prepare: true });
      if (raw.length === 0) return null;
      const more = raw.length > maxLeaves;
      const events: PendingEvent[] = raw.slice(0, maxLeaves).map((r) => ({
        eventId: r.event_id, chainId: r.chain_id, sequence: Number(r.sequence), eventHash: r.event_hash, recordedAtUs: Number(r.recorded_at_us),
      }));
      const treeSize = head ? Number(head.tree_size) : 0;
      const frontier = await readNodesIn(tx, tenantId, rangeNodes(0, treeSize));
      const sealed = seal({ tenantId, treeSize, rootHash: head ? hashFromHex(head.root_hash) : EMPTY_ROOT.slice(), frontier }, events);
      const { leaves, checkpoint: cp } = sealed;
      await tx.unsafe(INSERT_LEAVES, [
        tenantId, leaves.map((l) => l.leafIndex), leaves.map((l) => l.eventId), leaves.map((l) => l.chainId), leaves.map((l) => l.sequence), leaves.map((l) => toHex(l.nodeHashes)),
      ] as never[], { prepare: true });
      // Everything below xmin is now a leaf, unless events were left for the next pass.
      const nextHorizon = more ? horizon : raw[0]!.xmin;
      await tx.unsafe(INSERT_ROOT, [tenantId, cp.treeSize, cp.rootHash, cp.previousTreeSize, cp.previousRootHash, nextHorizon, cp.createdAtUs, cp.note], { prepare: true });
      return { checkpoint: cp, leaves: leaves.length, more };
    }) as Promise<AnchorResult | "locked" | null>;
  }

  async latestCheckpoint(tenantId: string): Promise<CheckpointRow | null> {
    const [r] = await this.sql.unsafe<RawCheckpoint[]>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM ledger_merkle_roots WHERE tenant_id = $1 ORDER BY tree_size DESC LIMIT 1`, [tenantId], { prepare: true });
    return r ? toCheckpoint(r) : null;
  }

  listCheckpoints(tenantId: string, fromSize: number, limit: number): Promise<CheckpointRow[]> {
    return checkpointsIn(this.sql, tenantId, fromSize, limit);
  }

  async leafIndexOf(tenantId: string, eventId: string): Promise<number | null> {
    const [r] = await this.sql.unsafe<{ leaf_index: string }[]>(
      "SELECT leaf_index FROM ledger_merkle_leaves WHERE tenant_id = $1 AND event_id = $2::uuid", [tenantId, eventId], { prepare: true });
    return r ? Number(r.leaf_index) : null;
  }

  readNodes(tenantId: string, ids: readonly NodeId[]): Promise<Uint8Array[]> {
    return readNodesIn(this.sql, tenantId, ids);
  }

  withSnapshot<T>(tenantId: string, fn: (snapshot: AnchorSnapshot) => Promise<T>): Promise<T> {
    // One REPEATABLE READ snapshot for every page: events, leaves and checkpoints agree with each other.
    return this.sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
      const [h] = await tx.unsafe<{ tx_horizon: string }[]>(
        "SELECT tx_horizon::text FROM ledger_merkle_roots WHERE tenant_id = $1 ORDER BY tree_size DESC LIMIT 1", [tenantId]);
      const horizon = h?.tx_horizon ?? "0";
      const snapshot: AnchorSnapshot = {
        async *events(pageSize) {
          for await (const rows of fetchAll<RawEventRow & { must: boolean }>(tx, "verify_events", VERIFY_EVENTS, [tenantId, horizon], pageSize)) {
            yield rows.map((r): VerifyEvent => ({ ...fromRaw(r), mustBeAnchored: r.must }));
          }
        },
        async *leaves(pageSize) {
          for await (const rows of fetchAll<RawLeaf>(tx, "verify_leaves", VERIFY_LEAVES, [tenantId], pageSize)) yield rows.map(toLeaf);
        },
        async *checkpoints(pageSize) {
          for await (const rows of fetchAll<RawCheckpoint>(tx, "verify_checkpoints", VERIFY_CHECKPOINTS, [tenantId], pageSize)) yield rows.map(toCheckpoint);
        },
        readNodes: (ids) => readNodesIn(tx, tenantId, ids),
      };
      return fn(snapshot);
    }) as Promise<T>;
  }
}
