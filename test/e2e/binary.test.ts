// The compiled dist/ledger driven as a user would: crash safety, one writer, read-only tools alongside, CLI, config, swagger, HTTP edges.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { eventHashOf } from "../../src/core/chain/link.ts";
import type { Receipt, StoredEvent } from "../../src/core/events/types.ts";
import { cleanupAll, ensureBinary, freePort, killAll, runLedger, startLedger, tempDir, type RunningLedger } from "../support/binary.ts";
import { commentAdded, findingCreated, leafHashOf, timeAnchorUpdated, ZERO_HASH } from "../support/http.ts";

const TENANT = "acme";

beforeAll(async () => {
  await ensureBinary();
}, 180_000);
afterEach(killAll);
afterAll(cleanupAll);

const post = (s: RunningLedger, path: string, body: string, contentType = "application/json") =>
  s.fetch(path, { method: "POST", tenant: TENANT, body, headers: { "content-type": contentType } });
const lines = (text: string) => text.trim().split("\n").filter((l) => l !== "");
const receiptOf = (e: StoredEvent): Receipt => ({
  eventId: e.eventId,
  chainId: e.chainId,
  sequence: e.sequence,
  eventHash: e.eventHash,
  previousHash: e.previousHash,
  merkleLeafHash: e.merkleLeafHash,
  recordedAt: e.recordedAt,
});

/** Every page of a chain. */
async function readChain(s: RunningLedger, chainId: string): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let cursor: string | null = null;
  do {
    const r = await s.fetch(`/v1/ledger/chains/${chainId}?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { tenant: TENANT });
    expect(r.status).toBe(200);
    const page = (await r.json()) as { items: StoredEvent[]; nextCursor: string | null };
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return all;
}

describe("crash safety", () => {
  test("every acknowledged receipt survives kill -9 mid-traffic and a restart, unchanged, and every chain recomputes", async () => {
    const dataDir = tempDir();
    const first = await startLedger({ dataDir });
    const receipts: Receipt[] = [];
    const findings = Array.from({ length: 6 }, () => findingCreated());

    for (const f of findings) {
      const r = await post(first, "/v1/ledger/events", JSON.stringify(f));
      expect(r.status).toBe(201);
      receipts.push((await r.json()) as Receipt);
    }
    const array = findings.flatMap((f) => [commentAdded(f.findingId), commentAdded(f.findingId)]);
    const a = await post(first, "/v1/ledger/events:batch", JSON.stringify(array));
    expect(a.status).toBe(201);
    receipts.push(...((await a.json()) as { results: { receipt: Receipt }[] }).results.map((x) => x.receipt));
    const nd = [...findings.map((f) => commentAdded(f.findingId)), timeAnchorUpdated()];
    const b = await post(first, "/v1/ledger/events:batch", nd.map((e) => JSON.stringify(e)).join("\n"), "application/x-ndjson");
    expect(b.status).toBe(201);
    receipts.push(...((await b.json()) as { results: { receipt: Receipt }[] }).results.map((x) => x.receipt));

    // Writes still in flight when the process dies: whatever got a 201 must survive; the rest may or may not.
    let acknowledged = 0;
    const inflight = Array.from({ length: 60 }, (_, i) =>
      post(first, "/v1/ledger/events", JSON.stringify(commentAdded(findings[i % findings.length]!.findingId)))
        .then(async (r) => {
          if (r.status !== 201) return;
          receipts.push((await r.json()) as Receipt);
          acknowledged++;
        })
        .catch(() => undefined),
    );
    const deadline = Date.now() + 5000;
    while (acknowledged < 5 && Date.now() < deadline) await Bun.sleep(2);
    await first.kill9();
    await Promise.all(inflight);
    expect(receipts.length).toBeGreaterThanOrEqual(6 + 12 + 7 + 5);

    const second = await startLedger({ dataDir });
    expect(second.token).toBe(first.token);
    for (const receipt of receipts) {
      const r = await second.fetch(`/v1/ledger/events/${receipt.eventId}`, { tenant: TENANT });
      expect(r.status).toBe(200);
      const e = (await r.json()) as StoredEvent;
      expect(receiptOf(e)).toEqual(receipt);
      expect(eventHashOf(e)).toBe(e.eventHash);
      expect(e.merkleLeafHash).toBe(leafHashOf(e.eventHash));
    }
    for (const chainId of new Set(receipts.map((r) => r.chainId))) {
      const chain = await readChain(second, chainId);
      chain.forEach((e, i) => {
        expect(e.sequence).toBe(i + 1);
        expect(e.previousHash).toBe(i === 0 ? ZERO_HASH : chain[i - 1]!.eventHash);
        expect(eventHashOf(e)).toBe(e.eventHash);
      });
    }
    const verify = await runLedger(["verify", "--all"], { env: { LEDGER__DATA__DIR: dataDir } });
    expect([verify.code, verify.err]).toEqual([0, ""]);
    expect(verify.out).toContain("all hold");
    expect(await second.stop()).toBe(0);
    expect(second.stderr()).toContain("SIGTERM received, stopping");
  }, 90_000);
});

describe("one writer, read-only tools alongside", () => {
  test("a second `serve` on the same data dir fails with one clear line and a non-zero exit; the first keeps serving", async () => {
    const s = await startLedger();
    const second = await runLedger(["serve"], { env: { LEDGER__DATA__DIR: s.dataDir, LEDGER__HTTP__URL: `http://127.0.0.1:${await freePort()}` } });
    expect(second.code).not.toBe(0);
    expect(second.err).toMatch(/already open for writing by process \d+/);
    expect(second.err).toContain(s.dataDir);
    expect(lines(second.err)).toHaveLength(1);
    expect((await s.fetch("/health/ready")).status).toBe(200);
    expect((await post(s, "/v1/ledger/events", JSON.stringify(findingCreated()))).status).toBe(201);
  }, 30_000);

  test("`migrate status`, `migrate verify` and `verify` read the store while the server runs, and the server still writes", async () => {
    const s = await startLedger();
    const f = findingCreated();
    expect((await post(s, "/v1/ledger/events", JSON.stringify(f))).status).toBe(201);
    expect((await post(s, "/v1/ledger/events", JSON.stringify(commentAdded(f.findingId)))).status).toBe(201);
    const env = { LEDGER__DATA__DIR: s.dataDir };

    const status = await runLedger(["migrate", "status"], { env });
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/applied\s+001_ledger_events/);
    expect(status.out).not.toMatch(/pending/);
    const mverify = await runLedger(["migrate", "verify"], { env });
    expect(mverify.code).toBe(0);
    expect(mverify.out).toContain("checksums match");
    const all = await runLedger(["verify", "--all"], { env });
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/tenant acme: ok \(1 chains, 2 events/);
    const one = await runLedger(["verify", "--tenant", TENANT], { env });
    expect(one.code).toBe(0);
    const unknown = await runLedger(["verify", "--tenant", "nobody"], { env });
    expect(unknown.code).toBe(2);
    expect(lines(unknown.err)).toHaveLength(1);

    expect((await post(s, "/v1/ledger/events", JSON.stringify(commentAdded(f.findingId)))).status).toBe(201);
  }, 60_000);
});

