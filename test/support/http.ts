// An in-process app over a temp-dir embedded store, called with app.handle(Request): no ports, no processes.
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config/load.ts";
import { createApp } from "../../src/http/app.ts";
import { localTokenAuthenticator } from "../../src/http/auth.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { tempDir } from "./binary.ts";

export const TEST_TOKEN = "test-token-0123456789abcdef0123456789abcdef";

export interface RequestOptions {
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  tenant?: string | null;
  token?: string | null;
}

export async function makeTestApp(env: Record<string, string> = {}) {
  const dir = tempDir("ledger-http-");
  const config = loadConfig({ env: { LEDGER__DATA__DIR: dir, ...env } });
  const store = SqliteEventStore.open({ dataDir: dir });
  await store.migrations.up();
  const appender = new Appender(store, systemMicroClock());
  const app = createApp({
    config,
    store,
    appender,
    auth: localTokenAuthenticator(TEST_TOKEN),
    log: silentLogger,
    features: {},
    workers: () => [],
  });

  async function request(method: string, path: string, opts: RequestOptions = {}) {
    const headers = new Headers(opts.headers);
    if (opts.token !== null) headers.set("authorization", `Bearer ${opts.token ?? TEST_TOKEN}`);
    if (opts.tenant !== null) headers.set("x-stella-tenant", opts.tenant ?? "acme");
    let body: BodyInit | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> };
  }

  return {
    app,
    store,
    request,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
