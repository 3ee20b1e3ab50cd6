// `ledger migrate up|status|verify`: the driver's embedded migrations, checksummed and locked.
import { loadConfig } from "../config/load.ts";
import { openStore } from "../store/open.ts";
import { parseFlags, UsageError, type Command } from "./command.ts";

const USAGE = `usage: ledger migrate <up|status|verify> [--config FILE]

  up      apply pending migrations (advisory lock on PostgreSQL, write lock on SQLite)
  status  list applied and pending migrations
  verify  exit 0 only if every migration is applied and none was changed since

The store is PostgreSQL when LEDGER__DB__CONNECTIONSTRING is set, else the embedded
SQLite file in LEDGER__DATA__DIR (default ./ledger-data).
`;

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply or check the store's migrations (up, status, verify)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { config: { type: "string" } }, true);
    if (values.help) return io.out(USAGE), 0;
    const action = positionals[0];
    if (positionals.length !== 1 || !["up", "status", "verify"].includes(action!)) throw new UsageError("expected one of: up, status, verify");
    const config = loadConfig({ env: io.env, configFile: values.config });
    const store = openStore(config, { readonly: action !== "up" && !config.db.connectionString });
    try {
      if (action === "up") {
        const applied = await store.migrations.up();
        if (applied.length === 0) io.out(`${store.kind}: nothing to apply; the schema is current\n`);
        for (const m of applied) io.out(`${store.kind}: applied ${m.version}_${m.name} (sha256 ${m.checksum.slice(0, 12)})\n`);
        return 0;
      }
      const plan = await store.migrations.plan();
      if (action === "status") {
        for (const m of plan.applied) io.out(`applied  ${m.version}_${m.name}  ${m.appliedAt}  sha256 ${m.checksum.slice(0, 12)}\n`);
        for (const m of plan.pending) io.out(`pending  ${m.version}_${m.name}\n`);
        for (const p of plan.problems) io.err(`problem  ${p}\n`);
        return plan.problems.length > 0 ? 1 : 0;
      }
      for (const p of plan.problems) io.err(`ledger migrate verify: ${p}\n`);
      for (const m of plan.pending) io.err(`ledger migrate verify: ${m.version}_${m.name} is not applied\n`);
      const ok = plan.problems.length === 0 && plan.pending.length === 0;
      if (ok) io.out(`${store.kind}: ${plan.applied.length} migrations applied, checksums match\n`);
      return ok ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};
