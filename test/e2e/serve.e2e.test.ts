// The compiled binary on the embedded store: appends over HTTP survive kill -9, one writer per data dir, CLI basics.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { eventHashOf } from "../../src/core/chain/link.ts";
import type { Receipt, StoredEvent } from "../../src/core/events/types.ts";
import { ensureBinary, runLedger, startLedger, tempDir, type RunningLedger } from "../support/binary.ts";
import { comment, created } from "../support/events.ts";

const TENANT = "acme";
const dirs: string[] = [];
const servers: RunningLedger[] = [];
const fresh = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
const start = async (opts: Parameters<typeof startLedger>[0] = {}) => {
  const s = await startLedger(opts);
  servers.push(s);
  return s;
};

beforeAll(async () => {
  await ensureBinary();
}, 120_000);

afterAll(async () => {
  for (const s of servers) if (s.proc.exitCode === null) await s.kill9();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("ledger serve (compiled, embedded store)", () => {
  test("every acknowledged receipt survives kill -9 and a restart unchanged", async () => {
    const dataDir = fresh();
    const first = await start({ dataDir });
    const receipts: Receipt[] = [];
    const findings = Array.from({ length: 5 }, () => created());
    for (const f of findings) {
      const r = await first.fetch("/v1/ledger/events", { method: "POST", tenant: TENANT, body: JSON.stringify(f) });
      expect(r.status).toBe(201);
      receipts.push(await r.json());
    }
    const batch = findings.flatMap((f) => [comment(f.findingId), comment(f.findingId)]);
    const br = await first.fetch("/v1/ledger/events:batch", { method: "POST", tenant: TENANT, body: JSON.stringify(batch) });
    expect(br.status).toBe(201);
    receipts.push(...((await br.json()) as { results: { receipt: Receipt }[] }).results.map((x) => x.receipt));
    // Concurrent singles right up to the kill: every one that got a 201 must survive.
    const inflight = findings.map(async (f) => {
      const r = await first.fetch("/v1/ledger/events", { method: "POST", tenant: TENANT, body: JSON.stringify(comment(f.findingId)) });
      if (r.status === 201) receipts.push(await r.json());
    });
    await Promise.all(inflight);
    await first.kill9();

    const second = await start({ dataDir });
    expect(second.token).toBe(first.token); // the token file is reused
    expect(statSync(join(dataDir, "admin.token")).mode & 0o777).toBe(0o600);
    for (const receipt of receipts) {
      const r = await second.fetch(`/v1/ledger/events/${receipt.eventId}`, { tenant: TENANT });
      expect(r.status).toBe(200);
      const e = (await r.json()) as StoredEvent;
      expect({ eventId: e.eventId, chainId: e.chainId, sequence: e.sequence, eventHash: e.eventHash, previousHash: e.previousHash, merkleLeafHash: e.merkleLeafHash, recordedAt: e.recordedAt }).toEqual(receipt);
      expect(eventHashOf(e)).toBe(e.eventHash);
    }
    // Each chain reads back gapless and linked.
    for (const chainId of new Set(receipts.map((r) => r.chainId))) {
      const page = (await (await second.fetch(`/v1/ledger/chains/${chainId}`, { tenant: TENANT })).json()) as { items: StoredEvent[] };
      page.items.forEach((e, i) => {
        expect(e.sequence).toBe(i + 1);
        if (i > 0) expect(e.previousHash).toBe(page.items[i - 1]!.eventHash);
        expect(eventHashOf(e)).toBe(e.eventHash);
      });
    }
    expect(await second.stop()).toBe(0);
  }, 60_000);

  test("a second writer on the same data dir fails with one clear line; read-only commands run alongside", async () => {
    const dataDir = fresh();
    const first = await start({ dataDir });
    const second = await runLedger(["serve"], { env: { LEDGER__DATA__DIR: dataDir, LEDGER__HTTP__URL: "http://127.0.0.1:1" } });
    expect(second.code).not.toBe(0);
    expect(second.err).toMatch(/already open for writing by process \d+/);
    const status = await runLedger(["migrate", "status"], { env: { LEDGER__DATA__DIR: dataDir } });
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/applied\s+001_ledger_events/);
    const verify = await runLedger(["migrate", "verify"], { env: { LEDGER__DATA__DIR: dataDir } });
    expect(verify.code).toBe(0);
    expect(await first.stop()).toBe(0);
  }, 30_000);

  test("start-up refuses a non-loopback bind without an Authority, and bad config, naming the key", async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ LEDGER__HTTP__URL: "http://0.0.0.0:18080" }, /LEDGER__HTTP__URL/],
      [{ LEDGER__MERKLE__ANCHORBATCH: "abc" }, /LEDGER__MERKLE__ANCHORBATCH/],
      [{ LEDGER__FOO__BAR: "1" }, /LEDGER__FOO__BAR/],
      [{ LEDGER__MERKLE__ANCHORINTERVAL: "soon" }, /LEDGER__MERKLE__ANCHORINTERVAL/],
    ];
    for (const [env, key] of cases) {
      const r = await runLedger(["serve"], { env: { LEDGER__DATA__DIR: fresh(), ...env } });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(key);
      expect(r.err.trim().split("\n").length).toBe(1);
    }
  }, 30_000);

  test("swagger works offline: the UI script is served by the binary, the document lists the routes", async () => {
    const s = await start({ dataDir: fresh() });
    const html = await (await fetch(`${s.url}/swagger`)).text();
    expect(html).toContain("/swagger-assets/scalar-standalone.js");
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fastly)/);
    const js = await fetch(`${s.url}/swagger-assets/scalar-standalone.js`);
    expect(js.status).toBe(200);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const doc = (await (await fetch(`${s.url}/swagger/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/ledger/events", "/v1/ledger/events:batch", "/health/ready"]));
    const status = (await (await fetch(`${s.url}/status`)).json()) as Record<string, unknown>;
    expect(Object.keys(status)).toEqual(expect.arrayContaining(["version", "commit", "buildTime", "features", "config", "workers"]));
    expect(JSON.stringify(status)).not.toContain(s.token);
    await s.stop();
  }, 30_000);

  test("the binary runs from any directory with no node_modules in sight, with sample data", async () => {
    const elsewhere = fresh();
    const copy = join(elsewhere, "ledger");
    copyFileSync((await ensureBinary()), copy);
    const v = await runLedger(["version"], { binary: copy, cwd: elsewhere });
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^ledger \d+\.\d+\.\d+/);
    const s = await start({ binary: copy, dataDir: join(elsewhere, "data"), args: ["--sample-data"] });
    expect(s.stderr()).toMatch(/admin token: .*admin\.token/);
    const chains = /sample data: tenant "demo", chains (\S+)/.exec(s.stderr());
    expect(chains).not.toBeNull();
    const page = (await (await s.fetch(`/v1/ledger/chains/${chains![1]!.replace(/,$/, "")}`, { tenant: "demo" })).json()) as { items: unknown[] };
    expect(page.items.length).toBeGreaterThan(0);
    await s.stop();
  }, 30_000);

  test("--help on every command exits 0; an unknown command exits 2", async () => {
    for (const args of [["--help"], ["serve", "--help"], ["migrate", "--help"], ["version", "--help"]]) {
      const r = await runLedger(args);
      expect(r.code).toBe(0);
      expect(r.out).toContain("usage");
    }
    const bad = await runLedger(["frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown command");
    const badFlag = await runLedger(["migrate", "up", "--nope"]);
    expect(badFlag.code).toBe(2);
  }, 30_000);
});