describe("admin token and binding", () => {
  test("the token file is 0600, its path is printed, it is reused on restart, and only it is accepted", async () => {
    const dataDir = tempDir();
    const first = await startLedger({ dataDir });
    const path = join(dataDir, "admin.token");
    expect(first.stderr()).toContain(`admin token: ${path}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    const wrong = await first.fetch("/v1/ledger/events", { method: "POST", tenant: TENANT, body: JSON.stringify(findingCreated()), headers: { authorization: "Bearer not-the-token" } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe("unauthorized");
    expect(await first.stop()).toBe(0);

    const second = await startLedger({ dataDir });
    expect(second.token).toBe(first.token);
    expect(readFileSync(path, "utf8").trim()).toBe(first.token);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await post(second, "/v1/ledger/events", JSON.stringify(findingCreated()))).status).toBe(201);
  }, 30_000);

  test("without an Authority it refuses a non-loopback bind, naming LEDGER__HTTP__URL", async () => {
    for (const url of [`http://0.0.0.0:${await freePort()}`, `http://[::]:${await freePort()}`]) {
      const r = await runLedger(["serve"], { env: { LEDGER__DATA__DIR: tempDir(), LEDGER__HTTP__URL: url } });
      expect(r.code).toBe(1);
      expect(r.err).toContain("LEDGER__HTTP__URL");
      expect(lines(r.err)).toHaveLength(1);
    }
  }, 30_000);

  test("the server listens on loopback only", async () => {
    const s = await startLedger();
    const port = Number(new URL(s.url).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === "IPv4" && !i.internal)
      .map((i) => i!.address);
    const reachable = (host: string) =>
      new Promise<boolean>((res) => {
        const sock = connect({ host, port, timeout: 2000 });
        sock.once("connect", () => (sock.destroy(), res(true)));
        sock.once("error", () => res(false));
        sock.once("timeout", () => (sock.destroy(), res(false)));
      });
    expect(await reachable("127.0.0.1")).toBe(true);
    for (const host of external) expect(await reachable(host)).toBe(false);
  }, 30_000);
});

