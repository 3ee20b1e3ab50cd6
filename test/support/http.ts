// In-process app over a temp-dir embedded store (app.handle, no ports), event builders, and the table-style scenario runner for route tests.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { FEATURES } from "../../src/cli/version.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Receipt, StoredEvent } from "../../src/core/events/types.ts";
import { createApp } from "../../src/http/app.ts";
import { localTokenAuthenticator } from "../../src/http/auth.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { loadSigningKey } from "../../src/ledger/signing-key.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { openAnchorStore } from "../../src/store/anchor-port.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { tempDir } from "./binary.ts";

export const TEST_TOKEN = "test-token-0123456789abcdef0123456789abcdef";
export const TEST_TENANT = "acme";

/** Anything a Request body may be (string, bytes, a stream ...). */
export type RawBody = NonNullable<RequestInit["body"]>;

export interface RequestOptions {
  /** Sent as JSON (content-type application/json unless headers say otherwise). */
  body?: unknown;
  /** Sent as is (string, bytes or a stream: a stream has no Content-Length, like a chunked upload). */
  rawBody?: RawBody;
  headers?: Record<string, string>;
  /** X-Stella-Tenant; default "acme"; null sends none. */
  tenant?: string | null;
  /** Bearer token; default the app's token; null sends no Authorization header. */
  token?: string | null;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body ({} when the body is not JSON). */
  json: Record<string, unknown>;
}

