// Drives the compiled dist/ledger as a user would: build once, start on a free port, wait for ready, kill.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/ledger");

const newest = (dir: string): number =>
  Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((d) => (d.isDirectory() ? newest(join(dir, d.name)) : statSync(join(dir, d.name)).mtimeMs)));

/** `bun run build` unless dist/ledger is newer than every file under src/ and sql/. */
export async function ensureBinary(): Promise<string> {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs > Math.max(newest(join(ROOT, "src")), newest(join(ROOT, "sql")))) return BINARY;
  const build = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if ((await build.exited) !== 0) throw new Error(`bun run build failed: ${await new Response(build.stderr).text()}`);
  return BINARY;
}

export const freePort = () =>
  new Promise<number>((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });

export const tempDir = (prefix = "ledger-e2e-") => mkdtempSync(join(tmpdir(), prefix));

/** Environment for the binary: only what a user would set, plus PATH/HOME. */
export function ledgerEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...extra };
}

/** Run a one-shot subcommand to completion. */
export async function runLedger(args: string[], opts: { env?: Record<string, string>; cwd?: string; binary?: string } = {}) {
  const p = Bun.spawn([opts.binary ?? BINARY, ...args], { env: ledgerEnv(opts.env ?? {}), cwd: opts.cwd ?? tmpdir(), stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out, err, code };
}

export interface RunningLedger {
  url: string;
  dataDir: string;
  token: string;
  proc: ReturnType<typeof Bun.spawn>;
  stderr(): string;
  /** SIGTERM and wait. */
  stop(): Promise<number>;
  /** SIGKILL and wait: no chance to flush or clean up. */
  kill9(): Promise<void>;
  fetch(path: string, init?: RequestInit & { tenant?: string }): Promise<Response>;
}

export async function startLedger(opts: { dataDir?: string; env?: Record<string, string>; args?: string[]; binary?: string; timeoutMs?: number } = {}): Promise<RunningLedger> {
  const dataDir = opts.dataDir ?? tempDir();
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = Bun.spawn([opts.binary ?? BINARY, "serve", ...(opts.args ?? [])], {
    env: ledgerEnv({ LEDGER__DATA__DIR: dataDir, LEDGER__HTTP__URL: url, ...(opts.env ?? {}) }),
    cwd: dataDir,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  let err = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += decoder.decode(chunk);
  })();
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`ledger serve exited with ${proc.exitCode} before ready:\n${err}`);
    const ok = await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill(9);
      throw new Error(`ledger serve not ready within the timeout:\n${err}`);
    }
    await Bun.sleep(25);
  }
  const token = opts.env?.LEDGER__ADMIN__TOKEN ?? readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  return {
    url,
    dataDir,
    token,
    proc,
    stderr: () => err,
    async stop() {
      proc.kill("SIGTERM");
      return proc.exited;
    },
    async kill9() {
      proc.kill(9);
      await proc.exited;
    },
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
      if (init.tenant && !headers.has("x-stella-tenant")) headers.set("x-stella-tenant", init.tenant);
      if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
      return fetch(`${url}${path}`, { ...init, headers });
    },
  };
}
