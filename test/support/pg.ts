/**
 * PostgreSQL harness for integration tests.
 *
 *   const db = await freshDatabase();   // brand-new empty database, superuser URL
 *   ... postgres(db.url) ...
 *   await db.drop();                    // in afterAll / afterEach
 *
 * The server: `LEDGER_TEST_PG_URL` (a superuser URL; `.ci/run` starts a cluster and sets
 * it) or, when that is unset, a throwaway cluster started once per test process through
 * `.ci/pg-cluster.sh` in a temp dir on a free loopback port. The throwaway cluster is
 * stopped and removed when the test process ends (a detached watchdog waits for this
 * process to exit: `bun test` does not emit process "exit"), or earlier by
 * `stopTestPostgres()`. Missing PostgreSQL binaries are an error, never a skip.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import type { Subprocess } from "bun";

const CLUSTER_SCRIPT = resolve(import.meta.dir, "../../.ci/pg-cluster.sh");
const MISSING_BINARIES_EXIT = 3;

export interface FreshDatabase {
  /** Superuser connection URL to the new database. */
  url: string;
  /** Database name (ledger_test_...). */
  name: string;
  /** Drops the database, ending any open connections to it. Idempotent. */
  drop(): Promise<void>;
}

interface Cluster {
  url: string;
  dir: string;
  watchdog: Subprocess;
}

let cluster: Promise<Cluster> | null = null;

/** Superuser URL of the test server (starting the throwaway cluster if needed). */
export async function adminUrl(): Promise<string> {
  const fromEnv = process.env.LEDGER_TEST_PG_URL;
  if (fromEnv) return fromEnv;
  cluster ??= startCluster();
  return (await cluster).url;
}

/** Creates a brand-new empty database with a random name on the test server. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const admin = await adminUrl();
  const name = `ledger_test_${Date.now().toString(36)}_${randomBytes(5).toString("hex")}`;
  await withAdmin(admin, (sql) =>
    sql.unsafe(
      `CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
    ),
  );
  const url = new URL(admin);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      await withAdmin(admin, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      dropped = true;
    },
  };
}

/**
 * Stops and removes the throwaway cluster, if this process started one (no-op with
 * LEDGER_TEST_PG_URL). Optional: it also happens when the process exits. A later
 * freshDatabase() starts a new cluster.
 */
export async function stopTestPostgres(): Promise<void> {
  const current = cluster;
  cluster = null;
  if (!current) return;
  let c: Cluster;
  try {
    c = await current;
  } catch {
    return; // never started
  }
  c.watchdog.kill();
  await runClusterScript(["stop", c.dir]);
}

async function withAdmin<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 15 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function startCluster(): Promise<Cluster> {
  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "ledger-pg-"));
    const port = await freePort();
    const r = await runClusterScript(["start", dir, String(port)]);
    if (r.code === 0) {
      const watchdog = startWatchdog(dir);
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, dir, watchdog };
    }
    // Clean up whatever the failed start left (the script only removes dirs it marked).
    await runClusterScript(["stop", dir]);
    rmSync(dir, { recursive: true, force: true });
    if (r.code === MISSING_BINARIES_EXIT) {
      throw new Error(
        `PostgreSQL server binaries are missing: run \`bash .ci/install-deps\` (installs postgresql-15), ` +
          `or set LEDGER_TEST_PG_URL to a superuser URL.\n${r.output}`,
      );
    }
    lastError = r.output;
    // Most likely the port was taken between choosing and binding it: try another.
  }
  throw new Error(`could not start the test PostgreSQL cluster via .ci/pg-cluster.sh:\n${lastError}`);
}

/** A detached shell that stops and removes the cluster once this process is gone. */
function startWatchdog(dir: string): Subprocess {
  const script =
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.1; done; ` +
    `exec bash "$0" stop "$1"`;
  const child = Bun.spawn(["sh", "-c", script, CLUSTER_SCRIPT, dir], {
    stdio: ["ignore", "ignore", "ignore"],
    detached: true,
  });
  child.unref();
  return child;
}

async function runClusterScript(args: string[]): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["bash", CLUSTER_SCRIPT, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, output: (out + err).trim() };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolvePort(port) : reject(new Error("no free port"))));
    });
  });
}
