// The migrations of each driver, embedded into the binary (imported as text at build time).
import pg001 from "../../../sql/postgres/001_ledger_events.sql" with { type: "text" };
import lite001 from "../../../sql/sqlite/001_ledger_events.sql" with { type: "text" };
import pg002 from "../../../sql/postgres/002_merkle.sql" with { type: "text" };
import lite002 from "../../../sql/sqlite/002_merkle.sql" with { type: "text" };
import pg003 from "../../../sql/postgres/003_projection.sql" with { type: "text" };
import lite003 from "../../../sql/sqlite/003_projection.sql" with { type: "text" };
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
export const POSTGRES_MIGRATIONS: readonly Migration[] = [migration("001_ledger_events.sql", pg001), migration("002_merkle.sql", pg002), migration("003_projection.sql", pg003)];
export const SQLITE_MIGRATIONS: readonly Migration[] = [migration("001_ledger_events.sql", lite001), migration("002_merkle.sql", lite002), migration("003_projection.sql", lite003)];
