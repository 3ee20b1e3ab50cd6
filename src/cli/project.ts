// `ledger project`: the projector worker loop, a one-shot catch-up, a rebuild from event 0, or the live checksum.
import { loadConfig } from "../config/load.ts";
import { isTenantId } from "../core/events/validate.ts";
import { LedgerError } from "../core/errors.ts";
import { Appender } from "../ledger/appender.ts";
import { systemMicroClock } from "../ledger/clock.ts";
import { createLogger } from "../observability/logger.ts";
import { openStore } from "../store/open.ts";
import type { EventStore } from "../store/port.ts";
import { openProjectionStore, type ProjectionStore } from "../store/projection-port.ts";
import { Projector, rebuildProjection } from "../workers/projector.ts";
import { parseFlags, UsageError, type Command, type Io } from "./command.ts";
import { peakRssBytes } from "../observability/peak-rss.ts";

const USAGE = `usage: ledger project [--once | --rebuild | --checksum] [--tenant T] [--batch-size N] [--config FILE]

  (no flag)       run the projector until SIGINT/SIGTERM: apply committed events in commit
                  order, tenant by tenant, and append accepted-risk expiries
  --once          apply everything committed now, append due expiries, then exit
  --rebuild       recompute the projection from event 0 for every tenant (or --tenant T), one
                  transaction per tenant, and print each checksum; compares it with the live
                  projection's and exits 1 if they differ over the same events
  --checksum      print the live projection's checksum per tenant (read-only)
  --tenant T      limit --rebuild / --checksum to one tenant
  --batch-size N  events per transaction (default 500; rebuild pages of 1000)

On the embedded store this needs the writer lock: stop \`ledger serve\` first (it runs the
projector in-process). On PostgreSQL any number of projectors may run (per-tenant advisory lock).
`;

function positiveInt(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d{0,6}$/.test(raw)) throw new UsageError(`${flag} must be a whole number between 1 and 9999999`);
  return Number(raw);
}

async function ensureSchema(store: EventStore): Promise<void> {
  if (store.kind === "sqlite") return void (await store.migrations.up());
  const plan = await store.migrations.plan();
  if (plan.pending.length > 0 || plan.problems.length > 0)
    throw new LedgerError("migration_failed", `migrations are not current (${[...plan.pending.map((m) => `${m.version}_${m.name} pending`), ...plan.problems].join("; ")}); run \`ledger migrate up\``);
}

async function tenantsOf(projection: ProjectionStore, tenant: string | undefined): Promise<string[]> {
  if (tenant === undefined) return projection.tenants();
  if (!isTenantId(tenant)) throw new UsageError(`--tenant ${JSON.stringify(tenant)} is not a tenant id`);
  return [tenant];
}

async function rebuild(projection: ProjectionStore, tenants: string[], pageSize: number | undefined, io: Io): Promise<number> {
  const tty = process.stderr.isTTY === true;
  let mismatches = 0;
  let events = 0;
  let findings = 0;
  const started = performance.now();
  for (const tenantId of tenants) {
    const live = await projection.checksum(tenantId);
    let lastDraw = 0;
    const progress = (n: number) => {
      if (!tty || performance.now() - lastDraw < 200) return;
      lastDraw = performance.now();
      io.err(`\rrebuilding ${tenantId}: ${n.toLocaleString("en-US")} events`);
    };
    const r = await rebuildProjection(projection, tenantId, { pageSize, progress });
    if (tty) io.err("\r\x1b[K");
    events += r.events;
    findings += r.findings;
    let verdict: string;
    if (live.eventsApplied !== r.events) verdict = `live projection had applied ${live.eventsApplied} of these events`;
    else if (live.checksum === r.checksum) verdict = "equals the live projection";
    else {
      verdict = `DIFFERS from the live projection (${live.checksum})`;
      mismatches++;
    }
    io.out(`tenant ${tenantId}: ${r.events} events, ${r.findings} findings, checksum ${r.checksum} (${verdict}; ${r.seconds.toFixed(2)}s)\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  const rssMiB = peakRssBytes() / 1024 / 1024;
  io.out(`rebuilt ${tenants.length} tenants: ${events} events, ${findings} findings in ${seconds.toFixed(2)}s (${Math.round(events / Math.max(seconds, 1e-3))} events/s, peak RSS ${rssMiB.toFixed(0)} MiB)\n`);
  return mismatches > 0 ? 1 : 0;
}

export const projectCommand: Command = {
  name: "project",
  summary: "run the projector (--once to catch up and exit, --rebuild from event 0, --checksum)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags(args, {
      config: { type: "string" },
      once: { type: "boolean" },
      rebuild: { type: "boolean" },
      checksum: { type: "boolean" },
      tenant: { type: "string" },
      "batch-size": { type: "string" },
    });
    if (values.help) return io.out(USAGE), 0;
    if ([values.once, values.rebuild, values.checksum].filter(Boolean).length > 1) throw new UsageError("--once, --rebuild and --checksum exclude each other");
    if (values.tenant !== undefined && !values.rebuild && !values.checksum) throw new UsageError("--tenant goes with --rebuild or --checksum");
    const batchSize = positiveInt(values["batch-size"], "--batch-size");
    const config = loadConfig({ env: io.env, configFile: values.config });
    const store = openStore(config, { readonly: values.checksum === true && !config.db.connectionString });
    try {
      if (!values.checksum) await ensureSchema(store);
      const projection = openProjectionStore(store);
      if (values.checksum) {
        for (const tenantId of await tenantsOf(projection, values.tenant)) {
          const c = await projection.checksum(tenantId);
          io.out(`tenant ${tenantId}: ${c.eventsApplied} events applied, ${c.findings} findings, checksum ${c.checksum}\n`);
        }
        return 0;
      }
      if (values.rebuild) return await rebuild(projection, await tenantsOf(projection, values.tenant), batchSize, io);

      const log = createLogger();
      const projector = new Projector({ projection, appender: new Appender(store, systemMicroClock()), log, batchSize });
      if (values.once) {
        const applied = await projector.drain();
        const expired = await projector.expire();
        const caughtUp = await projector.drain();
        io.out(`applied ${applied + caughtUp} events, appended ${expired} accepted-risk expiries\n`);
        for (const problem of projector.problems()) io.err(`ledger project: ${problem}\n`);
        return projector.problems().length > 0 ? 1 : 0;
      }
      projector.start();
      log.info("projector running", { store: store.kind, batchSize: batchSize ?? 500 });
      const signal = await io.shutdown;
      io.err(`ledger project: ${signal} received, stopping after the batch in flight\n`);
      await projector.stop();
      return 0;
    } finally {
      await store.close();
    }
  },
};
