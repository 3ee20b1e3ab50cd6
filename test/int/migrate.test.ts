// Migrations: concurrent migrators serialise on the lock, and an unreachable database is a clean 503-class error.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LedgerError } from "../../src/core/errors.ts";
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from "../../src/store/migrate/files.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { freshDatabase } from "../support/pg.ts";

describe("migrations on PostgreSQL", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test("four concurrent migrators: each migration is applied exactly once", async () => {
    const db = await freshDatabase();
    const stores = Array.from({ length: 4 }, () => PostgresEventStore.open(db.url, { poolSize: 2 }));
    cleanups.push(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await db.drop();
    });
    const applied = await Promise.all(stores.map((s) => s.migrations.up()));
    expect(applied.flat().map((m) => m.version).sort()).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version).sort());
    const plan = await stores[0]!.migrations.plan();
    expect(plan.pending).toEqual([]);
    expect(plan.applied.map((m) => m.checksum)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.checksum));
  });

  test("a fresh database reports every migration pending", async () => {
    const db = await freshDatabase();
    const store = PostgresEventStore.open(db.url, { poolSize: 1 });
    cleanups.push(async () => {
      await store.close();
      await db.drop();
    });
    const plan = await store.migrations.plan();
    expect(plan.applied).toEqual([]);
    expect(plan.pending.map((m) => m.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
  });

  test("an unreachable database is an `unavailable` error, not a crash", async () => {
    const store = PostgresEventStore.open("postgres://postgres@127.0.0.1:1/nowhere", { poolSize: 1 });
    cleanups.push(() => store.close());
    const e = await store.ping().then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(LedgerError);
    expect((e as LedgerError).code).toBe("unavailable");
  });
});

describe("migrations on the embedded store", () => {
  test("applied once, then nothing pending; a reopened file is current", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-migrate-"));
    try {
      const first = SqliteEventStore.open({ dataDir: dir });
      expect((await first.migrations.up()).map((m) => m.version)).toEqual(SQLITE_MIGRATIONS.map((m) => m.version));
      expect(await first.migrations.up()).toEqual([]);
      await first.close();
      const again = SqliteEventStore.open({ dataDir: dir });
      expect((await again.migrations.plan()).pending).toEqual([]);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a second writer on the same file fails with a clear message; a reader may open alongside", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-lock-"));
    const writer = SqliteEventStore.open({ dataDir: dir });
    try {
      await writer.migrations.up();
      expect(() => SqliteEventStore.open({ dataDir: dir })).toThrow(/already open for writing by process \d+/);
      const reader = SqliteEventStore.open({ dataDir: dir, readonly: true });
      expect(await reader.countEvents("acme")).toBe(0);
      await reader.close();
    } finally {
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
    // Once the writer is gone, the lock is free again.
    const dir2 = mkdtempSync(join(tmpdir(), "ledger-lock-"));
    const a = SqliteEventStore.open({ dataDir: dir2 });
    await a.close();
    const b = SqliteEventStore.open({ dataDir: dir2 });
    await b.close();
    rmSync(dir2, { recursive: true, force: true });
  });
});
