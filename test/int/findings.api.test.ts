// GET /v1/findings on both drivers: every filter and the paging checked against a fold and filter computed in the test.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { withExpiry } from "../../src/core/projection/expiry.ts";
import type { Finding } from "../../src/core/projection/finding.ts";
import { createApp } from "../../src/http/app.ts";
import { localTokenAuthenticator } from "../../src/http/auth.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { openProjectionStore } from "../../src/store/projection-port.ts";
import { Projector } from "../../src/workers/projector.ts";
import { randomTenant } from "../support/events.ts";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import { airgapBody, ARTIFACTS, byBytes, createdBody, findingIds, referenceFold, rng, tryAppend, updateBody } from "./projector.workload.ts";

const TOKEN = "findings-api-test-token";
const ms = (iso: string) => Date.parse(iso);

/** Each case: a query string and the same filter written as a plain predicate over folded rows. */
const CASES: [string, (f: Finding) => boolean][] = [
  ["", () => true],
  ["status=open", (f) => f.status === "open"],
  ["status=accepted_risk,closed", (f) => f.status === "accepted_risk" || f.status === "closed"],
  ["status=fixed&status=false_positive", (f) => f.status === "fixed" || f.status === "false_positive"],
  ["severity=critical,high", (f) => f.severity === "critical" || f.severity === "high"],
  ["minCvss=5", (f) => f.cvssScore !== null && f.cvssScore >= 5],
  ["maxCvss=3.5", (f) => f.cvssScore !== null && f.cvssScore <= 3.5],
  ["minCvss=2&maxCvss=8&severity=medium", (f) => f.cvssScore !== null && f.cvssScore >= 2 && f.cvssScore <= 8 && f.severity === "medium"],
  ["policyVersion=policy-2", (f) => f.policyVersion === "policy-2"],
  [`artifactId=${encodeURIComponent(ARTIFACTS[1]!)}`, (f) => f.artifactId === ARTIFACTS[1]],
  ["vulnerabilityId=CVE-2021-44228", (f) => f.vulnerabilityId === "CVE-2021-44228"],
  ["assignee=bob%40example.com", (f) => f.assignee === "bob@example.com"],
  ["updatedSince=2026-06-01T02:00:00%2B02:00", (f) => ms(f.updatedAt) >= ms("2026-06-01T00:00:00Z")],
  [
    "status=open,under_investigation&assignee=alice%40example.com&updatedSince=2026-03-01T00:00:00Z",
    (f) => (f.status === "open" || f.status === "under_investigation") && f.assignee === "alice@example.com" && ms(f.updatedAt) >= ms("2026-03-01T00:00:00Z"),
  ],
];

const BAD: [string, RegExp][] = [
  ["limit=1001", /limit/],
  ["limit=0", /limit/],
  ["status=bogus", /status/],
  ["status=open,", /status/],
  ["severity=severe", /severity/],
  ["minCvss=abc", /minCvss/],
  ["maxCvss=10.5", /maxCvss/],
  ["minCvss=8&maxCvss=2", /minCvss/],
  ["updatedSince=2026-06-01", /updatedSince/],
  ["updatedSince=yesterday", /updatedSince/],
  ["assignee=", /assignee/],
  ["policyVersion=a&policyVersion=b", /policyVersion/],
  ["statuses=open", /unknown query parameter/],
  ["cursor=not-a-cursor", /cursor/],
];

