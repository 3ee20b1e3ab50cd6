// Embedded driver: one SQLite file via bun:sqlite, WAL with synchronous=FULL (every commit survives power loss).
import { Database, type Statement } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LedgerError } from "../core/errors.ts";
import type { StoredEvent } from "../core/events/types.ts";
import { SQLITE_MIGRATIONS } from "./migrate/files.ts";
import { planMigrations, type AppliedMigration } from "./migrate/plan.ts";
import type { ChainHead, EventRow, EventStore, MigrationPort } from "./port.ts";
import { rowKey } from "./port.ts";
import { EVENT_COLUMNS, fromRaw, toStoredEvent, toTuple, type RawEventRow } from "./rows.ts";
import { acquireWriterLock, type WriterLock } from "./writer-lock.ts";

export const EMBEDDED_FILE = "ledger.db";

export interface SqliteOptions {
  dataDir: string;
  /** Read-only commands open without the writer lock and cannot write. */
  readonly?: boolean;
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS ledger_schema_migrations (
  version TEXT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`;

const CHUNK = 500; // keeps IN (...) lists under SQLite's bound-parameter limit
/** Reads that show the event's leaf index once anchored (ledger_merkle_leaves, sql/sqlite/002). */
const WITH_LEAF_INDEX = `SELECT e.*, l.leaf_index FROM ledger_events e
  LEFT JOIN ledger_merkle_leaves l ON l.tenant_id = e.tenant_id AND l.event_id = e.event_id`;

export class SqliteEventStore implements EventStore {
  readonly kind = "sqlite" as const;
  readonly migrations: MigrationPort;
  /** The one connection: companion stores (anchor, projection) write through it too. */
  readonly db: Database;
  private readonly lock: WriterLock | null;
  private insertStmt: Statement | null = null;

  private constructor(db: Database, lock: WriterLock | null) {
    this.db = db;
    this.lock = lock;
    this.migrations = {
      plan: async () => planMigrations(SQLITE_MIGRATIONS, this.applied()),
      up: async () => this.migrateUp(),
    };
  }

  static open(opts: SqliteOptions): SqliteEventStore {
    const file = join(opts.dataDir, EMBEDDED_FILE);
    if (opts.readonly) {
      let db: Database;
      try {
        db = new Database(file, { readonly: true, strict: true });
      } catch (e) {
        throw new LedgerError("unavailable", `cannot open the embedded store ${file} read-only: ${(e as Error).message}`);
      }
      db.run("PRAGMA busy_timeout = 5000");
      return new SqliteEventStore(db, null);
    }
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const lock = acquireWriterLock(opts.dataDir);
    try {
      const db = new Database(file, { create: true, strict: true });
      db.run("PRAGMA journal_mode = WAL");
      db.run("PRAGMA synchronous = FULL");
      db.run("PRAGMA busy_timeout = 5000");
      db.run("PRAGMA foreign_keys = ON");
      db.run(MIGRATIONS_TABLE);
      return new SqliteEventStore(db, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  private applied(): AppliedMigration[] {
    const exists = this.db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger_schema_migrations'").get();
    if (!exists) return [];
    return this.db
      .query<{ version: string; name: string; checksum: string; applied_at: string }, []>("SELECT version, name, checksum, applied_at FROM ledger_schema_migrations ORDER BY version")
      .all()
      .map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAt: r.applied_at }));
  }

  private migrateUp(): AppliedMigration[] {
    const done: AppliedMigration[] = [];
    // BEGIN IMMEDIATE takes the write lock: concurrent migrators serialise, the loser sees nothing pending.
    this.db.transaction(() => {
      const plan = planMigrations(SQLITE_MIGRATIONS, this.applied());
      if (plan.problems.length > 0) throw new LedgerError("migration_failed", plan.problems.join("; "));
      for (const m of plan.pending) {
        this.db.run(m.sql);
        const appliedAt = new Date().toISOString();
        this.db.query("INSERT INTO ledger_schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)").run(m.version, m.name, m.checksum, appliedAt);
        done.push({ version: m.version, name: m.name, checksum: m.checksum, appliedAt });
      }
    }).immediate();
    this.insertStmt = null;
    return done;
  }

  private insert(): Statement {
    this.insertStmt ??= this.db.prepare(
      `INSERT INTO ledger_events (${EVENT_COLUMNS.join(", ")}) VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")}) ON CONFLICT DO NOTHING`,
    );
    return this.insertStmt;
  }

  async loadHeads(tenantId: string, chainIds: readonly string[]): Promise<Map<string, ChainHead>> {
    const out = new Map<string, ChainHead>();
    const q = this.db.query<{ sequence: number; event_hash: string; finding_status: string | null }, [string, string]>(
      "SELECT sequence, event_hash, finding_status FROM ledger_events WHERE tenant_id = ? AND chain_id = ? ORDER BY sequence DESC LIMIT 1",
    );
    for (const chainId of chainIds) {
      const r = q.get(tenantId, chainId);
      if (r) out.set(chainId, { sequence: r.sequence, eventHash: r.event_hash, findingStatus: r.finding_status as ChainHead["findingStatus"] });
    }
    return out;
  }

  async findEvents(tenantId: string, eventIds: readonly string[]): Promise<Map<string, EventRow>> {
    const out = new Map<string, EventRow>();
    for (let i = 0; i < eventIds.length; i += CHUNK) {
      const ids = eventIds.slice(i, i + CHUNK);
      const rows = this.db
        .query<RawEventRow, string[]>(`SELECT * FROM ledger_events WHERE tenant_id = ? AND event_id IN (${ids.map(() => "?").join(",")})`)
        .all(tenantId, ...ids);
      for (const r of rows) out.set(r.event_id, fromRaw(r));
    }
    return out;
  }

  async insertEach(rows: readonly EventRow[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    const stmt = this.insert();
    this.db.transaction(() => {
      for (const r of rows) {
        const res = stmt.run(...toTuple(r));
        if (res.changes === 1) inserted.add(rowKey(r.tenantId, r.eventId));
      }
    }).immediate();
    return inserted;
  }

  async insertAll(_tenantId: string, rows: readonly EventRow[]): Promise<boolean> {
    const stmt = this.insert();
    const conflict = new Error("conflict");
    try {
      this.db.transaction(() => {
        for (const r of rows) if (stmt.run(...toTuple(r)).changes !== 1) throw conflict;
      }).immediate();
      return true;
    } catch (e) {
      if (e === conflict) return false;
      throw e;
    }
  }

  async getEvent(tenantId: string, eventId: string): Promise<StoredEvent | null> {
    const r = this.db.query<RawEventRow, [string, string]>(`${WITH_LEAF_INDEX} WHERE e.tenant_id = ? AND e.event_id = ?`).get(tenantId, eventId);
    return r ? toStoredEvent(fromRaw(r)) : null;
  }

  async listChain(tenantId: string, chainId: string, afterSequence: number, limit: number): Promise<StoredEvent[]> {
    return this.db
      .query<RawEventRow, [string, string, number, number]>(
        `${WITH_LEAF_INDEX} WHERE e.tenant_id = ? AND e.chain_id = ? AND e.sequence > ? ORDER BY e.sequence LIMIT ?`,
      )
      .all(tenantId, chainId, afterSequence, limit)
      .map((r) => toStoredEvent(fromRaw(r)));
  }

  async countEvents(tenantId: string): Promise<number> {
    return this.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM ledger_events WHERE tenant_id = ?").get(tenantId)!.n;
  }

  async ping(): Promise<void> {
    this.db.query("SELECT 1").get();
  }

  async close(): Promise<void> {
    this.db.close();
    this.lock?.release();
  }
}