/** Build the app as `ledger serve` does (embedded store, local admin token), with no workers and no port. */
export async function makeTestApp(env: Record<string, string> = {}) {
  const dataDir = tempDir("ledger-http-");
  const config = loadConfig({ env: { LEDGER__DATA__DIR: dataDir, ...env } });
  const store = SqliteEventStore.open({ dataDir });
  await store.migrations.up();
  const appender = new Appender(store, systemMicroClock());
  const app = createApp({
    config,
    store,
    appender,
    auth: localTokenAuthenticator(TEST_TOKEN),
    log: silentLogger,
    features: { ...FEATURES, workers: false },
    workers: () => [
      { name: "projector", state: "disabled" },
      { name: "anchorer", state: "disabled" },
    ],
    signingKey: loadSigningKey(config, { create: true }),
    anchors: openAnchorStore(store),
  });

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<TestResponse> {
    const headers = new Headers(opts.headers);
    if (opts.token !== null) headers.set("authorization", `Bearer ${opts.token ?? TEST_TOKEN}`);
    if (opts.tenant !== null) headers.set("x-stella-tenant", opts.tenant ?? TEST_TENANT);
    let body: RawBody | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const init: RequestInit & { duplex?: "half" } = { method, headers, body };
    if (body instanceof ReadableStream) init.duplex = "half";
    const res = await app.handle(new Request(`http://localhost${path}`, init));
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object") json = parsed as Record<string, unknown>;
    } catch {
      // not JSON: callers assert on status/text; json stays {}
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  return {
    app,
    store,
    dataDir,
    token: TEST_TOKEN,
    request,
    /** Events in the store across every tenant: "nothing was written" means this did not move. */
    totalEvents: (): number => store.db.query<{ n: number }, []>("SELECT count(*) AS n FROM ledger_events").get()!.n,
    async close() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof makeTestApp>>;

// ---- event builders: valid events with fresh ids ---------------------------------------------

export interface EventBody {
  eventId: string;
  eventType: string;
  findingId?: string | null;
  artifactId?: string;
  policyVersion?: string;
  actor: { id: string; type: string };
  occurredAt: string;
  sourceRunId?: string | null;
  expectedSequence?: number;
  payload: Record<string, unknown>;
}

export const ARTIFACT_ID = `sha256:${"cd".repeat(32)}`;

/** A valid `finding.created` for a new finding (fresh eventId and findingId). */
export function findingCreated(over: Partial<EventBody> = {}): EventBody & { findingId: string } {
  const findingId = over.findingId ?? `CVE-2026-${Math.floor(Math.random() * 1e6)}@pkg:npm/left-pad@${crypto.randomUUID()}`;
  return {
    eventId: crypto.randomUUID(),
    eventType: "finding.created",
    artifactId: ARTIFACT_ID,
    policyVersion: "policy-7",
    actor: { id: "scanner-1", type: "system" },
    occurredAt: "2026-11-01T10:00:00Z",
    sourceRunId: crypto.randomUUID(),
    payload: { vulnerabilityId: "CVE-2026-0001", severity: "high", cvssScore: 7.5, component: "pkg:npm/left-pad@1.3.0", tags: ["prod"] },
    ...over,
    findingId,
  };
}

/** Any event on an existing finding. */
export function findingEvent(findingId: string, eventType: string, payload: Record<string, unknown>, over: Partial<EventBody> = {}): EventBody {
  return {
    eventId: crypto.randomUUID(),
    eventType,
    findingId,
    actor: { id: "alice@example.com", type: "operator" },
    occurredAt: "2026-11-01T11:00:00.250+01:00",
    payload,
    ...over,
  };
}

export const commentAdded = (findingId: string, comment = "looked at it") => findingEvent(findingId, "finding.comment_added", { comment });
export const statusChanged = (findingId: string, payload: Record<string, unknown>) => findingEvent(findingId, "finding.status_changed", payload);
export const findingClosed = (findingId: string) => findingEvent(findingId, "finding.closed", { reason: "fixed upstream" });
export const findingReopened = (findingId: string) => findingEvent(findingId, "finding.reopened", { reason: "regressed" });

/** A non-finding event (family `airgap`). */
export function timeAnchorUpdated(over: Partial<EventBody> = {}): EventBody {
  return {
    eventId: crypto.randomUUID(),
    eventType: "airgap.time_anchor_updated",
    actor: { id: "importer", type: "integration" },
    occurredAt: "2026-11-01T09:00:00Z",
    payload: { anchorTime: "2026-11-01T08:59:00Z", source: "roughtime://time.example" },
    ...over,
  };
}

// ---- independent recomputations of the wire rules (not the src implementation) -------------------

const CHAIN_NS = "6f8c4f8e-2b7a-5c1e-9d4a-3e2f1a0b9c8d";

/** RFC 9562 UUIDv5, written here from the RFC so tests do not trust the code they check. */
export function uuidV5(namespace: string, name: string): string {
  const b = createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const findingChainOf = (tenantId: string, findingId: string) => uuidV5(CHAIN_NS, `${tenantId}\n${findingId}`);
export const familyChainOf = (tenantId: string, family: string) => uuidV5(CHAIN_NS, `${tenantId}\n@${family}`);

/** RFC 9162 leaf hash of an eventHash: SHA-256(0x00 || 32 raw bytes). */
export const leafHashOf = (eventHash: string) => createHash("sha256").update(Buffer.concat([Buffer.from([0]), Buffer.from(eventHash, "hex")])).digest("hex");

export const RECEIPT_KEYS = ["chainId", "eventHash", "eventId", "merkleLeafHash", "previousHash", "recordedAt", "sequence"] as const;
export const RECORDED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export const HEX64 = /^[0-9a-f]{64}$/;
export const ZERO_HASH = "0".repeat(64);

// ---- table-style scenarios: given events appended, when one request, then status, body and events written ----

/** What a scenario sees: a fresh app, a fresh (not yet appended) finding, and the given events with their receipts. */
export interface World {
  t: TestApp;
  f: EventBody & { findingId: string };
  given: EventBody[];
  receipts: Receipt[];
}

export interface Req {
  method: string;
  path: string;
  body?: unknown;
  rawBody?: RawBody;
  headers?: Record<string, string>;
  tenant?: string;
}

export interface Then {
  status: number;
  /** Expected `error` code of an error body. */
  error?: string;
  /** Subset the body must match. */
  body?: Record<string, unknown> | ((w: World) => Record<string, unknown>);
  /** The whole body, exactly. */
  exact?: (w: World) => unknown;
  /** The exact sorted key set of the body. */
  keys?: readonly string[];
  /** For 422s: the exact list of `details[].path`. */
  paths?: string[];
  /** How many events the request adds to the store (across all tenants). */
  written: number;
  check?: (r: TestResponse, w: World) => void | Promise<void>;
}

export interface Scenario {
  name: string;
  given?: (w: World) => EventBody[];
  when: (w: World) => Req;
  then: Then;
}

export const post = (body: unknown, extra: Partial<Req> = {}): Req => ({ method: "POST", path: "/v1/ledger/events", body, ...extra });
export const batch = (body: unknown, extra: Partial<Req> = {}): Req => ({ method: "POST", path: "/v1/ledger/events:batch", body, ...extra });
export const ndjson = (events: unknown[], eol = "\n"): Req => ({
  method: "POST",
  path: "/v1/ledger/events:batch",
  rawBody: events.map((e) => JSON.stringify(e)).join(eol) + eol,
  headers: { "content-type": "application/x-ndjson" },
});
export const get = (path: string, tenant?: string): Req => ({ method: "GET", path, ...(tenant ? { tenant } : {}) });
export const results = (r: TestResponse) => r.json.results as { index: number; status: string; receipt: Receipt }[];
export const items = (r: TestResponse) => r.json.items as StoredEvent[];
export const receiptOf = (e: StoredEvent): Receipt => ({
  eventId: e.eventId,
  chainId: e.chainId,
  sequence: e.sequence,
  eventHash: e.eventHash,
  previousHash: e.previousHash,
  merkleLeafHash: e.merkleLeafHash,
  recordedAt: e.recordedAt,
});
export const comments = (w: World, n: number) => Array.from({ length: n }, (_, i) => commentAdded(w.f.findingId, `note ${i}`));
export const STORED_KEYS = [
  "actor", "artifactId", "chainId", "eventHash", "eventId", "eventType", "findingId", "leafIndex", "merkleLeafHash", "occurredAt",
  "payload", "policyVersion", "previousHash", "recordedAt", "sequence", "sourceRunId", "tenantId",
];

/** Checks every receipt rule that does not depend on the chain's history. */
export function expectWellFormedReceipt(r: Receipt, tenant: string, e: EventBody): void {
  expect(Object.keys(r).sort()).toEqual([...RECEIPT_KEYS]);
  expect(r.eventId).toBe(e.eventId.toLowerCase());
  expect(r.chainId).toBe(e.findingId ? findingChainOf(tenant, e.findingId) : familyChainOf(tenant, e.eventType.split(".")[0]!));
  expect(r.eventHash).toMatch(HEX64);
  expect(r.previousHash).toMatch(HEX64);
  expect(r.merkleLeafHash).toBe(leafHashOf(r.eventHash));
  expect(r.recordedAt).toMatch(RECORDED_AT);
  expect(Number.isSafeInteger(r.sequence) && r.sequence >= 1).toBe(true);
}

/** Run one scenario on a fresh app: append `given` (each must be 201), send `when`, check `then`. */
export async function runScenario(t: TestApp, s: Scenario): Promise<void> {
  const w: World = { t, f: findingCreated(), given: [], receipts: [] };
  w.given = s.given?.(w) ?? [];
  for (const e of w.given) {
    const r = await t.request("POST", "/v1/ledger/events", { body: e });
    expect(r.status).toBe(201);
    w.receipts.push(r.json as unknown as Receipt);
  }
  const req = s.when(w);
  const before = t.totalEvents();
  const r = await t.request(req.method, req.path, { body: req.body, rawBody: req.rawBody, headers: req.headers, ...(req.tenant ? { tenant: req.tenant } : {}) });
  const want = s.then;
  if (r.status !== want.status) throw new Error(`expected ${want.status}, got ${r.status}: ${r.text.slice(0, 500)}`);
  expect(r.headers.get("content-type")).toContain("application/json");
  if (want.status >= 400) {
    expect(r.json.error).toBe(want.error!);
    expect(typeof r.json.message).toBe("string");
  }
  if (want.keys) expect(Object.keys(r.json).sort()).toEqual([...want.keys].sort());
  if (want.body) expect(r.json).toMatchObject(typeof want.body === "function" ? want.body(w) : want.body);
  if (want.exact) expect(r.json).toEqual(want.exact(w) as Record<string, unknown>);
  if (want.paths) expect((r.json.details as { path: string }[]).map((d) => d.path)).toEqual(want.paths);
  await want.check?.(r, w);
  expect(t.totalEvents() - before).toBe(want.written);
}

/** One describe per group, one test per scenario, each on its own fresh app (own temp dir). */
export function describeScenarios(groups: Record<string, Scenario[]>): void {
  for (const [group, list] of Object.entries(groups)) {
    describe(group, () => {
      let t: TestApp;
      beforeEach(async () => {
        t = await makeTestApp();
      });
      afterEach(async () => t.close());
      for (const s of list) test(s.name, () => runScenario(t, s), 30_000);
    });
  }
}
