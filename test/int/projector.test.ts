// The projector on both drivers: equals the reference fold after concurrent writers, survives rebuilds, expires accepted risks once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { uuidV5 } from "../../src/core/hash/uuid.ts";
import type { Finding } from "../../src/core/projection/finding.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { NO_FILTER, openProjectionStore, type ProjectionStore } from "../../src/store/projection-port.ts";
import { EXPIRY_EVENT_NAMESPACE, Projector, rebuildProjection } from "../../src/workers/projector.ts";
import { randomTenant } from "../support/events.ts";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import {
  airgapBody, byBytes, concurrently, createdBody, findingIds, referenceChecksum, referenceFold, rng, tryAppend, updateBody,
} from "./projector.workload.ts";

async function allRows(projection: ProjectionStore, tenantId: string): Promise<Map<string, Finding>> {
  const out = new Map<string, Finding>();
  for (let after = ""; ; ) {
    const page = await projection.listFindings(tenantId, NO_FILTER, after, 97);
    for (const f of page) out.set(f.findingId, f);
    if (page.length < 97) return out;
    after = page[page.length - 1]!.findingId;
  }
}

const sortedEntries = (m: Map<string, Finding>) => [...m.entries()].sort(([a], [b]) => byBytes(a, b));

for (const driver of DRIVERS) {
  describe(`projector: ${driver.name}`, () => {
    let opened: OpenedStore;
    let appender: Appender;
    let projection: ProjectionStore;
    beforeAll(async () => {
      opened = await driver.open();
      appender = new Appender(opened.store, systemMicroClock());
      projection = openProjectionStore(opened.store);
    });
    afterAll(async () => opened.cleanup());

    test("projection equals the reference fold after 16 concurrent writers, with projectors running live", async () => {
      const tenants = [randomTenant(), randomTenant()];
      const ids = findingIds("w-", 60);
      const r = rng(7);
      // On PostgreSQL two replicas write and two projectors (own pools) compete for the tenants.
      const replicas = driver.name === "postgres" ? [opened.store, opened.reopen()] : [opened.store];
      const appenders = replicas.map((s) => new Appender(s, systemMicroClock()));
      const projectors = replicas.map((s) => new Projector({ projection: openProjectionStore(s), appender: null, log: silentLogger, batchSize: 37, pollMs: 5 }));
      projectors.forEach((p) => p.start());
      const jobs = [
        ...tenants.flatMap((t) => ids.map((id) => ({ t, body: createdBody(r, id) }))),
        ...Array.from({ length: 1500 }, () => {
          const t = tenants[Math.floor(r() * tenants.length)]!;
          return { t, body: r() < 0.05 ? airgapBody(r) : updateBody(r, ids[Math.floor(r() * ids.length)]!) };
        }),
      ];
      await concurrently(jobs.length, 16, (i, w) => tryAppend(appenders[w % appenders.length]!, jobs[i]!.t, jobs[i]!.body));
      await Promise.all(projectors.map((p) => p.stop()));
      for (const p of projectors) expect(p.problems()).toEqual([]);
      expect(projectors.reduce((n, p) => n + p.stats.eventsApplied, 0)).toBeGreaterThan(0); // they did run live
      const catchUp = new Projector({ projection, appender: null, log: silentLogger });
      await catchUp.drain();
      expect(projectors.reduce((n, p) => n + p.stats.eventsApplied, catchUp.stats.eventsApplied)).toBe(
        (await Promise.all(tenants.map((t) => opened.store.countEvents(t)))).reduce((a, b) => a + b, 0),
      );
      for (const t of tenants) {
        const reference = await referenceFold(opened.store, t, ids);
        expect(sortedEntries(await allRows(projection, t))).toEqual(sortedEntries(reference));
        const live = await projection.checksum(t);
        expect(live.checksum).toBe(referenceChecksum(reference));
        expect(live.eventsApplied).toBe(await opened.store.countEvents(t));
        const rebuilt = await rebuildProjection(projection, t, { pageSize: 41 });
        expect(rebuilt.checksum).toBe(live.checksum);
        expect(rebuilt.events).toBe(live.eventsApplied);
      }
      expect(await projection.pendingTenants()).toEqual([]);
    }, 120_000);

    test("rebuild repairs a damaged projection; the live projector carries on from its checkpoint", async () => {
      const t = randomTenant();
      const ids = findingIds("r-", 12);
      const r = rng(11);
      for (const id of ids) await tryAppend(appender, t, createdBody(r, id));
      for (let i = 0; i < 120; i++) await tryAppend(appender, t, updateBody(r, ids[i % ids.length]!));
      const projector = new Projector({ projection, appender: null, log: silentLogger, batchSize: 25 });
      await projector.drain();
      const good = await projection.checksum(t);
      const placeholders = (sql: string) => (driver.name === "sqlite" ? sql.replace(/\$\d+/g, "?") : sql);
      await opened.raw(placeholders("DELETE FROM ledger_findings WHERE tenant_id = $1 AND finding_id = $2"), [t, ids[3]]);
      expect((await projection.checksum(t)).checksum).not.toBe(good.checksum);
      const progress: number[] = [];
      const rebuilt = await rebuildProjection(projection, t, { pageSize: 10, progress: (n) => progress.push(n) });
      expect(rebuilt.checksum).toBe(good.checksum);
      expect(rebuilt.findings).toBe(ids.length);
      expect(progress.at(-1)).toBe(rebuilt.events);
      expect(await projection.checksum(t)).toEqual(good);
      for (let i = 0; i < 40; i++) await tryAppend(appender, t, updateBody(r, ids[i % ids.length]!));
      await projector.drain();
      expect(projector.problems()).toEqual([]);
      const reference = await referenceFold(opened.store, t, ids);
      expect((await projection.checksum(t)).checksum).toBe(referenceChecksum(reference));
    }, 60_000);

    test("non-finding events move the checkpoint and make no rows", async () => {
      const t = randomTenant();
      const r = rng(3);
      for (let i = 0; i < 5; i++) await appender.appendOne(t, airgapBody(r));
      expect(await projection.pendingTenants()).toContain(t);
      const applied = await projection.applyNext(t, 100, (current, events) => {
        expect(events.map((e) => e.eventType)).toEqual(Array(5).fill("airgap.time_anchor_updated"));
        return new Map();
      });
      expect(applied).toEqual({ events: 5, findings: 0, lastRecordedAtUs: expect.any(Number) });
      expect(await projection.applyNext(t, 100, () => new Map())).toEqual({ events: 0, findings: 0, lastRecordedAtUs: null });
      expect((await projection.checkpoint(t))?.eventsApplied).toBe(5);
      expect(await projection.checksum(t)).toMatchObject({ findings: 0, eventsApplied: 5 });
      expect(await projection.pendingTenants()).not.toContain(t);
    });

    test("an accepted risk past its expiry is reopened once, by the ledger, idempotently; a renewal that lands first wins", async () => {
      const t = randomTenant();
      const [a, b] = ["risk-a", "risk-b"];
      const risk = (id: string, expiresAt: string, occurredAt = "2026-03-01T00:00:00Z") => ({
        eventId: crypto.randomUUID(), eventType: "finding.accepted_risk", findingId: id, actor: { id: "alice@example.com", type: "operator" },
        occurredAt, payload: { reason: "mitigated", expiresAt },
      });
      for (const id of [a, b]) {
        await appender.appendOne(t, { ...createdBody(rng(1), id), occurredAt: "2026-02-01T00:00:00Z" });
        await appender.appendOne(t, risk(id, "2026-04-01T00:00:00+02:00"));
      }
      const nowMs = Date.parse("2026-05-01T00:00:00Z");
      const projector = new Projector({ projection, appender, log: silentLogger, now: () => nowMs });
      await projector.drain();
      const before = (await projection.getFinding(t, a))!;
      expect(before.status).toBe("accepted_risk");
      expect((await projection.dueExpiries(nowMs, 1000)).filter((d) => d.tenantId === t).map((d) => d.finding.findingId).sort()).toEqual([a, b]);
      // b is renewed before the projector sees it: its expiry append must lose on expectedSequence.
      await appender.appendOne(t, risk(b, "2099-01-01T00:00:00Z", "2026-04-15T00:00:00Z"));
      expect(await projector.expire()).toBe(1);
      expect(await projector.expire()).toBe(0); // a's expiry is appended but not yet projected: the same id, a duplicate
      await projector.drain();
      const after = (await projection.getFinding(t, a))!;
      expect(after).toMatchObject({ status: "open", acceptedRisk: null, lastSequence: 3 });
      expect((await projection.getFinding(t, b))!.acceptedRisk).toMatchObject({ expiresAt: "2099-01-01T00:00:00Z", expired: false });
      const reopened = await opened.store.getEvent(t, uuidV5(EXPIRY_EVENT_NAMESPACE, `${t}\n${before.lastEventHash}`));
      expect(reopened).toMatchObject({
        eventType: "finding.status_changed", actor: { id: "ledger", type: "system" }, sequence: 3,
        occurredAt: "2026-03-31T22:00:00.000Z", payload: { status: "open", comment: "accepted risk expired" },
      });
      expect(await projector.expire()).toBe(0);
      expect((await projection.dueExpiries(nowMs, 1000)).filter((d) => d.tenantId === t)).toEqual([]);
      expect(projector.stats.expiriesAppended).toBe(1);
    });
  });
}
