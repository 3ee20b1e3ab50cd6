// Event routes end to end in-process: receipts, resends, expectedSequence, reads, paging, batches and workflow 409s.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Receipt, StoredEvent } from "../../src/core/events/types.ts";
import { makeTestApp } from "../support/http.ts";
import { comment, created } from "../support/events.ts";

type App = Awaited<ReturnType<typeof makeTestApp>>;
let t: App;
beforeAll(async () => {
  t = await makeTestApp();
});
afterAll(async () => t.close());

const RECEIPT_KEYS = ["chainId", "eventHash", "eventId", "merkleLeafHash", "previousHash", "recordedAt", "sequence"];
const ev = (findingId: string, eventType: string, payload: Record<string, unknown>) => ({ ...comment(findingId), eventType, payload });

describe("single appends and reads", () => {
  test("201 receipt with exactly the receipt fields; resend 200 with the same receipt; other content 409", async () => {
    const c = created();
    const r = await t.request("POST", "/v1/ledger/events", { body: c });
    expect(r.status).toBe(201);
    expect(Object.keys(r.json).sort()).toEqual(RECEIPT_KEYS);
    expect(r.json.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(r.json.sequence).toBe(1);
    expect(r.json.previousHash).toBe("0".repeat(64));
    const again = await t.request("POST", "/v1/ledger/events", { body: c });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(r.json);
    const clash = await t.request("POST", "/v1/ledger/events", { body: { ...c, payload: { ...c.payload, severity: "low" } } });
    expect(clash.status).toBe(409);
    expect(clash.json.error).toBe("idempotency_conflict");
  });

  test("expectedSequence: right accepted, wrong 409 with {expected, actual}", async () => {
    const c = created();
    await t.request("POST", "/v1/ledger/events", { body: c });
    const wrong = await t.request("POST", "/v1/ledger/events", { body: { ...comment(c.findingId), expectedSequence: 7 } });
    expect(wrong.status).toBe(409);
    expect(wrong.json).toMatchObject({ error: "sequence_mismatch", details: { expected: 7, actual: 2 } });
    const right = await t.request("POST", "/v1/ledger/events", { body: { ...comment(c.findingId), expectedSequence: 2 } });
    expect(right.status).toBe(201);
  });

  test("GET an event: every written field plus the chain fields, occurredAt normalised, leafIndex null", async () => {
    const c = { ...created(), sourceRunId: crypto.randomUUID().toUpperCase(), occurredAt: "2026-11-01T12:00:00.123456+02:00" };
    const receipt = (await t.request("POST", "/v1/ledger/events", { body: c })).json as unknown as Receipt;
    const r = await t.request("GET", `/v1/ledger/events/${c.eventId.toUpperCase()}`);
    expect(r.status).toBe(200);
    const e = r.json as unknown as StoredEvent;
    expect(e).toMatchObject({
      eventId: c.eventId,
      eventType: c.eventType,
      findingId: c.findingId,
      artifactId: c.artifactId,
      policyVersion: c.policyVersion,
      actor: c.actor,
      occurredAt: "2026-11-01T10:00:00.123Z",
      sourceRunId: c.sourceRunId.toLowerCase(),
      payload: c.payload,
      tenantId: "acme",
      ...receipt,
    });
    expect(e.leafIndex ?? null).toBeNull();
    expect((await t.request("GET", `/v1/ledger/events/${c.eventId}`, { tenant: "other" })).status).toBe(404);
  });
});

describe("chains", () => {
  test("paged in sequence order with an opaque cursor; nextCursor null at the end; unknown chain is an empty page", async () => {
    const c = created();
    const first = (await t.request("POST", "/v1/ledger/events", { body: c })).json as unknown as Receipt;
    for (let i = 0; i < 4; i++) await t.request("POST", "/v1/ledger/events", { body: comment(c.findingId) });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r = await t.request("GET", `/v1/ledger/chains/${first.chainId}?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      seen.push(...(r.json.items as StoredEvent[]).map((e) => e.sequence));
      cursor = r.json.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const empty = await t.request("GET", `/v1/ledger/chains/${crypto.randomUUID()}`);
    expect(empty.json).toEqual({ items: [], nextCursor: null });
    // Another tenant sees nothing of this chain.
    expect((await t.request("GET", `/v1/ledger/chains/${first.chainId}`, { tenant: "other" })).json).toEqual({ items: [], nextCursor: null });
  });
});

describe("batches", () => {
  test("JSON array and NDJSON: 201 with results in request order; a full replay is 200 all duplicates", async () => {
    const c = created();
    const events = [c, comment(c.findingId), comment(c.findingId)];
    const r = await t.request("POST", "/v1/ledger/events:batch", { body: events });
    expect(r.status).toBe(201);
    const results = r.json.results as { index: number; status: string; receipt: Receipt }[];
    expect(results.map((x) => [x.index, x.status, x.receipt.sequence])).toEqual([[0, "created", 1], [1, "created", 2], [2, "created", 3]]);
    const nd = await t.request("POST", "/v1/ledger/events:batch", { rawBody: events.map((e) => JSON.stringify(e)).join("\n") + "\n", headers: { "content-type": "application/x-ndjson" } });
    expect(nd.status).toBe(200);
    expect((nd.json.results as { status: string }[]).every((x) => x.status === "duplicate")).toBe(true);
    expect((nd.json.results as { receipt: Receipt }[]).map((x) => x.receipt)).toEqual(results.map((x) => x.receipt));
  });

  test("a workflow refusal fails the whole batch with every failing index; nothing written", async () => {
    const before = await t.store.countEvents("acme");
    const c = created();
    const r = await t.request("POST", "/v1/ledger/events:batch", { body: [c, comment("ghost-1"), comment(c.findingId), created({ findingId: c.findingId })] });
    expect(r.status).toBe(409);
    expect(r.json.error).toBe("finding_not_found");
    expect((r.json.details as { index: number; error: string }[]).map((d) => [d.index, d.error])).toEqual([[1, "finding_not_found"], [3, "finding_exists"]]);
    expect(await t.store.countEvents("acme")).toBe(before);
  });
});

describe("workflow over HTTP", () => {
  test("409s name the current and requested state", async () => {
    const c = created();
    const notFound = await t.request("POST", "/v1/ledger/events", { body: comment(c.findingId) });
    expect([notFound.status, notFound.json.error]).toEqual([409, "finding_not_found"]);
    await t.request("POST", "/v1/ledger/events", { body: c });
    const exists = await t.request("POST", "/v1/ledger/events", { body: created({ findingId: c.findingId }) });
    expect([exists.status, exists.json.error]).toEqual([409, "finding_exists"]);
    await t.request("POST", "/v1/ledger/events", { body: ev(c.findingId, "finding.closed", { reason: "done" }) });
    const closed = await t.request("POST", "/v1/ledger/events", { body: ev(c.findingId, "finding.status_changed", { status: "fixed" }) });
    expect(closed.status).toBe(409);
    expect(closed.json).toMatchObject({ error: "invalid_transition", details: { current: "closed", requested: "fixed" } });
    const tag = await t.request("POST", "/v1/ledger/events", { body: ev(c.findingId, "finding.tag_updated", { add: ["x"] }) });
    expect(tag.json).toMatchObject({ error: "invalid_transition", details: { current: "closed", requested: "finding.tag_updated" } });
    const note = await t.request("POST", "/v1/ledger/events", { body: comment(c.findingId) });
    expect(note.status).toBe(201);
    const reopened = await t.request("POST", "/v1/ledger/events", { body: ev(c.findingId, "finding.reopened", {}) });
    expect(reopened.status).toBe(201);
  });
});

describe("operations", () => {
  test("live, ready and status need no token", async () => {
    expect((await t.request("GET", "/health/live", { token: null, tenant: null })).status).toBe(200);
    const ready = await t.request("GET", "/health/ready", { token: null, tenant: null });
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe("ready");
    const status = await t.request("GET", "/status", { token: null, tenant: null });
    expect(Object.keys(status.json)).toEqual(expect.arrayContaining(["version", "commit", "buildTime", "features", "config", "workers"]));
  });
});
