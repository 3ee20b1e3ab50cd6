// `ledger anchor`: the anchorer worker loop, or `--once` to seal everything committed and exit.
import { loadConfig } from "../config/load.ts";
import { LedgerError } from "../core/errors.ts";
import { loadSigningKey, signingKeyNotice } from "../ledger/signing-key.ts";
import { createLogger } from "../observability/logger.ts";
import { openAnchorStore } from "../store/anchor-port.ts";
import { openStore } from "../store/open.ts";
import type { EventStore } from "../store/port.ts";
import { Anchorer, DEFAULT_MAX_LEAVES } from "../workers/anchorer.ts";
import { parseFlags, UsageError, type Command } from "./command.ts";

const USAGE = `usage: ledger anchor [--once] [--max-leaves N] [--config FILE]

  (no flag)       run the anchorer until SIGINT/SIGTERM: a tenant's pending events are sealed
                  into its Merkle tree and a signed checkpoint every LEDGER__MERKLE__ANCHORINTERVAL
                  after its last checkpoint, or as soon as LEDGER__MERKLE__ANCHORBATCH are pending
  --once          seal everything committed now, for every tenant, then exit
  --max-leaves N  leaves per checkpoint transaction (default ${DEFAULT_MAX_LEAVES}); a larger backlog
                  becomes several checkpoints

Checkpoints are signed with LEDGER__SIGNING__KEYFILE (or <data dir>/signing.key, generated on
first use). On the embedded store this needs the writer lock: stop \`ledger serve\` first (it runs
the anchorer in-process). On PostgreSQL any number of anchorers may run (per-tenant advisory lock).
`;

/** The anchor tables must exist: the embedded store migrates itself, PostgreSQL must be migrated first. */
export async function ensureAnchorSchema(store: EventStore): Promise<void> {
  if (store.kind === "sqlite") return void (await store.migrations.up());
  const plan = await store.migrations.plan();
  if (plan.pending.length > 0 || plan.problems.length > 0)
    throw new LedgerError("migration_failed", `migrations are not current (${[...plan.pending.map((m) => `${m.version}_${m.name} pending`), ...plan.problems].join("; ")}); run \`ledger migrate up\``);
}

export const anchorCommand: Command = {
  name: "anchor",
  summary: "run the anchorer (--once to seal what is pending and exit)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags(args, { config: { type: "string" }, once: { type: "boolean" }, "max-leaves": { type: "string" } });
    if (values.help) return io.out(USAGE), 0;
    const rawMax = values["max-leaves"];
    if (rawMax !== undefined && !/^[1-9]\d{0,6}$/.test(rawMax)) throw new UsageError("--max-leaves must be a whole number between 1 and 9999999");
    const config = loadConfig({ env: io.env, configFile: values.config });
    const store = openStore(config);
    try {
      await ensureAnchorSchema(store);
      const key = loadSigningKey(config, { create: true });
      io.err(signingKeyNotice(key, store.kind));
      const log = createLogger();
      const anchorer = new Anchorer({
        anchors: openAnchorStore(store),
        key,
        log,
        intervalSeconds: config.merkle.anchorIntervalSeconds,
        batch: config.merkle.anchorBatch,
        maxLeaves: rawMax === undefined ? undefined : Number(rawMax),
      });
      if (values.once) {
        const leaves = await anchorer.drain();
        io.out(`anchored ${leaves} events in ${anchorer.stats.checkpoints} checkpoints\n`);
        for (const problem of anchorer.problems()) io.err(`ledger anchor: ${problem}\n`);
        return anchorer.problems().length > 0 ? 1 : 0;
      }
      anchorer.start();
      log.info("anchorer running", { store: store.kind, intervalSeconds: config.merkle.anchorIntervalSeconds, batch: config.merkle.anchorBatch });
      const signal = await io.shutdown;
      io.err(`ledger anchor: ${signal} received, stopping after the checkpoint in flight\n`);
      await anchorer.stop();
      return 0;
    } finally {
      await store.close();
    }
  },
};
