// `ledger serve`: the HTTP API on the configured store (workers in-process unless --no-workers).
import { loadConfig, type Config } from "../config/load.ts";
import { LedgerError } from "../core/errors.ts";
import { localTokenAuthenticator, type Authenticator } from "../http/auth.ts";
import { createApp } from "../http/app.ts";
import type { AppDeps, WorkerState } from "../http/context.ts";
import { loadOrCreateAdminToken } from "../ledger/admin-token.ts";
import { Appender } from "../ledger/appender.ts";
import { systemMicroClock } from "../ledger/clock.ts";
import { seedSampleData } from "../ledger/sample-data.ts";
import { loadSigningKey, signingKeyNotice } from "../ledger/signing-key.ts";
import { createLogger, type Logger } from "../observability/logger.ts";
import { createMetrics } from "../observability/metrics.ts";
import { openAnchorStore } from "../store/anchor-port.ts";
import { openStore } from "../store/open.ts";
import type { EventStore } from "../store/port.ts";
import { openProjectionStore } from "../store/projection-port.ts";
import { Anchorer } from "../workers/anchorer.ts";
import { Projector } from "../workers/projector.ts";
import { parseFlags, type Command, type Io } from "./command.ts";
import { FEATURES } from "./version.ts";

const USAGE = `usage: ledger serve [--config FILE] [--migrate] [--no-workers] [--sample-data]

Serves the HTTP API at LEDGER__HTTP__URL (default http://127.0.0.1:8080).
  --migrate       on PostgreSQL, apply pending migrations first (the embedded store always does)
  --no-workers    do not run the projector and anchorer in this process
  --sample-data   append a few sample findings to tenant "demo" if it has no events yet
  --config FILE   appsettings.json (also LEDGER__CONFIG)
With no Authority configured the server binds loopback only and writes a local admin
token to <data dir>/admin.token (mode 0600); its path is printed at start-up.
`;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/** Refuse settings this build cannot honour safely, before anything is opened. */
function checkExposure(config: Config): void {
  if (config.authority.issuer || config.authority.jwksFile || config.authority.jwksUrl)
    throw new LedgerError("config_invalid", "LEDGER__AUTHORITY__* is set but Authority JWT validation is not in this build yet; unset it to use the local admin token");
  const url = new URL(config.http.url);
  if (!LOOPBACK.has(url.hostname))
    throw new LedgerError("config_invalid", `LEDGER__HTTP__URL binds ${url.hostname}, which is not loopback; without an Authority (LEDGER__AUTHORITY__ISSUER) only 127.0.0.1 or ::1 is allowed`);
}

function authenticatorFor(config: Config, io: Io): Authenticator {
  if (config.admin.token) return localTokenAuthenticator(config.admin.token);
  const { token, path } = loadOrCreateAdminToken(config.data.dir);
  io.err(`admin token: ${path}\n`);
  return localTokenAuthenticator(token);
}

async function prepareSchema(store: EventStore, migrate: boolean, log: Logger): Promise<void> {
  if (store.kind === "sqlite" || migrate) {
    for (const m of await store.migrations.up()) log.info("migration applied", { version: m.version, name: m.name });
    return;
  }
  const plan = await store.migrations.plan();
  if (plan.pending.length > 0 || plan.problems.length > 0)
    log.warn("migrations pending: the server stays unready until `ledger migrate up` runs (or start with --migrate)", {
      pending: plan.pending.map((m) => `${m.version}_${m.name}`),
      problems: plan.problems,
    });
}

export async function startServer(config: Config, opts: { migrate: boolean; workers: boolean; sampleData: boolean }, io: Io): Promise<RunningServer> {
  const log = createLogger();
  checkExposure(config);
  const store = openStore(config);
  try {
    const auth = authenticatorFor(config, io);
    await prepareSchema(store, opts.migrate, log);
    const appender = new Appender(store, systemMicroClock());
    if (opts.sampleData) {
      const sample = await seedSampleData(appender, "demo");
      if (sample.appended > 0) log.info("sample data appended", { tenant: "demo", events: sample.appended });
      io.err(`sample data: tenant "demo", chains ${sample.chainIds.join(", ")}\n`);
    }
    let projector: Projector | null = null;
    const metrics = config.observability.enabled ? createMetrics({ projectionLag: () => projector?.stats.lagSeconds ?? new Map() }) : undefined;
    if (opts.workers)
      projector = new Projector({
        projection: openProjectionStore(store),
        appender,
        log,
        onApplied: metrics ? (s) => metrics.projectionApply.observe(s.seconds) : undefined,
      });
    // Checkpoints are signed with one key per installation; the keys route and verify need it even without workers.
    const signingKey = loadSigningKey(config, { create: true });
    io.err(signingKeyNotice(signingKey, store.kind));
    const anchors = openAnchorStore(store);
    const { anchorIntervalSeconds: intervalSeconds, anchorBatch: batch } = config.merkle;
    const anchorer = opts.workers
      ? new Anchorer({
          anchors,
          key: signingKey,
          log,
          intervalSeconds,
          batch,
          onAnchored: metrics ? (s) => metrics.anchorDuration.observe(s.seconds) : undefined,
          onFailure: metrics ? () => metrics.anchorFailures.inc() : undefined,
        })
      : null;
    const workers = (): WorkerState[] => [
      projector?.state() ?? { name: "projector", state: "disabled" },
      anchorer?.state() ?? { name: "anchorer", state: "disabled" },
    ];
    const deps: AppDeps = { config, store, appender, auth, log, features: { ...FEATURES, workers: opts.workers }, workers, signingKey, anchors, metrics };
    const app = createApp(deps);
    const url = new URL(config.http.url);
    const server = Bun.serve({
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      // Limits are enforced per route by http/body.ts so an oversized body still gets the JSON 413.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      fetch: (request) => app.handle(request),
      error: (e) => {
        log.error("server error", { error: String(e) });
        return new Response(JSON.stringify({ error: "internal", message: "internal error" }), { status: 500, headers: { "content-type": "application/json" } });
      },
    });
    const listening = `http://${url.hostname}:${server.port}`;
    log.info("listening", { url: listening, store: store.kind, dataDir: store.kind === "sqlite" ? config.data.dir : undefined });
    projector?.start();
    anchorer?.start();
    return {
      url: listening,
      async stop() {
        await server.stop();
        await projector?.stop();
        await anchorer?.stop();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

export const serveCommand: Command = {
  name: "serve",
  summary: "serve the HTTP API (and, by default, the projector and anchorer)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags(args, {
      config: { type: "string" },
      migrate: { type: "boolean" },
      "no-workers": { type: "boolean" },
      "sample-data": { type: "boolean" },
    });
    if (values.help) return io.out(USAGE), 0;
    const config = loadConfig({ env: io.env, configFile: values.config });
    const server = await startServer(config, { migrate: !!values.migrate, workers: !values["no-workers"], sampleData: !!values["sample-data"] }, io);
    io.err(`ledger serve: listening on ${server.url} (swagger: ${server.url}/swagger)\n`);
    const signal = await io.shutdown;
    io.err(`ledger serve: ${signal} received, stopping\n`);
    await server.stop();
    return 0;
  },
};
