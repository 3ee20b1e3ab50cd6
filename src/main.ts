// Entry point: argv -> subcommand; the only place that handles signals and exits the process.
import { LedgerError } from "./core/errors.ts";
import { anchorCommand } from "./cli/anchor.ts";
import { UsageError, type Command, type Io } from "./cli/command.ts";
import { keysCommand } from "./cli/keys.ts";
import { migrateCommand } from "./cli/migrate.ts";
import { projectCommand } from "./cli/project.ts";
import { serveCommand } from "./cli/serve.ts";
import { verifyCommand } from "./cli/verify.ts";
import { versionCommand } from "./cli/version.ts";

const COMMANDS: Command[] = [serveCommand, projectCommand, anchorCommand, verifyCommand, keysCommand, migrateCommand, versionCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `ledger — append-only, tamper-evident ledger of security-finding decisions

usage: ledger <command> [flags]    (ledger <command> --help for its flags)

${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Configuration: LEDGER__* environment variables over an optional appsettings.json (LEDGER__CONFIG).
`;
}

async function main(argv: string[]): Promise<number> {
  const shutdown = new Promise<string>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve(sig));
  });
  const io: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), env: process.env, shutdown };
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(help());
    return name ? 0 : 2;
  }
  if (name === "--version") return versionCommand.run([], io);
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`ledger: unknown command '${name}'; run 'ledger --help' for the list\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`ledger ${name}: ${e.message} (see 'ledger ${name} --help')\n`);
      return 2;
    }
    if (e instanceof LedgerError) {
      io.err(`ledger ${name}: ${e.message}\n`);
      return 1;
    }
    io.err(`ledger ${name}: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));