for (const driver of DRIVERS) {
  describe(`GET /v1/findings: ${driver.name}`, () => {
    let opened: OpenedStore;
    let app: ReturnType<typeof createApp>;
    const tenant = randomTenant();
    const ids = findingIds("api-", 150);
    let reference: Map<string, Finding>;
    const get = (path: string, tenantId = tenant) =>
      app.handle(new Request(`http://ledger.test${path}`, { headers: { authorization: `Bearer ${TOKEN}`, "x-stella-tenant": tenantId } }));

    beforeAll(async () => {
      opened = await driver.open();
      const appender = new Appender(opened.store, systemMicroClock());
      app = createApp({
        config: loadConfig({ env: {} }), store: opened.store, appender, auth: localTokenAuthenticator(TOKEN),
        log: silentLogger, features: {}, workers: () => [],
      });
      const r = rng(2026);
      await appender.appendBatch(tenant, ids.map((id) => createdBody(r, id)));
      for (let i = 0; i < 900; i++) await tryAppend(appender, tenant, r() < 0.03 ? airgapBody(r) : updateBody(r, ids[Math.floor(r() * ids.length)]!, { pastExpiries: true }));
      // Another tenant with the same finding ids: never visible from `tenant`.
      await appender.appendBatch(randomTenant(), ids.slice(0, 20).map((id) => createdBody(r, id)));
      // No appender: expired accepted risks stay accepted_risk in the rows and must read as expired.
      await new Projector({ projection: openProjectionStore(opened.store), appender: null, log: silentLogger }).drain();
      reference = await referenceFold(opened.store, tenant, ids);
    }, 60_000);
    afterAll(async () => opened.cleanup());

    async function pageAll(query: string, limit: number): Promise<Finding[]> {
      const items: Finding[] = [];
      for (let cursor: string | null = null, pages = 0; ; pages++) {
        const res = await get(`/v1/findings?${query}${query ? "&" : ""}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { items: Finding[]; nextCursor: string | null };
        expect(body.items.length).toBeLessThanOrEqual(limit);
        items.push(...body.items);
        if (body.nextCursor === null) return items;
        expect(body.items).toHaveLength(limit);
        cursor = body.nextCursor;
        if (pages > 1000) throw new Error("paging does not end");
      }
    }

    test.each(CASES)("filter %p equals the reference fold, filtered and ordered by findingId bytes", async (query, predicate) => {
      const now = new Date().toISOString();
      const expected = [...reference.values()].filter(predicate).sort((a, b) => byBytes(a.findingId, b.findingId)).map((f) => withExpiry(f, now));
      expect(expected.length).toBeGreaterThan(0);
      expect(await pageAll(query, 7)).toEqual(expected);
      expect(await pageAll(query, 1000)).toEqual(expected);
    });

    test("expired accepted risks read as expired, unexpired ones do not; rows are never rewritten by reading", async () => {
      const risks = await pageAll("status=accepted_risk", 100);
      const expired = risks.filter((f) => f.acceptedRisk!.expired);
      expect(expired.length).toBeGreaterThan(0);
      expect(risks.length - expired.length).toBeGreaterThan(0);
      for (const f of risks) expect(f.acceptedRisk!.expired).toBe(Date.parse(f.acceptedRisk!.expiresAt) <= Date.now());
      for (const f of expired) expect(reference.get(f.findingId)!.acceptedRisk!.expired).toBe(false);
    });

    test("default limit is 100 and the page ends with a cursor", async () => {
      const body = (await (await get("/v1/findings")).json()) as { items: Finding[]; nextCursor: string | null };
      expect(body.items).toHaveLength(100);
      expect(typeof body.nextCursor).toBe("string");
    });

    test.each(BAD)("bad request %p is a 400 naming the problem", async (query, message) => {
      const res = await get(`/v1/findings?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe("bad_request");
      expect(body.message).toMatch(message);
    });

    test("auth and tenant header are checked first", async () => {
      expect((await app.handle(new Request("http://ledger.test/v1/findings", { headers: { "x-stella-tenant": tenant } }))).status).toBe(401);
      expect((await app.handle(new Request("http://ledger.test/v1/findings", { headers: { authorization: `Bearer ${TOKEN}` } }))).status).toBe(400);
      expect((await get("/v1/findings", "Not A Tenant")).status).toBe(400);
      const empty = (await (await get("/v1/findings", randomTenant())).json()) as { items: Finding[]; nextCursor: string | null };
      expect(empty).toEqual({ items: [], nextCursor: null });
    });
  });
}
