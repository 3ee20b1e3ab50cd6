// Checkpoint, proof, keys and verify routes on both drivers via app.handle: every proof checked by our verifiers and Go's sumdb/tlog.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { hashFromHex } from "../../src/core/merkle/hex.ts";
import { verifyConsistency, verifyInclusion } from "../../src/core/merkle/verify.ts";
import { openCheckpoint } from "../../src/core/signing/checkpoint.ts";
import { createApp } from "../../src/http/app.ts";
import { localTokenAuthenticator } from "../../src/http/auth.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { parseVkey } from "../../src/core/signing/note.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { openAnchorStore } from "../../src/store/anchor-port.ts";
import { comment, created, randomTenant } from "../support/events.ts";
import { goVerify, type GoConsistency, type GoInclusion } from "../support/go-verify.ts";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import { anchorer, appendWorkload, KEY_NAME, testKey } from "./anchor.fixtures.ts";

const TOKEN = "proofs-api-test-token";
const key = testKey();

interface Checkpoint { treeSize: number; rootHash: string; previousTreeSize: number; previousRootHash: string; createdAt: string; note: string }
interface Inclusion { leafIndex: number; treeSize: number; rootHash: string; hashes: string[] }
interface Consistency { fromSize: number; toSize: number; fromRoot: string; toRoot: string; hashes: string[] }