describe("configuration errors", () => {
  const bad: Array<[string, Record<string, string>, string]> = [
    ["a malformed number", { LEDGER__MERKLE__ANCHORBATCH: "abc" }, "LEDGER__MERKLE__ANCHORBATCH"],
    ["an unknown key", { LEDGER__FOO__BAR: "1" }, "LEDGER__FOO__BAR"],
    ["a malformed duration", { LEDGER__MERKLE__ANCHORINTERVAL: "soon" }, "LEDGER__MERKLE__ANCHORINTERVAL"],
    ["a malformed boolean", { LEDGER__ATTACHMENTS__ALLOWEGRESS: "maybe" }, "LEDGER__ATTACHMENTS__ALLOWEGRESS"],
    ["a malformed size", { LEDGER__HTTP__MAXBODYBYTES: "lots" }, "LEDGER__HTTP__MAXBODYBYTES"],
  ];
  for (const [what, env, key] of bad) {
    test(`${what} fails start-up with one line naming ${key}`, async () => {
      const dataDir = tempDir();
      const r = await runLedger(["serve"], { env: { LEDGER__DATA__DIR: dataDir, LEDGER__HTTP__URL: `http://127.0.0.1:${await freePort()}`, ...env } });
      expect(r.code).toBe(1);
      expect(lines(r.err)).toHaveLength(1);
      expect(r.err).toContain(key);
      expect(r.err).toStartWith("ledger serve:");
      expect(existsSync(join(dataDir, "ledger.db"))).toBe(false);
    }, 30_000);
  }
});

describe("command line", () => {
  test("--help on the binary and on serve, migrate, version, verify exits 0 with usage on stdout", async () => {
    for (const args of [["--help"], ["help"], ["serve", "--help"], ["migrate", "--help"], ["version", "--help"], ["verify", "--help"]]) {
      const r = await runLedger(args);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 0]);
      expect(r.out.toLowerCase()).toContain("usage");
    }
  }, 60_000);

  test("an unknown command exits 2 with one line; a bad flag exits 2; no command prints help and exits 2", async () => {
    const unknown = await runLedger(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(lines(unknown.err)).toHaveLength(1);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const badFlag = await runLedger(["migrate", "up", "--nope"]);
    expect(badFlag.code).toBe(2);
    expect(lines(badFlag.err)).toHaveLength(1);
    const none = await runLedger([]);
    expect(none.code).toBe(2);
    expect(none.out).toContain("usage");
  }, 30_000);

  test("the binary runs from another directory with no node_modules or bun on PATH (relative data dir, sample data)", async () => {
    const elsewhere = tempDir("ledger-elsewhere-");
    const copy = join(elsewhere, "ledger");
    copyFileSync(await ensureBinary(), copy);
    const env = { PATH: elsewhere };
    const v = await runLedger(["version"], { binary: copy, cwd: elsewhere, env });
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^ledger \d+\.\d+\.\d+/);
    expect(existsSync(join(elsewhere, "node_modules"))).toBe(false);

    const s = await startLedger({ binary: copy, cwd: elsewhere, dataDir: join(elsewhere, "data"), env: { ...env, LEDGER__DATA__DIR: "data" }, args: ["--sample-data"] });
    expect(existsSync(join(elsewhere, "data", "ledger.db"))).toBe(true);
    const chains = /sample data: tenant "demo", chains (\S+)/.exec(s.stderr());
    expect(chains).not.toBeNull();
    const page = (await (await s.fetch(`/v1/ledger/chains/${chains![1]!.replace(/,$/, "")}`, { tenant: "demo" })).json()) as { items: StoredEvent[] };
    expect(page.items.length).toBeGreaterThan(0);
    for (const e of page.items) expect(eventHashOf(e)).toBe(e.eventHash);
    expect(await s.stop()).toBe(0);
  }, 60_000);
});

