// Hostile and malformed requests: always a 4xx JSON error that names the problem, never a 5xx, and nothing written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeTestApp, type RequestOptions } from "../support/http.ts";
import { created } from "../support/events.ts";

type App = Awaited<ReturnType<typeof makeTestApp>>;
let t: App;
let findingId: string;
beforeAll(async () => {
  t = await makeTestApp({ LEDGER__HTTP__MAXBODYBYTES: "65536" });
  const c = created();
  findingId = c.findingId;
  expect((await t.request("POST", "/v1/ledger/events", { body: c })).status).toBe(201);
});
afterAll(async () => t.close());

const ok = () => created();
const with_ = (patch: Record<string, unknown>) => ({ ...ok(), ...patch });
const payload = (p: Record<string, unknown>) => ({ ...ok(), payload: p });
const statusChange = (p: Record<string, unknown>) => ({ ...ok(), eventType: "finding.status_changed", findingId: "x", payload: p });
const big = "x".repeat(70_000);

function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += 4096) c.enqueue(bytes.subarray(i, i + 4096));
      c.close();
    },
  });
}

// [name, method, path, options, status, error code, path named in details (422) or message fragment]
const cases: Array<[string, string, string, RequestOptions, number, string, string?]> = [
  ["bad JSON", "POST", "/v1/ledger/events", { rawBody: "{not json" }, 400, "bad_request", "not valid JSON"],
  ["truncated JSON", "POST", "/v1/ledger/events", { rawBody: JSON.stringify(ok()).slice(0, 40) }, 400, "bad_request", "not valid JSON"],
  ["empty body", "POST", "/v1/ledger/events", { rawBody: "" }, 400, "bad_request", "empty"],
  ["body is a string", "POST", "/v1/ledger/events", { body: "hello" }, 400, "bad_request", "JSON object"],
  ["body is an array", "POST", "/v1/ledger/events", { body: [ok()] }, 400, "bad_request", "JSON object"],
  ["body is null", "POST", "/v1/ledger/events", { rawBody: "null" }, 400, "bad_request", "JSON object"],
  ["non-UTF-8 body", "POST", "/v1/ledger/events", { rawBody: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }, 400, "bad_request", "UTF-8"],
  ["unknown eventType", "POST", "/v1/ledger/events", { body: with_({ eventType: "finding.deleted" }) }, 422, "validation_failed", "eventType"],
  ["eventType wrong type", "POST", "/v1/ledger/events", { body: with_({ eventType: 42 }) }, 422, "validation_failed", "eventType"],
  ["bad eventId", "POST", "/v1/ledger/events", { body: with_({ eventId: "1234" }) }, 422, "validation_failed", "eventId"],
  ["bad sourceRunId", "POST", "/v1/ledger/events", { body: with_({ sourceRunId: "run-7" }) }, 422, "validation_failed", "sourceRunId"],
  ["actor not an object", "POST", "/v1/ledger/events", { body: with_({ actor: "alice" }) }, 422, "validation_failed", "actor"],
  ["actor type unknown", "POST", "/v1/ledger/events", { body: with_({ actor: { id: "a", type: "robot" } }) }, 422, "validation_failed", "actor.type"],
  ["occurredAt without offset", "POST", "/v1/ledger/events", { body: with_({ occurredAt: "2026-11-01T10:00:00" }) }, 422, "validation_failed", "occurredAt"],
  ["occurredAt leap second", "POST", "/v1/ledger/events", { body: with_({ occurredAt: "2016-12-31T23:59:60Z" }) }, 422, "validation_failed", "occurredAt"],
  ["occurredAt February 30", "POST", "/v1/ledger/events", { body: with_({ occurredAt: "2026-02-30T00:00:00Z" }) }, 422, "validation_failed", "occurredAt"],
  ["payload array", "POST", "/v1/ledger/events", { body: with_({ payload: [] }) }, 422, "validation_failed", "payload"],
  ["unknown payload field", "POST", "/v1/ledger/events", { body: payload({ vulnerabilityId: "x", severity: "low", colour: "red" }) }, 422, "validation_failed", "payload.colour"],
  ["unknown envelope field", "POST", "/v1/ledger/events", { body: with_({ tenantId: "other" }) }, 422, "validation_failed", "tenantId"],
  ["severity wrong type", "POST", "/v1/ledger/events", { body: payload({ vulnerabilityId: "x", severity: 3 }) }, 422, "validation_failed", "payload.severity"],
  ["integer beyond 2^53", "POST", "/v1/ledger/events", { rawBody: JSON.stringify(payload({ vulnerabilityId: "x", severity: "low" })).replace('"severity":"low"', '"severity":"low","cvssScore":90071992547409930') }, 422, "validation_failed", "payload.cvssScore"],
  ["number overflowing to Infinity", "POST", "/v1/ledger/events", { rawBody: JSON.stringify(payload({ vulnerabilityId: "x", severity: "low" })).replace('"severity":"low"', '"severity":"low","cvssScore":1e400') }, 422, "validation_failed", "payload.cvssScore"],
  ["lone surrogate", "POST", "/v1/ledger/events", { rawBody: JSON.stringify(payload({ vulnerabilityId: "x", severity: "low" })).replace('"vulnerabilityId":"x"', '"vulnerabilityId":"x\\ud800"') }, 422, "validation_failed", "payload.vulnerabilityId"],
  ["status_changed to accepted_risk", "POST", "/v1/ledger/events", { body: statusChange({ status: "accepted_risk" }) }, 422, "validation_failed", "payload.status"],
  ["not_affected without justification", "POST", "/v1/ledger/events", { body: statusChange({ status: "not_affected" }) }, 422, "validation_failed", "payload.justification"],
  ["oversized body with Content-Length", "POST", "/v1/ledger/events", { body: payload({ vulnerabilityId: "x", severity: "low", title: big }) }, 413, "payload_too_large", "exceeds"],
  ["oversized chunked body", "POST", "/v1/ledger/events", { rawBody: chunked(JSON.stringify(payload({ vulnerabilityId: "x", severity: "low", title: big }))) }, 413, "payload_too_large", "exceeds"],
  ["missing tenant header", "POST", "/v1/ledger/events", { body: ok(), tenant: null }, 400, "bad_request", "X-Stella-Tenant"],
  ["malformed tenant header", "POST", "/v1/ledger/events", { body: ok(), tenant: "Acme Corp" }, 400, "bad_request", "X-Stella-Tenant"],
  ["no token", "POST", "/v1/ledger/events", { body: ok(), token: null }, 401, "unauthorized", "bearer"],
  ["wrong token", "POST", "/v1/ledger/events", { body: ok(), token: "nope" }, 401, "unauthorized", "invalid token"],
  ["malformed Authorization header", "POST", "/v1/ledger/events", { body: ok(), headers: { authorization: "Basic YTpi" }, token: null }, 401, "unauthorized", "Bearer"],
  ["batch not an array", "POST", "/v1/ledger/events:batch", { body: ok() }, 400, "bad_request", "array"],
  ["empty batch", "POST", "/v1/ledger/events:batch", { body: [] }, 400, "bad_request", "empty"],
  ["batch with one invalid event", "POST", "/v1/ledger/events:batch", { body: [ok(), with_({ eventId: "x" })] }, 422, "validation_failed", "[1].eventId"],
  ["bad NDJSON line", "POST", "/v1/ledger/events:batch", { rawBody: `${JSON.stringify(ok())}\n{oops\n`, headers: { "content-type": "application/x-ndjson" } }, 400, "bad_request", "line 2"],
  ["batch over 10,000 events", "POST", "/v1/ledger/events:batch", { rawBody: `${"{}\n".repeat(10_001)}`, headers: { "content-type": "application/x-ndjson" } }, 413, "batch_too_large", "10000"],
  ["bad event id in path", "GET", "/v1/ledger/events/not-a-uuid", {}, 400, "bad_request", "UUID"],
  ["unknown event", "GET", `/v1/ledger/events/${crypto.randomUUID()}`, {}, 404, "not_found", "no such event"],
  ["bad chain id", "GET", "/v1/ledger/chains/zzz", {}, 400, "bad_request", "UUID"],
  ["limit above 1000", "GET", `/v1/ledger/chains/${crypto.randomUUID()}?limit=1001`, {}, 400, "bad_request", "limit"],
  ["limit not a number", "GET", `/v1/ledger/chains/${crypto.randomUUID()}?limit=ten`, {}, 400, "bad_request", "limit"],
  ["bad cursor", "GET", `/v1/ledger/chains/${crypto.randomUUID()}?cursor=%%%`, {}, 400, "bad_request", "cursor"],
  ["unknown route", "GET", "/v1/nothing-here", {}, 404, "not_found", "route"],
];

describe("malformed requests", () => {
  for (const [name, method, path, opts, status, code, fragment] of cases) {
    test(`${name} -> ${status} ${code}`, async () => {
      const before = await t.store.countEvents("acme");
      const r = await t.request(method, path, opts);
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toContain("application/json");
      expect(typeof r.json?.error).toBe("string");
      expect(r.json?.error).toBe(code);
      expect(typeof r.json?.message).toBe("string");
      if (fragment) {
        const named = status === 422 ? JSON.stringify((r.json?.details as { path: string }[]).map((d) => d.path)) : String(r.json?.message);
        expect(named.toLowerCase()).toContain(fragment.toLowerCase());
      }
      expect(await t.store.countEvents("acme")).toBe(before);
    });
  }

  test("the ledger still accepts a good event afterwards and its one finding is intact", async () => {
    const r = await t.request("POST", "/v1/ledger/events", { body: { ...ok(), eventType: "finding.comment_added", findingId, payload: { comment: "still fine" } } });
    expect(r.status).toBe(201);
    expect(r.json?.sequence).toBe(2);
  });
});
