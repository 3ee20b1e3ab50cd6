// Picks the driver from the config: PostgreSQL with a connection string, the embedded SQLite file otherwise.
import type { Config } from "../config/load.ts";
import type { EventStore } from "./port.ts";
import { PostgresEventStore } from "./postgres.ts";
import { SqliteEventStore } from "./sqlite.ts";

export function openStore(config: Config, opts: { readonly?: boolean } = {}): EventStore {
  if (config.db.connectionString) return PostgresEventStore.open(config.db.connectionString, { poolSize: config.db.poolSize });
  return SqliteEventStore.open({ dataDir: config.data.dir, readonly: opts.readonly });
}
