// One contract suite, run against the embedded SQLite store and a real PostgreSQL: the same events, the same hashes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LedgerError } from "../../src/core/errors.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import vectors from "../vectors/events.json";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import { created, comment, randomTenant, verifyAllChains } from "../support/events.ts";

async function refusal(p: Promise<unknown>): Promise<LedgerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LedgerError) return e;
    throw e;
  }
  throw new Error("expected a LedgerError");
}

for (const driver of DRIVERS) {
  describe(`store contract: ${driver.name}`, () => {
    let opened: OpenedStore;
    let appender: Appender;
    beforeAll(async () => {
      opened = await driver.open();
      appender = new Appender(opened.store, systemMicroClock());
    }, 60_000);
    afterAll(async () => opened.cleanup(), 60_000);

    test("migrations are idempotent and report nothing pending", async () => {
      expect(await opened.store.migrations.up()).toEqual([]);
      const plan = await opened.store.migrations.plan();
      expect(plan.pending).toEqual([]);
      expect(plan.problems).toEqual([]);
      expect(plan.applied.map((m) => m.version)).toContain("001");
    });

    test("the contract vectors give the same hashes", async () => {
      const tenant = "acme";
      for (const c of vectors.cases) {
        const { receipt, status } = await appender.appendOne(tenant, c.event);
        expect(status).toBe("created");
        expect(receipt.chainId).toBe(c.expected.chainId);
        expect(receipt.sequence).toBe(c.expected.sequence);
        expect(receipt.previousHash).toBe(c.expected.previousHash);
        expect(receipt.eventHash).toBe(c.expected.eventHash);
        expect(receipt.merkleLeafHash).toBe(c.expected.merkleLeafHash);
        expect(receipt.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
        const read = await opened.store.getEvent(tenant, c.event.eventId.toLowerCase());
        expect(read?.eventHash).toBe(c.expected.eventHash);
        expect(read?.recordedAt).toBe(receipt.recordedAt);
      }
    });

    test("idempotency: an identical resend returns the original receipt; different content is a 409", async () => {
      const tenant = randomTenant();
      const e = created();
      const first = await appender.appendOne(tenant, e);
      const again = await appender.appendOne(tenant, { ...e, eventId: e.eventId.toUpperCase(), expectedSequence: 1 });
      expect(again.status).toBe("duplicate");
      expect(again.receipt).toEqual(first.receipt);
      const conflict = await refusal(appender.appendOne(tenant, { ...e, policyVersion: "other" }));
      expect(conflict.code).toBe("idempotency_conflict");
      // A fresh appender (empty head cache, as after a restart) still recognises the resend.
      const restarted = new Appender(opened.store, systemMicroClock());
      expect((await restarted.appendOne(tenant, e)).receipt).toEqual(first.receipt);
      expect(await opened.store.countEvents(tenant)).toBe(1);
    });

    test("expectedSequence: right is accepted, wrong is a 409 naming both numbers", async () => {
      const tenant = randomTenant();
      const c = created();
      await appender.appendOne(tenant, { ...c, expectedSequence: 1 });
      const wrong = await refusal(appender.appendOne(tenant, { ...comment(c.findingId), expectedSequence: 5 }));
      expect(wrong.code).toBe("sequence_mismatch");
      expect(wrong.details).toEqual({ expected: 5, actual: 2 });
      const ok = await appender.appendOne(tenant, { ...comment(c.findingId), expectedSequence: 2 });
      expect(ok.receipt.sequence).toBe(2);
    });

    test("workflow refusals are checked against the chain head", async () => {
      const tenant = randomTenant();
      const c = created();
      expect((await refusal(appender.appendOne(tenant, comment(c.findingId)))).code).toBe("finding_not_found");
      await appender.appendOne(tenant, c);
      expect((await refusal(appender.appendOne(tenant, created({ findingId: c.findingId })))).code).toBe("finding_exists");
      await appender.appendOne(tenant, { ...comment(c.findingId), eventType: "finding.closed", payload: {} });
      const refused = await refusal(appender.appendOne(tenant, { ...comment(c.findingId), eventType: "finding.severity_changed", payload: { severity: "low" } }));
      expect(refused.code).toBe("invalid_transition");
      expect(refused.details).toEqual({ current: "closed", requested: "finding.severity_changed" });
      expect(await opened.store.countEvents(tenant)).toBe(2);
    });

    test("a batch is all-or-nothing", async () => {
      const tenant = randomTenant();
      const a = created();
      const good = [a, comment(a.findingId), comment(a.findingId)];
      // A refused event at the end: nothing of the batch is written.
      const refused = await refusal(appender.appendBatch(tenant, [...good, comment("never-created")]));
      expect(refused.code).toBe("finding_not_found");
      expect(refused.details).toEqual([expect.objectContaining({ index: 3, error: "finding_not_found" })]);
      expect(await opened.store.countEvents(tenant)).toBe(0);
      // An invalid event: 422 listing the path, nothing written.
      const invalid = await refusal(appender.appendBatch(tenant, [...good, { ...comment(a.findingId), payload: { comment: "" } }]));
      expect(invalid.code).toBe("validation_failed");
      expect(invalid.details).toEqual([{ path: "[3].payload.comment", message: expect.any(String) }]);
      expect(await opened.store.countEvents(tenant)).toBe(0);
      // The good part alone goes through, in order, on one chain.
      const results = await appender.appendBatch(tenant, good);
      expect(results.map((r) => [r.status, r.receipt.sequence])).toEqual([["created", 1], ["created", 2], ["created", 3]]);
      // Replaying it is all duplicates with the original receipts.
      const replay = await appender.appendBatch(tenant, good);
      expect(replay.map((r) => r.status)).toEqual(["duplicate", "duplicate", "duplicate"]);
      expect(replay.map((r) => r.receipt)).toEqual(results.map((r) => r.receipt));
      // A resent eventId with other content inside a batch fails the whole batch.
      const clash = await refusal(appender.appendBatch(tenant, [comment(a.findingId), { ...good[1]!, payload: { comment: "changed" } }]));
      expect(clash.code).toBe("idempotency_conflict");
      expect(await opened.store.countEvents(tenant)).toBe(3);
    });

    test("a batch after a restart (cold head cache) continues existing chains and recognises resends", async () => {
      const tenant = randomTenant();
      const a = created();
      const first = await appender.appendBatch(tenant, [a, comment(a.findingId)]);
      const restarted = new Appender(opened.store, systemMicroClock());
      const mixed = [comment(a.findingId), { ...a }, created({ findingId: a.findingId.replace("@", "@x") })];
      const results = await restarted.appendBatch(tenant, mixed);
      expect(results.map((r) => [r.status, r.receipt.sequence])).toEqual([["created", 3], ["duplicate", 1], ["created", 1]]);
      expect(results[1]!.receipt).toEqual(first[0]!.receipt);
      // A create for an existing chain, unknown to a cold cache, is still refused.
      const again = new Appender(opened.store, systemMicroClock());
      expect((await refusal(again.appendBatch(tenant, [created({ findingId: a.findingId })]))).code).toBe("finding_exists");
      expect(await opened.store.countEvents(tenant)).toBe(4);
    });

    test("a bulk batch round-trips text that COPY must escape (tabs, newlines, backslashes, \\N, Unicode)", async () => {
      const tenant = randomTenant();
      const c = created();
      const nasty = ["tab\there", "line\nbreak\r\n", "back\\slash \\N \\t", "\\N", "naïve — ✓ 😂 \u2028", "quote \" and , comma"];
      const batch = [c, ...Array.from({ length: 99 }, (_, i) => comment(c.findingId, `${nasty[i % nasty.length]} #${i}`))];
      const results = await appender.appendBatch(tenant, batch);
      const report = await verifyAllChains(opened.store, tenant, [results[0]!.receipt.chainId]);
      expect(report.failures).toEqual([]);
      expect(report.events).toBe(100);
      const back = await opened.store.getEvent(tenant, batch[3]!.eventId);
      expect(back?.payload).toEqual(batch[3]!.payload);
    });

    test("a big batch (5,000 events over 500 chains) lands whole and every chain recomputes", async () => {
      const tenant = randomTenant();
      const batch: Record<string, unknown>[] = [];
      for (let f = 0; f < 500; f++) {
        const c = created();
        batch.push(c);
        for (let i = 0; i < 9; i++) batch.push(comment(c.findingId));
      }
      const results = await appender.appendBatch(tenant, batch);
      expect(results.every((r) => r.status === "created")).toBe(true);
      expect(await opened.store.countEvents(tenant)).toBe(5000);
      const report = await verifyAllChains(opened.store, tenant, new Set(results.map((r) => r.receipt.chainId)));
      expect(report.failures).toEqual([]);
      expect(report.events).toBe(5000);
    });

    test("the database itself refuses UPDATE and DELETE on ledger_events", async () => {
      const tenant = randomTenant();
      await appender.appendOne(tenant, created());
      const param = driver.name === "sqlite" ? "?" : "$1";
      await expect(opened.raw(`UPDATE ledger_events SET payload = '{}' WHERE tenant_id = ${param}`, [tenant])).rejects.toThrow(/append-only/);
      await expect(opened.raw(`DELETE FROM ledger_events WHERE tenant_id = ${param}`, [tenant])).rejects.toThrow(/append-only/);
      if (driver.name === "postgres") await expect(opened.raw("TRUNCATE ledger_events")).rejects.toThrow(/append-only/);
      expect(await opened.store.countEvents(tenant)).toBe(1);
    });

    test("a changed migration is refused", async () => {
      // Simulate an applied migration whose file changed: rewrite the recorded checksum.
      await opened.raw(`UPDATE ledger_schema_migrations SET checksum = 'deadbeef' WHERE version = '001'`);
      const plan = await opened.store.migrations.plan();
      expect(plan.problems.join()).toContain("changed after it was applied");
      await expect(opened.store.migrations.up()).rejects.toThrow(/changed after it was applied/);
      const original = (await import("../../src/store/migrate/files.ts"))[driver.name === "sqlite" ? "SQLITE_MIGRATIONS" : "POSTGRES_MIGRATIONS"][0]!.checksum;
      await opened.raw(`UPDATE ledger_schema_migrations SET checksum = '${original}' WHERE version = '001'`);
      expect((await opened.store.migrations.plan()).problems).toEqual([]);
    });
  });
}
