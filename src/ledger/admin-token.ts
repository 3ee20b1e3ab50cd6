// The local admin token: <data dir>/admin.token, mode 0600, created once and reused on restart.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LedgerError } from "../core/errors.ts";

export const ADMIN_TOKEN_FILE = "admin.token";

export function loadOrCreateAdminToken(dataDir: string): { token: string; path: string; created: boolean } {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const token = readFileSync(path, "utf8").trim();
    if (token.length < 32) throw new LedgerError("config_invalid", `${path} holds no usable token (delete it to have a new one made)`);
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { token, path, created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const token = randomBytes(32).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, path, created: true };
}
