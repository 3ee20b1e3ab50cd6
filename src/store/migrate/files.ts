// The migrations of each driver, embedded into the binary (imported as text at build time).
import pg001 from "../../../sql/postgres/001_ledger_events.sql" with { type: "text" };
import lite001 from "../../../sql/sqlite/001_ledger_events.sql" with { type: "text" };
import { sha256Hex } from "../../core/hash/digest.ts";

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

const migration = (file: string, sql: string): Migration => {
  const [version, ...rest] = file.replace(/\.sql$/, "").split("_");
  return { version: version!, name: rest.join("_"), sql, checksum: sha256Hex(sql) };
};

/** In name order; a shipped file is never edited, only followed by a new one. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [migration("001_ledger_events.sql", pg001)];
export const SQLITE_MIGRATIONS: readonly Migration[] = [migration("001_ledger_events.sql", lite001)];
