// Opens each store driver on a fresh, migrated, throwaway database: the contract suites run against both.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import type { EventStore } from "../../src/store/port.ts";
import { SqliteEventStore, EMBEDDED_FILE } from "../../src/store/sqlite.ts";
import { Database } from "bun:sqlite";
import { freshDatabase } from "./pg.ts";

export interface OpenedStore {
  store: EventStore;
  /** Another store over the same database, as a second process or replica would have (PostgreSQL only). */
  reopen(): EventStore;
  /** Run raw SQL as the database owner / superuser, bypassing the ledger (for tamper and trigger tests). */
  raw(sql: string, params?: unknown[]): Promise<unknown[]>;
  cleanup(): Promise<void>;
}

export interface Driver {
  name: "sqlite" | "postgres";
  open(): Promise<OpenedStore>;
}

export const sqliteDriver: Driver = {
  name: "sqlite",
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "ledger-sqlite-"));
    const store = SqliteEventStore.open({ dataDir: dir });
    await store.migrations.up();
    const side = new Database(join(dir, EMBEDDED_FILE));
    return {
      store,
      reopen: () => {
        throw new Error("the embedded store has exactly one writer process");
      },
      raw: async (sql, params = []) => side.query(sql).all(...(params as never[])),
      cleanup: async () => {
        side.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresDriver: Driver = {
  name: "postgres",
  async open() {
    const db = await freshDatabase();
    const store = PostgresEventStore.open(db.url);
    await store.migrations.up();
    const extra: EventStore[] = [];
    const admin = postgres(db.url, { max: 1, onnotice: () => {} });
    return {
      store,
      reopen: () => {
        const s = PostgresEventStore.open(db.url);
        extra.push(s);
        return s;
      },
      raw: async (sql, params = []) => [...(await admin.unsafe(sql, params as never[]))],
      cleanup: async () => {
        await Promise.all([store.close(), admin.end(), ...extra.map((s) => s.close())]);
        await db.drop();
      },
    };
  },
};

export const DRIVERS: Driver[] = [sqliteDriver, postgresDriver];
