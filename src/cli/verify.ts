// `ledger verify --tenant T | --all`: recompute chains, leaves and signed checkpoints in the store; exit 0 ok, 1 broken, 2 usage or I/O.
import { loadConfig } from "../config/load.ts";
import { isTenantId } from "../core/events/validate.ts";
import { parseVkey, type NoteVerifier } from "../core/signing/note.ts";
import { loadSigningKey } from "../ledger/signing-key.ts";
import { formatFailure, verifyTenant, type VerifyProgress, type VerifyReport } from "../ledger/verifier.ts";
import { openAnchorStore } from "../store/anchor-port.ts";
import { openStore } from "../store/open.ts";
import type { EventStore } from "../store/port.ts";
import { parseFlags, UsageError, type Command, type Io } from "./command.ts";

const USAGE = `usage: ledger verify (--tenant T | --all) [--vkey VKEY ...] [--json] [--config FILE]

Recomputes, from one snapshot of the store, every chain (sequence, previousHash, eventHash,
merkleLeafHash), that every event before the latest checkpoint is a leaf, every leaf and stored
tree node, and every checkpoint (signature, signed size and root, link to the previous one,
root recomputed from the leaves, RFC 9162 consistency with the previous one).

  --tenant T   one tenant
  --all        every tenant in the store
  --vkey VKEY  verify signatures with this C2SP verifier key (as GET /v1/ledger/keys lists it;
               repeatable); default: the public half of the configured signing key
  --json       one JSON report per tenant on stdout instead of text

Prints one line per failure (kind, tenant, chain and sequence or tree size) and a summary;
progress goes to stderr on a terminal. Exit 0 when everything holds, 1 when something is
broken, 2 on a usage or I/O error. Runs alongside \`ledger serve\` on the embedded store.
`;

const EXIT_OK = 0;
const EXIT_BROKEN = 1;
const EXIT_ERROR = 2;

function verifiersFor(config: ReturnType<typeof loadConfig>, vkeys: string[]): NoteVerifier[] {
  if (vkeys.length > 0) {
    return vkeys.map((v) => {
      try {
        return parseVkey(v);
      } catch (e) {
        throw new UsageError(`--vkey: ${(e as Error).message}`);
      }
    });
  }
  return [loadSigningKey(config, { create: false }).verifier];
}

function progressPrinter(io: Io, tenant: string): ((p: VerifyProgress) => void) | undefined {
  if (process.stderr.isTTY !== true) return undefined;
  let last = 0;
  return (p) => {
    if (performance.now() - last < 200) return;
    last = performance.now();
    const n = (x: number) => x.toLocaleString("en-US");
    io.err(`\r\x1b[Kverifying ${tenant}: ${p.phase === "events" ? `${n(p.events)} events` : `${n(p.leaves)} leaves, ${n(p.checkpoints)} checkpoints`}`);
  };
}

async function tenantsToCheck(store: EventStore, tenant: string | undefined): Promise<string[]> {
  const all = await openAnchorStore(store).tenants();
  if (tenant === undefined) return all;
  if (!all.includes(tenant)) throw new UsageError(`tenant ${tenant} has no events or checkpoints in this store`);
  return [tenant];
}

function printReport(io: Io, r: VerifyReport, json: boolean, seconds: number): void {
  if (json) return io.out(`${JSON.stringify(r)}\n`);
  for (const f of r.failures) io.out(`${formatFailure(r.tenant, f)}\n`);
  if (r.failuresOmitted > 0) io.out(`... and ${r.failuresOmitted} more failures in tenant ${r.tenant}\n`);
  const counts = `${r.chainsChecked} chains, ${r.eventsChecked} events, ${r.leavesChecked} leaves, ${r.checkpointsChecked} checkpoints in ${seconds.toFixed(2)}s`;
  io.out(r.ok ? `tenant ${r.tenant}: ok (${counts})\n` : `tenant ${r.tenant}: FAILED, ${r.failures.length + r.failuresOmitted} failures (${counts})\n`);
}

export const verifyCommand: Command = {
  name: "verify",
  summary: "recompute every chain, leaf and signed checkpoint (--tenant T or --all); exit 0 only if all hold",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseFlags(args, {
      config: { type: "string" },
      tenant: { type: "string" },
      all: { type: "boolean" },
      vkey: { type: "string", multiple: true },
      json: { type: "boolean" },
    });
    if (values.help) return io.out(USAGE), EXIT_OK;
    if ((values.tenant === undefined) === !values.all) throw new UsageError("give exactly one of --tenant T or --all");
    if (values.tenant !== undefined && !isTenantId(values.tenant)) throw new UsageError(`--tenant ${JSON.stringify(values.tenant)} is not a tenant id`);
    let store: EventStore | null = null;
    try {
      const config = loadConfig({ env: io.env, configFile: values.config });
      const verifiers = verifiersFor(config, values.vkey ?? []);
      store = openStore(config, { readonly: !config.db.connectionString });
      const plan = await store.migrations.plan();
      if (plan.pending.some((m) => m.version <= "002")) return io.err(`ledger verify: the store is not migrated (run \`ledger migrate up\`)\n`), EXIT_ERROR;
      const anchors = openAnchorStore(store);
      const started = performance.now();
      let broken = 0;
      let events = 0;
      const tenants = await tenantsToCheck(store, values.tenant);
      for (const tenant of tenants) {
        const t0 = performance.now();
        const report = await verifyTenant(anchors, tenant, { verifiers, progress: progressPrinter(io, tenant) });
        if (process.stderr.isTTY === true) io.err("\r\x1b[K");
        printReport(io, report, values.json === true, (performance.now() - t0) / 1000);
        if (!report.ok) broken++;
        events += report.eventsChecked;
      }
      const seconds = (performance.now() - started) / 1000;
      if (!values.json) {
        io.out(`verified ${tenants.length} tenants, ${events} events in ${seconds.toFixed(2)}s (${Math.round(events / Math.max(seconds, 1e-3))} events/s): ${broken === 0 ? "all hold" : `${broken} tenants FAILED`}\n`);
      }
      return broken === 0 ? EXIT_OK : EXIT_BROKEN;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      io.err(`ledger verify: ${(e as Error).message}\n`);
      return EXIT_ERROR;
    } finally {
      await store?.close();
    }
  },
};