describe("HTTP on a real socket", () => {
  test("/swagger serves HTML whose scripts are all local; the UI bundle comes from the binary; /swagger/json lists the routes", async () => {
    const s = await startLedger();
    const page = await fetch(`${s.url}/swagger`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    const srcs = [...html.matchAll(/<script[^>]*\ssrc=["']([^"']+)["']/gi)].map((m) => m[1]!);
    expect(srcs.length).toBeGreaterThan(0);
    for (const src of srcs) expect(src).toMatch(/^\/(?!\/)/);
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fastly|esm\.sh|jsdelivr)/i);
    for (const src of srcs) {
      const js = await fetch(new URL(src, s.url));
      expect(js.status).toBe(200);
      expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    }
    const doc = (await (await fetch(`${s.url}/swagger/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/ledger/events", "/v1/ledger/events:batch", "/health/ready"]));
    const status = await fetch(`${s.url}/status`);
    expect(status.status).toBe(200);
    const text = await status.text();
    expect(Object.keys(JSON.parse(text) as object)).toEqual(expect.arrayContaining(["version", "commit", "buildTime", "features", "config", "workers"]));
    expect(text).not.toContain(s.token);
  }, 30_000);

  test("oversized bodies get a JSON 413 (declared length, chunked, and past the batch limit); the server stays healthy", async () => {
    const s = await startLedger();
    const big = JSON.stringify({ ...findingCreated(), payload: { vulnerabilityId: "CVE-1", severity: "low", title: "x".repeat(2 * 1024 * 1024) } });
    const expect413 = async (r: Response) => {
      expect(r.status).toBe(413);
      expect(r.headers.get("content-type") ?? "(no content-type)").toContain("application/json");
      expect(((await r.json()) as { error: string }).error).toBe("payload_too_large");
    };
    await expect413(await post(s, "/v1/ledger/events", big));
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) c.enqueue(bytes.subarray(i, i + 64 * 1024));
        c.close();
      },
    });
    await expect413(await s.fetch("/v1/ledger/events", { method: "POST", tenant: TENANT, body: stream, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit));
    // A batch body past LEDGER__HTTP__MAXBATCHBODYBYTES (32 MiB) must get the same JSON error, not a bare 413 from the socket layer.
    await expect413(await post(s, "/v1/ledger/events:batch", `[${" ".repeat(33 * 1024 * 1024)}]`));
    expect((await s.fetch("/health/ready")).status).toBe(200);
    expect((await post(s, "/v1/ledger/events", JSON.stringify(findingCreated()))).status).toBe(201);
  }, 60_000);

  test("malformed requests over the socket are 4xx JSON errors and nothing is written", async () => {
    const s = await startLedger();
    const probes: Array<[string, RequestInit & { tenant?: string }, number, string]> = [
      ["/v1/ledger/events", { method: "POST", tenant: TENANT, body: "{oops" }, 400, "bad_request"],
      ["/v1/ledger/events", { method: "POST", tenant: TENANT, body: new Uint8Array([0x7b, 0xff, 0x7d]) }, 400, "bad_request"],
      ["/v1/ledger/events", { method: "POST", body: JSON.stringify(findingCreated()) }, 400, "bad_request"],
      ["/v1/ledger/events", { method: "POST", tenant: TENANT, body: JSON.stringify({ ...findingCreated(), eventId: "x" }) }, 422, "validation_failed"],
      [`/v1/ledger/events/not-a-uuid`, { tenant: TENANT }, 400, "bad_request"],
      [`/v1/ledger/chains/${crypto.randomUUID()}?limit=1001`, { tenant: TENANT }, 400, "bad_request"],
      ["/nope", {}, 404, "not_found"],
    ];
    for (const [path, init, status, error] of probes) {
      const r = await s.fetch(path, init);
      expect([path, r.status]).toEqual([path, status]);
      expect(((await r.json()) as { error: string }).error).toBe(error);
    }
    const verify = await runLedger(["verify", "--all"], { env: { LEDGER__DATA__DIR: s.dataDir } });
    expect(verify.code).toBe(0);
    expect(verify.out).toContain("verified 0 tenants");
  }, 30_000);

  test("SIGTERM stops the server gracefully: exit 0, the port closes", async () => {
    const s = await startLedger();
    expect(await s.stop()).toBe(0);
    expect(s.stderr()).toContain("SIGTERM received, stopping");
    const refused = await fetch(`${s.url}/health/live`, { signal: AbortSignal.timeout(2000) }).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  }, 30_000);
});
