// A transaction that began first but commits last is still projected: xmin watermark on PostgreSQL, serialised positions on SQLite.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { canonicalize } from "../../src/core/canonical/jcs.ts";
import { chainIdOf, contentDigestOf, linkEvent } from "../../src/core/chain/link.ts";
import { ZERO_HASH } from "../../src/core/events/types.ts";
import { validateEvent } from "../../src/core/events/validate.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import type { EventRow } from "../../src/store/port.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { openProjectionStore, type ProjectionStore } from "../../src/store/projection-port.ts";
import { EVENT_COLUMNS, toTuple } from "../../src/store/rows.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { foldInto, Projector } from "../../src/workers/projector.ts";
import { randomTenant } from "../support/events.ts";
import { postgresDriver, sqliteDriver, type OpenedStore } from "../support/stores.ts";
import { createdBody, referenceChecksum, referenceFold, rng } from "./projector.workload.ts";

/** A finding.created row exactly as the appender would store it, for raw inserts. */
function createdRow(tenantId: string, findingId: string): EventRow {
  const { draft } = validateEvent(createdBody(rng(findingId.length), findingId));
  const chainId = chainIdOf(tenantId, draft);
  return { ...linkEvent(tenantId, chainId, 1, ZERO_HASH, draft), contentDigest: contentDigestOf(tenantId, chainId, draft), findingStatus: "open", recordedAtUs: Date.now() * 1000 };
}

const tuple = (row: EventRow) => toTuple(row, canonicalize(row.payload)) as unknown as never[];

function setup(open: () => Promise<OpenedStore>) {
  const ctx = {} as { opened: OpenedStore; appender: Appender; projection: ProjectionStore; projector: Projector };
  beforeAll(async () => {
    ctx.opened = await open();
    ctx.appender = new Appender(ctx.opened.store, systemMicroClock());
    ctx.projection = openProjectionStore(ctx.opened.store);
    ctx.projector = new Projector({ projection: ctx.projection, appender: null, log: silentLogger });
  });
  afterAll(async () => ctx.opened.cleanup());
  return ctx;
}

describe("late commit: postgres", () => {
  const ctx = setup(() => postgresDriver.open());

  test("an event whose transaction started first and committed last is applied, and nothing after it is applied before it", async () => {
    const { opened, appender, projection, projector } = ctx;
    const t = randomTenant();
    await appender.appendOne(t, createdBody(rng(1), "already-there"));
    await projector.drain();
    const insert = `INSERT INTO ledger_events (${EVENT_COLUMNS.join(", ")}) VALUES (${EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING tx_id::text AS tx`;
    const sql = (opened.store as PostgresEventStore).sql;
    const early = await sql.reserve();
    const late = await sql.reserve();
    try {
      await early.unsafe("BEGIN");
      const [e] = await early.unsafe<{ tx: string }[]>(insert, tuple(createdRow(t, "early")));
      await late.unsafe("BEGIN");
      const [l] = await late.unsafe<{ tx: string }[]>(insert, tuple(createdRow(t, "late")));
      expect(BigInt(e!.tx)).toBeLessThan(BigInt(l!.tx));
      await late.unsafe("COMMIT");
      // "late" is committed and readable, but a transaction with a smaller id is still open:
      // the watermark (snapshot xmin) holds the projector before both.
      expect(await opened.store.countEvents(t)).toBe(2);
      await projector.drain();
      expect(await projection.pendingTenants()).not.toContain(t);
      // applyNext itself holds back too (not only the pending-tenant scan).
      expect(await projection.applyNext(t, 100, foldInto)).toEqual({ events: 0, findings: 0, lastRecordedAtUs: null });
      expect(await projection.getFinding(t, "late")).toBeNull();
      expect((await projection.checkpoint(t))?.eventsApplied).toBe(1);
      await early.unsafe("COMMIT");
      await projector.drain();
      expect((await projection.getFinding(t, "early"))?.lastSequence).toBe(1);
      expect((await projection.getFinding(t, "late"))?.lastSequence).toBe(1);
      const live = await projection.checksum(t);
      expect(live).toEqual({ checksum: referenceChecksum(await referenceFold(opened.store, t, ["already-there", "early", "late"])), findings: 3, eventsApplied: 3 });
      expect(projector.problems()).toEqual([]);
    } finally {
      await early.unsafe("ROLLBACK").catch(() => {});
      await late.unsafe("ROLLBACK").catch(() => {});
      early.release();
      late.release();
    }
  });

  test("a rolled-back transaction leaves no gap behind it", async () => {
    const { opened, appender, projection, projector } = ctx;
    const t = randomTenant();
    const sql = (opened.store as PostgresEventStore).sql;
    const aborted = await sql.reserve();
    try {
      await aborted.unsafe("BEGIN");
      await aborted.unsafe(`INSERT INTO ledger_events (${EVENT_COLUMNS.join(", ")}) VALUES (${EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`, tuple(createdRow(t, "never")));
      await appender.appendOne(t, createdBody(rng(2), "kept"));
      await projector.drain();
      expect(await projection.getFinding(t, "kept")).toBeNull();
      await aborted.unsafe("ROLLBACK");
      await projector.drain();
      expect(await projection.checksum(t)).toMatchObject({ findings: 1, eventsApplied: 1 });
    } finally {
      aborted.release();
    }
  });
});

describe("late commit: sqlite", () => {
  const ctx = setup(() => sqliteDriver.open());

  test("positions are handed out under the write lock: an open write holds every later writer back, so commit order is position order", async () => {
    const { opened, appender, projection, projector } = ctx;
    const t = randomTenant();
    await appender.appendOne(t, createdBody(rng(1), "already-there"));
    await projector.drain();
    const file = (opened.store as SqliteEventStore).db.filename;
    const early = new Database(file);
    const other = new Database(file);
    try {
      early.run("PRAGMA busy_timeout = 0");
      other.run("PRAGMA busy_timeout = 0");
      early.run("BEGIN IMMEDIATE");
      early.query(`INSERT INTO ledger_events (${EVENT_COLUMNS.join(", ")}) VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")})`).run(...tuple(createdRow(t, "early")));
      // No other transaction can take a position (or commit) while this one is open ...
      expect(() => other.run("BEGIN IMMEDIATE")).toThrow(/locked|busy/i);
      // ... and readers do not see it yet.
      expect(await projection.pendingTenants()).not.toContain(t);
      early.run("COMMIT");
      await appender.appendOne(t, createdBody(rng(2), "after"));
      const positions = other
        .query<{ finding_id: string }, [string]>("SELECT finding_id FROM ledger_events WHERE tenant_id = ? ORDER BY position")
        .all(t)
        .map((r) => r.finding_id);
      expect(positions).toEqual(["already-there", "early", "after"]);
      await projector.drain();
      const live = await projection.checksum(t);
      expect(live).toEqual({ checksum: referenceChecksum(await referenceFold(opened.store, t, ["already-there", "early", "after"])), findings: 3, eventsApplied: 3 });
      expect(projector.problems()).toEqual([]);
    } finally {
      if (early.inTransaction) early.run("ROLLBACK");
      early.close();
      other.close();
    }
  });
});
