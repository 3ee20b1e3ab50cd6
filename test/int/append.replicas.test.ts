// Two replicas (separate pools and head caches) on one PostgreSQL: stale caches never cause false refusals or forks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { postgresDriver, type OpenedStore } from "../support/stores.ts";
import { comment, created, randomTenant, verifyAllChains } from "../support/events.ts";

const event = (findingId: string, eventType: string, payload: Record<string, unknown>) => ({ ...comment(findingId), eventType, payload });

describe("replicas on PostgreSQL", () => {
  let opened: OpenedStore;
  let a: Appender;
  let b: Appender;
  beforeAll(async () => {
    opened = await postgresDriver.open();
    a = new Appender(opened.store, systemMicroClock());
    b = new Appender(opened.reopen(), systemMicroClock());
  }, 60_000);
  afterAll(async () => opened.cleanup(), 60_000);

  test("a refusal against a stale cached head is re-decided on the fresh head", async () => {
    const tenant = randomTenant();
    const c = created();
    await a.appendOne(tenant, c);
    await a.appendOne(tenant, event(c.findingId, "finding.closed", {})); // A caches: closed
    await b.appendOne(tenant, event(c.findingId, "finding.reopened", {})); // B moves it to open
    // A's cache still says closed; the severity change is legal on the real head.
    const r = await a.appendOne(tenant, event(c.findingId, "finding.severity_changed", { severity: "low" }));
    expect(r.receipt.sequence).toBe(4);
    // The same through a batch.
    await b.appendOne(tenant, event(c.findingId, "finding.closed", {}));
    await a.appendOne(tenant, comment(c.findingId)); // comments are fine on closed: A learns sequence 6, status closed
    await b.appendOne(tenant, event(c.findingId, "finding.reopened", {}));
    const batch = await a.appendBatch(tenant, [event(c.findingId, "finding.assignment_changed", { assignee: "bob" })]);
    expect(batch[0]!.receipt.sequence).toBe(8);
    const report = await verifyAllChains(opened.store, tenant, [r.receipt.chainId]);
    expect(report.failures).toEqual([]);
    expect(report.events).toBe(8);
  });

  test("a real refusal is still refused after the fresh read", async () => {
    const tenant = randomTenant();
    const c = created();
    await a.appendOne(tenant, c);
    await b.appendOne(tenant, event(c.findingId, "finding.closed", {}));
    // A's cache says open; the fresh head says closed, so the refusal stands.
    await expect(a.appendOne(tenant, event(c.findingId, "finding.severity_changed", { severity: "low" }))).rejects.toMatchObject({ code: "invalid_transition" });
    // A second create for an existing chain, unknown to this replica's cache, is finding_exists.
    await expect(b.appendOne(tenant, created({ findingId: c.findingId }))).rejects.toMatchObject({ code: "finding_exists" });
    await expect(a.appendOne(tenant, created({ findingId: c.findingId }))).rejects.toMatchObject({ code: "finding_exists" });
  });

  test("both replicas appending to the same chains interleave without gaps", async () => {
    const tenant = randomTenant();
    const findings = Array.from({ length: 5 }, () => created());
    await a.appendBatch(tenant, findings);
    const jobs = findings.flatMap((f) => Array.from({ length: 40 }, () => f.findingId));
    await Promise.all(jobs.map((fid, i) => (i % 2 === 0 ? a : b).appendOne(tenant, comment(fid))));
    const chainIds = new Set<string>();
    for (const f of findings) chainIds.add((await opened.store.getEvent(tenant, f.eventId))!.chainId);
    const report = await verifyAllChains(opened.store, tenant, chainIds);
    expect(report.failures).toEqual([]);
    expect(report.events).toBe(5 + 200);
  });
});