for (const driver of DRIVERS) {
  describe(`proof routes: ${driver.name}`, () => {
    let opened: OpenedStore;
    let app: ReturnType<typeof createApp>;
    let appender: Appender;
    const tenant = randomTenant();
    const eventIds: string[] = [];
    const call = async (method: string, path: string, opts: { tenant?: string | null; token?: string | null; body?: string } = {}) => {
      const headers: Record<string, string> = {};
      if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
      if (opts.tenant !== null) headers["x-stella-tenant"] = opts.tenant ?? tenant;
      const res = await app.handle(new Request(`http://ledger.test${path}`, { method, headers, body: opts.body }));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const get = (path: string, opts = {}) => call("GET", path, opts);

    beforeAll(async () => {
      opened = await driver.open();
      appender = new Appender(opened.store, systemMicroClock());
      const anchors = openAnchorStore(opened.store);
      app = createApp({
        config: loadConfig({ env: {} }), store: opened.store, appender, auth: localTokenAuthenticator(TOKEN),
        log: silentLogger, features: {}, workers: () => [], signingKey: key, anchors,
      });
      const a = anchorer(anchors, key, { maxLeaves: 6 });
      for (const [findings, comments] of [[3, 2], [4, 4], [2, 9]] as const) {
        await appendWorkload(appender, tenant, findings, comments);
        await a.drain(); // checkpoints at 5 | 11, 13 | 19, 24
      }
      const rows = (await opened.raw(driver.name === "postgres" ? "SELECT event_id::text AS id FROM ledger_events WHERE tenant_id = $1" : "SELECT event_id AS id FROM ledger_events WHERE tenant_id = ?", [tenant])) as { id: string }[];
      eventIds.push(...rows.map((r) => r.id));
    }, 60_000);
    afterAll(async () => opened.cleanup());

    test("GET /v1/ledger/keys needs no token and lists the vkey that opens every checkpoint (ours and Go's note.Open)", async () => {
      const { status, body } = await get("/v1/ledger/keys", { token: null, tenant: null });
      expect(status).toBe(200);
      expect(body).toEqual({ keys: [{ name: KEY_NAME, keyId: key.info.keyId, algorithm: "ed25519", vkey: key.info.vkey }] });
      const latest = (await get("/v1/ledger/checkpoints/latest")).body as unknown as Checkpoint;
      const opened = openCheckpoint(latest.note, [parseVkey(key.info.vkey)], `${KEY_NAME}/${tenant}`);
      expect(opened.checkpoint.treeSize).toBe(latest.treeSize);
      const go = await goVerify({ vkey: key.info.vkey, signedNote: latest.note });
      expect(go.results[0]).toMatchObject({ ok: true, origin: `${KEY_NAME}/${tenant}`, treeSize: 24, rootHash: latest.rootHash });
    }, 60_000);

    test("checkpoints: latest, ?fromSize= inclusive, paged with cursors; 404 for a tenant with none", async () => {
      const latest = await get("/v1/ledger/checkpoints/latest");
      expect(latest.status).toBe(200);
      expect(latest.body).toMatchObject({ treeSize: 24, previousTreeSize: 19 });
      expect(latest.body.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      expect(Object.keys(latest.body).sort()).toEqual(["createdAt", "note", "previousRootHash", "previousTreeSize", "rootHash", "treeSize"]);
      const all = (await get("/v1/ledger/checkpoints")).body as { items: Checkpoint[]; nextCursor: string | null };
      expect(all.items.map((c) => c.treeSize)).toEqual([5, 11, 13, 19, 24]);
      expect(all.nextCursor).toBeNull();
      all.items.forEach((c, i) => expect(c.previousRootHash).toBe(i === 0 ? "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" : all.items[i - 1]!.rootHash));
      expect(((await get("/v1/ledger/checkpoints?fromSize=11")).body.items as Checkpoint[]).map((c) => c.treeSize)).toEqual([11, 13, 19, 24]);
      expect(((await get("/v1/ledger/checkpoints?fromSize=12")).body.items as Checkpoint[]).map((c) => c.treeSize)).toEqual([13, 19, 24]);
      const sizes: number[] = [];
      for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
        const page = (await get(`/v1/ledger/checkpoints?fromSize=6&limit=2${cursor ? `&cursor=${cursor}` : ""}`)).body as { items: Checkpoint[]; nextCursor: string | null };
        sizes.push(...page.items.map((c) => c.treeSize));
        cursor = page.nextCursor;
      }
      expect(sizes).toEqual([11, 13, 19, 24]);
      expect(await get("/v1/ledger/checkpoints/latest", { tenant: randomTenant() })).toMatchObject({ status: 404, body: { error: "not_found" } });
      expect(await get("/v1/ledger/checkpoints", { tenant: randomTenant() })).toMatchObject({ status: 200, body: { items: [], nextCursor: null } });
    });

    test("an inclusion proof for every event at the latest size and at every checkpoint size holding it, checked by us and by Go's tlog.CheckRecord", async () => {
      const cps = ((await get("/v1/ledger/checkpoints")).body.items as Checkpoint[]);
      const go: GoInclusion[] = [];
      for (const id of eventIds) {
        const event = (await get(`/v1/ledger/events/${id}`)).body as { leafIndex: number; merkleLeafHash: string };
        expect(event.leafIndex).toBeGreaterThanOrEqual(0);
        for (const cp of [undefined, ...cps.filter((c) => c.treeSize > event.leafIndex)]) {
          const r = await get(`/v1/ledger/proofs/inclusion?eventId=${id}${cp ? `&treeSize=${cp.treeSize}` : ""}`);
          expect(r.status).toBe(200);
          const p = r.body as unknown as Inclusion;
          expect(p.leafIndex).toBe(event.leafIndex);
          expect(p.treeSize).toBe(cp?.treeSize ?? 24);
          expect(p.rootHash).toBe(cp?.rootHash ?? cps[cps.length - 1]!.rootHash);
          verifyInclusion(hashFromHex(event.merkleLeafHash), p.leafIndex, p.treeSize, p.hashes.map(hashFromHex), hashFromHex(p.rootHash));
          go.push({ leafHash: event.merkleLeafHash, index: p.leafIndex, size: p.treeSize, root: p.rootHash, proof: p.hashes });
        }
      }
      // Sizes between checkpoints are allowed too (the root is folded from stored nodes).
      const mid = (await get(`/v1/ledger/proofs/inclusion?eventId=${eventIds[0]}&treeSize=20`)).body as unknown as Inclusion;
      expect(mid.treeSize).toBe(20);
      const result = await goVerify({ vkey: key.info.vkey, inclusion: go });
      expect(result.results.filter((r) => !r.ok)).toEqual([]);
      expect(go.length).toBeGreaterThan(eventIds.length * 2);
    }, 60_000);

    test("a consistency proof between every pair of sizes 1..latest, checked by us and by Go's tlog.CheckTree; equal sizes give no hashes", async () => {
      const go: GoConsistency[] = [];
      for (let from = 1; from <= 24; from++) {
        for (let to = from; to <= 24; to++) {
          const r = await get(`/v1/ledger/proofs/consistency?from=${from}&to=${to}`);
          expect(r.status).toBe(200);
          const p = r.body as unknown as Consistency;
          expect([p.fromSize, p.toSize]).toEqual([from, to]);
          if (from === to) expect(p.hashes).toEqual([]);
          verifyConsistency(from, to, p.hashes.map(hashFromHex), hashFromHex(p.fromRoot), hashFromHex(p.toRoot));
          go.push({ size1: from, size2: to, root1: p.fromRoot, root2: p.toRoot, proof: p.hashes });
        }
      }
      const cps = ((await get("/v1/ledger/checkpoints")).body.items as Checkpoint[]);
      const between = (await get(`/v1/ledger/proofs/consistency?from=${cps[1]!.treeSize}&to=${cps[3]!.treeSize}`)).body as unknown as Consistency;
      expect([between.fromRoot, between.toRoot]).toEqual([cps[1]!.rootHash, cps[3]!.rootHash]);
      const result = await goVerify({ vkey: key.info.vkey, consistency: go });
      expect(result.results.filter((r) => !r.ok)).toEqual([]);
    }, 60_000);

    test.each([
      ["/v1/ledger/proofs/consistency?from=0&to=5", 400],
      ["/v1/ledger/proofs/consistency?from=6&to=5", 400],
      ["/v1/ledger/proofs/consistency?from=1&to=25", 400],
      ["/v1/ledger/proofs/consistency?from=1", 400],
      ["/v1/ledger/proofs/consistency?from=-1&to=3", 400],
      ["/v1/ledger/proofs/consistency?from=1.5&to=3", 400],
      ["/v1/ledger/proofs/consistency?from=1&to=3&x=1", 400],
      ["/v1/ledger/proofs/inclusion", 400],
      ["/v1/ledger/proofs/inclusion?eventId=not-a-uuid", 400],
      [`/v1/ledger/proofs/inclusion?eventId=${crypto.randomUUID()}`, 404],
      ["/v1/ledger/checkpoints?limit=1001", 400],
      ["/v1/ledger/checkpoints?fromSize=abc", 400],
      ["/v1/ledger/checkpoints?cursor=nope", 400],
      ["/v1/ledger/checkpoints/latest?x=1", 400],
    ])("GET %s -> %d", async (path, status) => {
      const r = await get(path);
      expect(r.status).toBe(status);
      expect(r.body.message).toEqual(expect.any(String));
    });

    test("inclusion: treeSize bounds, not yet anchored (404 not_anchored), another tenant's event (404), auth and tenant header", async () => {
      const leaves = await Promise.all(eventIds.map(async (id) => ({ id, leaf: ((await get(`/v1/ledger/events/${id}`)).body as { leafIndex: number }).leafIndex })));
      const { id, leaf } = leaves.find((l) => l.leaf === 7)!;
      expect((await get(`/v1/ledger/proofs/inclusion?eventId=${id}&treeSize=0`)).status).toBe(400);
      expect((await get(`/v1/ledger/proofs/inclusion?eventId=${id}&treeSize=25`)).status).toBe(400);
      expect((await get(`/v1/ledger/proofs/inclusion?eventId=${id}&treeSize=${leaf}`)).body).toMatchObject({ error: "bad_request", details: { leafIndex: leaf, treeSize: leaf } });
      const pending = created();
      const receipt = (await appender.appendOne(tenant, pending)).receipt;
      expect(((await get(`/v1/ledger/events/${receipt.eventId}`)).body as { leafIndex: unknown }).leafIndex).toBeNull();
      expect(await get(`/v1/ledger/proofs/inclusion?eventId=${receipt.eventId}`)).toMatchObject({ status: 404, body: { error: "not_anchored" } });
      const other = randomTenant();
      await appender.appendOne(other, comment(pending.findingId)).catch(() => {});
      expect(await get(`/v1/ledger/proofs/inclusion?eventId=${id}`, { tenant: other })).toMatchObject({ status: 404, body: { error: "not_found" } });
      expect((await get(`/v1/ledger/proofs/inclusion?eventId=${id}`, { token: null })).status).toBe(401);
      expect((await get(`/v1/ledger/proofs/inclusion?eventId=${id}`, { tenant: null })).status).toBe(400);
      expect((await get("/v1/ledger/checkpoints/latest", { token: "wrong" })).status).toBe(401);
    });

    test("POST /v1/ledger/verify reports the tenant (body optional, a JSON object if given)", async () => {
      for (const body of [undefined, "{}"]) {
        const r = await call("POST", "/v1/ledger/verify", { body });
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ ok: true, tenant, checkpointsChecked: 5, failures: [] });
        expect(r.body.chainsChecked).toBeGreaterThanOrEqual(9);
        expect(r.body.eventsChecked).toBeGreaterThanOrEqual(24);
      }
      expect((await call("POST", "/v1/ledger/verify", { body: "[]" })).status).toBe(400);
      expect((await call("POST", "/v1/ledger/verify", { body: "{" })).status).toBe(400);
      expect((await call("POST", "/v1/ledger/verify", { token: null })).status).toBe(401);
    });
  });
}
