// Drives the compiled dist/ledger as a user would: build once, start on a free port, wait for ready, stop or kill, clean up.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist/ledger");

/** Newest mtime of any file under dir (0 for a missing dir). */
const newest = (dir: string): number =>
  existsSync(dir)
    ? Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((d) => (d.isDirectory() ? newest(join(dir, d.name)) : statSync(join(dir, d.name)).mtimeMs)))
    : 0;

let building: Promise<string> | null = null;

/** `bun run build` (once per test process) unless dist/ledger is newer than every file under src/ and sql/. */
export function ensureBinary(): Promise<string> {
  const fresh = existsSync(BINARY) && statSync(BINARY).mtimeMs >= Math.max(newest(join(ROOT, "src")), newest(join(ROOT, "sql")));
  if (fresh) return Promise.resolve(BINARY);
  building ??= (async () => {
    const build = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const [out, err, code] = await Promise.all([new Response(build.stdout).text(), new Response(build.stderr).text(), build.exited]);
    if (code !== 0) throw new Error(`bun run build failed (exit ${code}):\n${out}${err}`);
    return BINARY;
  })().finally(() => {
    building = null;
  });
  return building;
}

/** A port nothing listens on right now (bind port 0 on loopback, read it, release it). */
export const freePort = () =>
  new Promise<number>((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });

const tempDirs = new Set<string>();

/** A fresh temp dir, removed by cleanupAll(). */
export function tempDir(prefix = "ledger-e2e-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

/** Environment for the binary: only what a user would set, plus PATH/HOME (no LEDGER__* leaks from the test runner). */
export function ledgerEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...extra };
}

export interface RunResult {
  out: string;
  err: string;
  code: number;
}

/** Run a one-shot subcommand to completion (killed after timeoutMs, default 30 s). */
export async function runLedger(args: string[], opts: { env?: Record<string, string>; cwd?: string; binary?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const p = Bun.spawn([opts.binary ?? BINARY, ...args], { env: ledgerEnv(opts.env ?? {}), cwd: opts.cwd ?? tmpdir(), stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => p.kill(9), opts.timeoutMs ?? 30_000);
  try {
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (p.signalCode === "SIGKILL") throw new Error(`ledger ${args.join(" ")} did not finish within ${opts.timeoutMs ?? 30_000} ms:\n${err}`);
    return { out, err, code };
  } finally {
    clearTimeout(timer);
  }
}

export interface RunningLedger {
  url: string;
  dataDir: string;
  token: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything the server wrote on stderr so far (the last MiB). */
  stderr(): string;
  /** SIGTERM and wait for the exit code (SIGKILL and throw after timeoutMs, default 10 s). */
  stop(timeoutMs?: number): Promise<number>;
  /** SIGKILL and wait: no chance to flush or clean up. */
  kill9(): Promise<void>;
  /** fetch against the server with the admin token (and X-Stella-Tenant when `tenant` is given), 15 s timeout. */
  fetch(path: string, init?: RequestInit & { tenant?: string }): Promise<Response>;
}

const servers = new Set<RunningLedger>();

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
  binary?: string;
  cwd?: string;
  /** How long to wait for /health/ready (default 20 s). */
  timeoutMs?: number;
}

const MAX_CAPTURE = 1 << 20;

/** Keep draining a pipe into a bounded buffer so the child never blocks on a full pipe. */
function capture(stream: ReadableStream<Uint8Array>): { text: () => string; done: Promise<void> } {
  let text = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > MAX_CAPTURE) text = text.slice(-MAX_CAPTURE);
    }
  })().catch(() => undefined);
  return { text: () => text, done };
}

async function startOnce(dataDir: string, port: number, opts: StartOptions): Promise<RunningLedger | { retry: string }> {
  const url = `http://127.0.0.1:${port}`;
  const proc = Bun.spawn([opts.binary ?? BINARY, "serve", ...(opts.args ?? [])], {
    env: ledgerEnv({ LEDGER__DATA__DIR: dataDir, LEDGER__HTTP__URL: url, ...(opts.env ?? {}) }),
    cwd: opts.cwd ?? dataDir,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const err = capture(proc.stderr as ReadableStream<Uint8Array>);
  capture(proc.stdout as ReadableStream<Uint8Array>);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await err.done;
      // Another process took the port between freePort() and the bind: try another one.
      if (/EADDRINUSE|address already in use|port \d+ in use/i.test(err.text())) return { retry: err.text() };
      throw new Error(`ledger serve exited with ${proc.exitCode ?? proc.signalCode} before it was ready; its stderr:\n${err.text()}`);
    }
    const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      proc.kill(9);
      await proc.exited;
      throw new Error(`ledger serve was not ready on ${url} within ${timeoutMs} ms; its stderr:\n${err.text()}`);
    }
    await Bun.sleep(25);
  }
  const token = opts.env?.LEDGER__ADMIN__TOKEN ?? readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const running: RunningLedger = {
    url,
    dataDir,
    token,
    proc,
    stderr: err.text,
    async stop(stopTimeoutMs = 10_000) {
      servers.delete(running);
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode ?? 128;
      proc.kill("SIGTERM");
      const timedOut = Symbol("timeout");
      const code = await Promise.race([proc.exited, Bun.sleep(stopTimeoutMs).then(() => timedOut)]);
      if (code === timedOut) {
        proc.kill(9);
        await proc.exited;
        throw new Error(`ledger serve did not stop within ${stopTimeoutMs} ms of SIGTERM; its stderr:\n${err.text()}`);
      }
      return code as number;
    },
    async kill9() {
      servers.delete(running);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(9);
      await proc.exited;
    },
    fetch(path, init = {}) {
      const { tenant, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
      if (tenant && !headers.has("x-stella-tenant")) headers.set("x-stella-tenant", tenant);
      if (rest.body && !headers.has("content-type")) headers.set("content-type", "application/json");
      return fetch(`${url}${path}`, { signal: AbortSignal.timeout(15_000), ...rest, headers });
    },
  };
  servers.add(running);
  return running;
}

/**
 * `ledger serve` on a free loopback port over `dataDir` (a fresh temp dir by default), resolved once
 * /health/ready answers 200; throws with the captured stderr if it exits or is not ready in time.
 */
export async function startLedger(opts: StartOptions = {}): Promise<RunningLedger> {
  const dataDir = opts.dataDir ?? tempDir();
  mkdirSync(dataDir, { recursive: true });
  let last = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await startOnce(dataDir, await freePort(), opts);
    if (!("retry" in r)) return r;
    last = r.retry;
  }
  throw new Error(`ledger serve could not bind a free port in 3 attempts; last stderr:\n${last}`);
}

/** SIGKILL every server startLedger started that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...servers].map((s) => s.kill9()));
}

/** Kill every server still running and remove every temp dir made by tempDir(). */
export async function cleanupAll(): Promise<void> {
  await killAll();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

