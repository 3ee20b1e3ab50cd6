// Concurrent writers: chains stay gapless and recompute, on PostgreSQL with several replicas and on the embedded store.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import { comment, created, randomTenant, verifyAllChains } from "../support/events.ts";

/** Run `jobs` with `writers` concurrent loops pulling from one shared queue. */
async function runWriters<T>(jobs: T[], writers: number, work: (job: T, writer: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (next < jobs.length) await work(jobs[next++]!, w);
    }),
  );
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

for (const driver of DRIVERS) {
  describe(`concurrent appends: ${driver.name}`, () => {
    let opened: OpenedStore;
    beforeAll(async () => {
      opened = await driver.open();
    }, 60_000);
    afterAll(async () => opened.cleanup(), 60_000);

    const chains = 200;
    const perChain = 50;
    test(`16 writers x ${chains} chains x ${perChain} events: no gap, no duplicate, every chain recomputes`, async () => {
      const tenant = randomTenant();
      // On PostgreSQL the writers are spread over two replicas with their own pools and head caches.
      const appenders = driver.name === "postgres"
        ? [new Appender(opened.store, systemMicroClock()), new Appender(opened.reopen(), systemMicroClock())]
        : [new Appender(opened.store, systemMicroClock())];
      const creates = Array.from({ length: chains }, () => created());
      await runWriters(creates, 16, (e, w) => appenders[w % appenders.length]!.appendOne(tenant, e));
      const comments = shuffled(creates.flatMap((c) => Array.from({ length: perChain - 1 }, (_, i) => comment(c.findingId, `note ${i}`))), 42);
      const receipts: string[] = [];
      await runWriters(comments, 16, async (e, w) => receipts.push((await appenders[w % appenders.length]!.appendOne(tenant, e)).receipt.eventHash));
      expect(new Set(receipts).size).toBe(comments.length);
      expect(await opened.store.countEvents(tenant)).toBe(chains * perChain);
      const chainIds = new Set<string>();
      for (const c of creates) chainIds.add((await opened.store.listChain(tenant, (await opened.store.getEvent(tenant, c.eventId))!.chainId, 0, 1))[0]!.chainId);
      const report = await verifyAllChains(opened.store, tenant, chainIds);
      expect(report.failures).toEqual([]);
      expect([...report.lengths.values()].every((n) => n === perChain)).toBe(true);
    }, 120_000);

    test("property: any interleaving of single and batch appends yields gapless chains whose hashes recompute", async () => {
      const op = fc.record({ chain: fc.nat({ max: 5 }), batch: fc.nat({ max: 3 }), concurrent: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
          const tenant = randomTenant();
          const appender = new Appender(opened.store, systemMicroClock());
          const findings = Array.from({ length: 6 }, () => created());
          await appender.appendBatch(tenant, findings);
          let inflight: Promise<unknown>[] = [];
          for (const o of ops) {
            const fid = findings[o.chain]!.findingId;
            const p = o.batch === 0 ? appender.appendOne(tenant, comment(fid)) : appender.appendBatch(tenant, Array.from({ length: o.batch }, () => comment(fid)));
            inflight.push(p);
            if (!o.concurrent) {
              await Promise.all(inflight);
              inflight = [];
            }
          }
          await Promise.all(inflight);
          const expected = 6 + ops.reduce((n, o) => n + Math.max(1, o.batch), 0);
          const chainIds = new Set<string>();
          for (const f of findings) chainIds.add((await opened.store.getEvent(tenant, f.eventId))!.chainId);
          const report = await verifyAllChains(opened.store, tenant, chainIds);
          return report.failures.length === 0 && report.events === expected;
        }),
        { numRuns: driver.name === "postgres" ? 25 : 50 },
      );
    }, 120_000);
  });
}
