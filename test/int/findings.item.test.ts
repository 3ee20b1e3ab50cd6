// GET /v1/findings/{id} (finding + history, tenant isolation, read-your-writes) and paging stability under concurrent writes, on both drivers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import type { StoredEvent } from "../../src/core/events/types.ts";
import { findingChainId } from "../../src/core/hash/uuid.ts";
import { withExpiry } from "../../src/core/projection/expiry.ts";
import type { Finding } from "../../src/core/projection/finding.ts";
import { createApp } from "../../src/http/app.ts";
import { localTokenAuthenticator } from "../../src/http/auth.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { openProjectionStore } from "../../src/store/projection-port.ts";
import { Projector } from "../../src/workers/projector.ts";
import { comment, randomTenant } from "../support/events.ts";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import { byBytes, createdBody, findingIds, referenceFold, rng, tryAppend, updateBody } from "./projector.workload.ts";

const TOKEN = "findings-item-test-token";
type Page = { items: Finding[]; nextCursor: string | null };

for (const driver of DRIVERS) {
  describe(`GET /v1/findings/{id}: ${driver.name}`, () => {
    let opened: OpenedStore;
    let appender: Appender;
    let projector: Projector;
    let app: ReturnType<typeof createApp>;
    const get = (path: string, tenantId: string) =>
      app.handle(new Request(`http://ledger.test${path}`, { headers: { authorization: `Bearer ${TOKEN}`, "x-stella-tenant": tenantId } }));

    beforeAll(async () => {
      opened = await driver.open();
      appender = new Appender(opened.store, systemMicroClock());
      projector = new Projector({ projection: openProjectionStore(opened.store), appender: null, log: silentLogger, pollMs: 5, batchSize: 50 });
      app = createApp({
        config: loadConfig({ env: {} }), store: opened.store, appender, auth: localTokenAuthenticator(TOKEN),
        log: silentLogger, features: {}, workers: () => [],
      });
    });
    afterAll(async () => {
      await projector.stop();
      await opened.cleanup();
    });

    test("finding and history equal the reference; ids with '/', '@', ':' and non-ASCII round-trip encoded", async () => {
      const tenant = randomTenant();
      const ids = findingIds("item-", 12);
      const r = rng(5);
      for (const id of ids) await appender.appendOne(tenant, createdBody(r, id));
      for (let i = 0; i < 80; i++) await tryAppend(appender, tenant, updateBody(r, ids[i % ids.length]!, { pastExpiries: true }));
      await projector.drain();
      const reference = await referenceFold(opened.store, tenant, ids);
      for (const id of ids) {
        const res = await get(`/v1/findings/${encodeURIComponent(id)}`, tenant);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { finding: Finding; history: StoredEvent[] };
        expect(body.finding).toEqual(withExpiry(reference.get(id)!, new Date().toISOString()));
        expect(body.history).toEqual(await opened.store.listChain(tenant, findingChainId(tenant, id), 0, 1000));
        expect(body.history.map((e) => e.sequence)).toEqual(Array.from({ length: body.finding.lastSequence }, (_, i) => i + 1));
      }
    });

    test("unknown finding and another tenant's finding are both a plain 404", async () => {
      const [a, b] = [randomTenant(), randomTenant()];
      await appender.appendOne(b, createdBody(rng(1), "only-in-b"));
      await projector.drain();
      for (const [tenant, id] of [[a, "only-in-b"], [b, "nope"]] as const) {
        const res = await get(`/v1/findings/${id}`, tenant);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: "not_found", message: "no such finding" });
      }
      expect((await get(`/v1/findings/${"x".repeat(513)}`, a)).status).toBe(400);
    });

    test("read-your-writes: events the projector has not applied yet are folded on top of the row", async () => {
      const tenant = randomTenant();
      const c = createdBody(rng(3), "fresh");
      await appender.appendOne(tenant, c);
      await projector.drain();
      await appender.appendOne(tenant, comment("fresh", "just now"));
      await appender.appendOne(tenant, { ...comment("fresh"), eventType: "finding.assignment_changed", payload: { assignee: "dave@example.com" } });
      await appender.appendOne(tenant, createdBody(rng(4), "brand-new")); // not projected at all yet
      const one = (await (await get("/v1/findings/fresh", tenant)).json()) as { finding: Finding; history: StoredEvent[] };
      expect(one.finding).toMatchObject({ lastSequence: 3, assignee: "dave@example.com" });
      expect(one.history).toHaveLength(3);
      expect(((await (await get("/v1/findings/brand-new", tenant)).json()) as { finding: Finding }).finding.lastSequence).toBe(1);
      // The list reads the projection only: still the projected state.
      const list = (await (await get("/v1/findings", tenant)).json()) as Page;
      expect(list.items.map((f) => [f.findingId, f.lastSequence])).toEqual([["fresh", 1]]);
      await projector.drain();
      const caughtUp = (await (await get("/v1/findings?assignee=dave%40example.com", tenant)).json()) as Page;
      expect(caughtUp.items.map((f) => f.findingId)).toEqual(["fresh"]);
    });

    test("paging is stable under concurrent writes: no finding twice, none that existed at the start missed", async () => {
      const tenant = randomTenant();
      const ids = findingIds("p-", 200);
      const r = rng(8);
      await appender.appendBatch(tenant, ids.map((id) => createdBody(r, id)));
      await projector.drain();
      projector.start();
      let n = 0;
      /** Updates everywhere, and new findings that sort before, between and after the existing ones. */
      const write = () => {
        const body = n % 5 === 0 ? createdBody(r, [`0-new-${n}`, `p-F-${n}x`, `zz-new-${n}`][n % 3]!) : updateBody(r, ids[Math.floor(r() * ids.length)]!);
        n++;
        return tryAppend(appender, tenant, body);
      };
      // A background writer races the pager, and every gap between two pages gets writes for sure.
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await write();
          await Bun.sleep(1); // embedded appends settle in microtasks: let the pager and projector timers run
        }
      })();
      const seen: string[] = [];
      try {
        for (let cursor: string | null = null; ; ) {
          const res = await get(`/v1/findings?limit=9${cursor ? `&cursor=${cursor}` : ""}`, tenant);
          expect(res.status).toBe(200);
          const page = (await res.json()) as Page;
          seen.push(...page.items.map((f) => f.findingId));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
          for (let i = 0; i < 4; i++) await write();
          await Bun.sleep(2);
        }
      } finally {
        writing = false;
        await writer;
        await projector.stop();
      }
      expect(n).toBeGreaterThan(4 * 22);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort(byBytes)).toEqual(seen);
      for (const id of ids) expect(seen).toContain(id);
    }, 60_000);
  });
}
