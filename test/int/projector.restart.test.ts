// kill -9 of `ledger project` mid-run, twice, then a restart: no gap, no double application, checksum equals the rebuild.
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import type { EventStore } from "../../src/store/port.ts";
import { PostgresEventStore } from "../../src/store/postgres.ts";
import { openProjectionStore } from "../../src/store/projection-port.ts";
import { EMBEDDED_FILE, SqliteEventStore } from "../../src/store/sqlite.ts";
import { randomTenant } from "../support/events.ts";
import { freshDatabase } from "../support/pg.ts";
import { createdBody, findingIds, referenceChecksum, referenceFold, rng, updateBody, type Body } from "./projector.workload.ts";

const MAIN = resolve(import.meta.dir, "../../src/main.ts");
const TENANTS = 3;
const FINDINGS = 120;
const UPDATES = 12;

interface Target {
  env: Record<string, string>;
  open(): Promise<EventStore>;
  /** Sum of events_applied over every checkpoint, read from outside the projector process. */
  applied(): Promise<number>;
  cleanup(): Promise<void>;
}

async function postgresTarget(): Promise<Target> {
  const db = await freshDatabase();
  const probe = postgres(db.url, { max: 1, onnotice: () => {} });
  return {
    env: { LEDGER__DB__CONNECTIONSTRING: db.url },
    open: async () => PostgresEventStore.open(db.url),
    applied: async () => {
      const [r] = await probe`SELECT coalesce(sum(events_applied), 0)::int8 AS n FROM ledger_projection_checkpoints`.catch(() => [{ n: 0 }]);
      return Number(r!.n);
    },
    cleanup: async () => {
      await probe.end();
      await db.drop();
    },
  };
}

async function sqliteTarget(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), "ledger-restart-"));
  return {
    env: { LEDGER__DATA__DIR: dir },
    open: async () => SqliteEventStore.open({ dataDir: dir }),
    applied: async () => {
      const db = new Database(join(dir, EMBEDDED_FILE), { readonly: true });
      try {
        return db.query<{ n: number }, []>("SELECT coalesce(sum(events_applied), 0) AS n FROM ledger_projection_checkpoints").get()!.n;
      } catch {
        return 0;
      } finally {
        db.close();
      }
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function project(target: Target, args: string[]) {
  return Bun.spawn([process.execPath, MAIN, "project", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...target.env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function run(target: Target, args: string[]) {
  const child = project(target, args);
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { out, err, code };
}

/** Start the projector, SIGKILL it once more than `fraction` of the events are applied (and before all are). */
async function killMidway(target: Target, total: number, fraction: number): Promise<number> {
  const child = project(target, ["--batch-size", "25"]);
  const deadline = Date.now() + 60_000;
  let seen = await target.applied();
  while (seen <= total * fraction && Date.now() < deadline) {
    await Bun.sleep(5);
    seen = await target.applied();
  }
  child.kill("SIGKILL");
  await child.exited;
  expect(child.signalCode).toBe("SIGKILL");
  return target.applied();
}

const TARGETS = [
  { name: "postgres", make: postgresTarget },
  { name: "sqlite", make: sqliteTarget },
];

for (const { name, make } of TARGETS) {
  describe(`projector restart: ${name}`, () => {
    let target: Target;
    afterAll(async () => target?.cleanup());

    test("kill -9 mid-run twice, restart: every event applied exactly once, checksum equals the rebuild", async () => {
      target = await make();
      const ids = findingIds("k-", FINDINGS);
      const tenants = Array.from({ length: TENANTS }, () => randomTenant());
      const r = rng(99);
      let store = await target.open();
      await store.migrations.up();
      const appender = new Appender(store, systemMicroClock());
      for (const t of tenants) {
        const batch: Body[] = ids.map((id) => createdBody(r, id));
        for (let u = 0; u < UPDATES; u++) for (const id of ids) batch.push(updateBody(r, id, { neverClose: true }));
        await appender.appendBatch(t, batch);
      }
      const total = TENANTS * FINDINGS * (UPDATES + 1);
      await store.close(); // the embedded store has one writer process: hand it to the projector

      const first = await killMidway(target, total, 0.15);
      const second = await killMidway(target, total, 0.5);
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(first);
      expect(second).toBeLessThan(total); // both kills landed before the end

      const resumed = await run(target, ["--once"]);
      expect(resumed.err).not.toContain("error");
      expect(resumed.code).toBe(0);
      expect(resumed.out).toContain(`applied ${total - second} events`);

      const rebuilt = await run(target, ["--rebuild"]);
      expect(rebuilt.code).toBe(0);
      const lines = rebuilt.out.trim().split("\n").filter((l) => l.startsWith("tenant "));
      expect(lines).toHaveLength(TENANTS);
      for (const l of lines) expect(l).toContain("equals the live projection");

      store = await target.open();
      try {
        const projection = openProjectionStore(store);
        for (const t of tenants) {
          const live = await projection.checksum(t);
          expect(live.eventsApplied).toBe(FINDINGS * (UPDATES + 1));
          expect(live.findings).toBe(FINDINGS);
          expect(live.checksum).toBe(referenceChecksum(await referenceFold(store, t, ids)));
          expect(rebuilt.out).toContain(`tenant ${t}: ${FINDINGS * (UPDATES + 1)} events, ${FINDINGS} findings, checksum ${live.checksum}`);
        }
      } finally {
        await store.close();
      }
    }, 120_000);
  });
}
