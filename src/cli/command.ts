// The shape every subcommand has: its own flags in, an exit code or a thrown error out.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { LedgerError } from "../core/errors.ts";

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Resolves when main.ts receives SIGINT/SIGTERM. */
  shutdown: Promise<string>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

/** A usage mistake: main.ts prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/, ""));
  }
}

export const fail = (message: string) => new LedgerError("bad_request", message);
