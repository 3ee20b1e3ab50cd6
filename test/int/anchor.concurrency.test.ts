// PostgreSQL only (the embedded store has one writer process): competing anchorers and late commits give one tree, no fork, no duplicate, no skipped event.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { verifyTenant } from "../../src/ledger/verifier.ts";
import { openAnchorStore } from "../../src/store/anchor-port.ts";
import type { PostgresEventStore } from "../../src/store/postgres.ts";
import { created, comment, randomTenant } from "../support/events.ts";
import { postgresDriver, type OpenedStore } from "../support/stores.ts";
import { anchorer, appendWorkload, eventsInAnchorOrder, insertRowSql, linkedRow, storedLeaves, testKey } from "./anchor.fixtures.ts";

const key = testKey();

describe("anchorers on one PostgreSQL database", () => {
  let opened: OpenedStore;
  beforeAll(async () => {
    opened = await postgresDriver.open();
  }, 60_000);
  afterAll(async () => opened.cleanup());

  test("two anchorers racing while writers append produce one consistent tree (no fork, no duplicate leaf)", async () => {
    const tenant = randomTenant();
    const writers = [opened.store, opened.reopen()].map((s) => new Appender(s, systemMicroClock()));
    const anchors = [openAnchorStore(opened.reopen()), openAnchorStore(opened.reopen())];
    const workers = anchors.map((a) => anchorer(a, key, { maxLeaves: 13 }));
    let writing = true;
    const findings: string[] = [];
    const write = async (w: Appender, n: number) => {
      for (let i = 0; writing; i++) {
        if (i % 3 === 0 || findings.length === 0) {
          const e = created();
          await w.appendOne(tenant, e);
          findings.push(e.findingId);
        } else {
          // Two writers may race on one chain: a lost race is a 409 that the next round retries elsewhere.
          await w.appendOne(tenant, comment(findings[(i * 7 + n) % findings.length]!)).catch(() => {});
        }
      }
    };
    const race = async (i: number) => {
      while (writing) await workers[i]!.pass(true);
    };
    const running = [write(writers[0]!, 0), write(writers[1]!, 1), write(writers[0]!, 2), race(0), race(1)];
    await Bun.sleep(2500);
    writing = false;
    await Promise.all(running);
    await workers[0]!.drain();

    expect(workers.every((w) => w.problems().length === 0 && w.stats.checkpoints > 0)).toBe(true);
    const events = await eventsInAnchorOrder(opened, tenant, "postgres");
    const leaves = await storedLeaves(opened, tenant, "postgres");
    expect(leaves.length).toBe(events.length);
    expect(leaves.map((l) => l.leafIndex)).toEqual(leaves.map((_, i) => i));
    expect(new Set(leaves.map((l) => l.eventId)).size).toBe(leaves.length);
    expect(new Set(leaves.map((l) => l.eventId))).toEqual(new Set(events.map((e) => e.eventId)));

    const store = openAnchorStore(opened.store);
    const cps = await store.listCheckpoints(tenant, 0, 1000);
    expect(cps.length).toBe(workers[0]!.stats.checkpoints + workers[1]!.stats.checkpoints);
    cps.forEach((c, i) => expect(c.previousTreeSize).toBe(i === 0 ? 0 : cps[i - 1]!.treeSize));
    expect(cps[cps.length - 1]!.treeSize).toBe(events.length);
    const report = await verifyTenant(store, tenant, { verifiers: [key.verifier] });
    expect(report.failures).toEqual([]);
    expect(report.eventsChecked).toBe(events.length);
  }, 30_000);

  test("the database refuses a fork: a second checkpoint extending the same tree size", async () => {
    const tenant = randomTenant();
    await appendWorkload(new Appender(opened.store, systemMicroClock()), tenant, 2, 0);
    await anchorer(openAnchorStore(opened.store), key).drain();
    await expect(
      opened.raw(
        `INSERT INTO ledger_merkle_roots (tenant_id, tree_size, root_hash, previous_tree_size, previous_root_hash, first_leaf_index, last_leaf_index, tx_horizon, created_at_us, note)
         SELECT tenant_id, 3, root_hash, 0, previous_root_hash, 0, 2, tx_horizon, created_at_us, note FROM ledger_merkle_roots WHERE tenant_id = $1`,
        [tenant],
      ),
    ).rejects.toThrow(/ledger_merkle_roots_previous/);
  });

  test("an event whose transaction commits after later ones were anchored is anchored by the next checkpoint", async () => {
    const tenant = randomTenant();
    const appender = new Appender(opened.store, systemMicroClock());
    const anchors = openAnchorStore(opened.store);
    await appendWorkload(appender, tenant, 2, 0);
    const a = anchorer(anchors, key);
    await a.drain();

    // A writer's transaction takes its id now, inserts, and commits only after the others.
    const late = linkedRow(tenant, { recordedAtUs: Date.now() * 1000 });
    const [sql, params] = insertRowSql("postgres", late);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const lateCommit = (async () => {
      const side = opened.reopen() as PostgresEventStore;
      await side.sql.begin(async (tx) => {
        await tx`SELECT pg_current_xact_id()`;
        await tx.unsafe(sql, params as never[]);
        await gate;
      });
    })();
    await Bun.sleep(200);
    await appendWorkload(appender, tenant, 3, 0); // committed with later transaction ids, recorded later
    await a.drain();
    const before = (await anchors.latestCheckpoint(tenant))!.treeSize;
    expect(before).toBe(2); // everything after the open transaction waits for it (xmin)
    release();
    await lateCommit;
    await a.drain();
    const after = (await anchors.latestCheckpoint(tenant))!;
    expect(after.treeSize).toBe(6);
    expect(await anchors.leafIndexOf(tenant, late.eventId)).not.toBeNull();
    expect((await verifyTenant(anchors, tenant, { verifiers: [key.verifier] })).failures).toEqual([]);
  });
});
