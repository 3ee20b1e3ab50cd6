// One writer process per embedded data dir: an exclusive SQLite lock the OS drops when the process dies (even kill -9).
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LedgerError } from "../core/errors.ts";

export interface WriterLock {
  release(): void;
}

export function acquireWriterLock(dataDir: string): WriterLock {
  const lockFile = join(dataDir, "writer.lock");
  const pidFile = join(dataDir, "writer.pid");
  const db = new Database(lockFile, { create: true });
  try {
    db.run("PRAGMA busy_timeout = 0");
    db.run("PRAGMA locking_mode = EXCLUSIVE");
    db.run("BEGIN EXCLUSIVE");
    db.run("CREATE TABLE IF NOT EXISTS owner (pid INTEGER)");
  } catch {
    db.close();
    let owner = "another process";
    try {
      owner = `process ${readFileSync(pidFile, "utf8").trim()}`;
    } catch {
      /* the pid file is informational only */
    }
    throw new LedgerError(
      "store_busy",
      `the embedded store in ${dataDir} is already open for writing by ${owner}; stop it first (read-only commands may run alongside)`,
    );
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return {
    release() {
      try {
        db.run("ROLLBACK");
      } finally {
        db.close();
      }
    },
  };
}
