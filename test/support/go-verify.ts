// Owns running the Go checksum-database verifier (test/support/go-verify/main.go) from tests, building it on first use.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Hashes are lowercase hex; the note stays text. */
export interface GoInclusion {
  leafHash: string;
  index: number;
  size: number;
  root: string;
  proof: string[];
}

export interface GoConsistency {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
}

export interface GoVerifyInput {
  vkey: string;
  signedNote?: string;
  inclusion?: GoInclusion[];
  consistency?: GoConsistency[];
}

export interface GoVerifyItem {
  kind: "note" | "inclusion" | "consistency";
  item: number;
  ok: boolean;
  error?: string;
  text?: string;
  origin?: string;
  treeSize?: number;
  rootHash?: string;
}

export interface GoVerifyResult {
  /** True when every item verified (the process exited 0). */
  ok: boolean;
  /** Note first (if given), then inclusion items, then consistency items, in request order. */
  results: GoVerifyItem[];
}

const SOURCE_DIR = join(import.meta.dir, "go-verify");
const BINARY = join(SOURCE_DIR, "go-verify");
const GOPATH = "/usr/share/gocode";
const INSTALL_HINT = "apt-get install -y golang-go golang-golang-x-mod-dev";

let building: Promise<string> | undefined;

/** Builds the verifier if it is missing or older than main.go; never skips: no Go is an error. */
function ensureBinary(): Promise<string> {
  building ??= (async () => {
    const source = join(SOURCE_DIR, "main.go");
    if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(source).mtimeMs) return BINARY;
    const go = Bun.which("go");
    if (go === null) throw new Error(`go-verify: the Go toolchain is not installed (no 'go' on PATH); install it with: ${INSTALL_HINT}`);
    if (!existsSync(join(GOPATH, "src/golang.org/x/mod/sumdb/tlog"))) {
      throw new Error(`go-verify: golang.org/x/mod is missing under ${GOPATH}; install it with: ${INSTALL_HINT}`);
    }
    const env: Record<string, string> = { ...(process.env as Record<string, string>), GO111MODULE: "off", GOPATH };
    if (env.GOCACHE === undefined && env.HOME === undefined && env.XDG_CACHE_HOME === undefined) {
      env.GOCACHE = join(tmpdir(), "go-verify-cache");
      mkdirSync(env.GOCACHE, { recursive: true });
    }
    const proc = Bun.spawn({ cmd: [go, "build", "-o", BINARY, "."], cwd: SOURCE_DIR, env, stdout: "pipe", stderr: "pipe" });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`go-verify: go build failed (exit ${code}):\n${stderr}`);
    return BINARY;
  })();
  building.catch(() => {
    building = undefined;
  });
  return building;
}

/**
 * Runs the Go verifier on `input`. Resolves with per-item results whether or not they verified
 * (exit 0 or 1); rejects if Go is missing, the build fails, or the verifier itself errs (exit 2).
 */
export async function goVerify(input: GoVerifyInput): Promise<GoVerifyResult> {
  const binary = await ensureBinary();
  const proc = Bun.spawn({ cmd: [binary], stdin: new Blob([JSON.stringify(input)]), stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if (code !== 0 && code !== 1) throw new Error(`go-verify exited ${code}: ${stderr}`);
  const parsed = JSON.parse(stdout) as GoVerifyResult;
  if (parsed.ok !== (code === 0)) throw new Error(`go-verify: exit ${code} disagrees with ok=${parsed.ok}`);
  return parsed;
}
