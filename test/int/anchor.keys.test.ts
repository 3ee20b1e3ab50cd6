// The signing key file (generated 0600 into the data dir, never overwritten, PEM from openssl accepted) and the keys / anchor / verify CLIs' edges.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { LedgerError } from "../../src/core/errors.ts";
import { loadSigningKey, signingKeyNotice } from "../../src/ledger/signing-key.ts";
import { runLedger } from "./anchor.fixtures.ts";

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "ledger-keys-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("signing key", () => {
  test("the embedded default is generated once into <data dir>/signing.key with mode 0600, then reused", () => {
    const dir = temp();
    const config = loadConfig({ env: { LEDGER__DATA__DIR: dir } });
    const first = loadSigningKey(config, { create: true });
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dir, "signing.key"));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(signingKeyNotice(first, "sqlite")).toMatch(/^signing key: generated .*signing\.key \(findings-ledger\+[0-9a-f]{8}\); back it up/);
    expect(signingKeyNotice(first, "postgres")).toMatch(/every replica must sign with this same key: .*LEDGER__SIGNING__KEYFILE/);
    const again = loadSigningKey(config, { create: true });
    expect(again.created).toBe(false);
    expect(again.info).toEqual(first.info);
    expect(signingKeyNotice(again, "postgres")).toMatch(/LEDGER__SIGNING__KEYFILE is unset/);
  });

  test("a configured key file must exist; bad files are refused with a message naming them", () => {
    const dir = temp();
    const missing = join(dir, "nope.key");
    const refused = (env: Record<string, string>, create: boolean, pattern: RegExp) => {
      try {
        loadSigningKey(loadConfig({ env: { LEDGER__DATA__DIR: dir, ...env } }), { create });
      } catch (e) {
        expect(e).toBeInstanceOf(LedgerError);
        expect((e as LedgerError).code).toBe("config_invalid");
        expect((e as Error).message).toMatch(pattern);
        return;
      }
      throw new Error("expected a refusal");
    };
    refused({ LEDGER__SIGNING__KEYFILE: missing }, true, /does not exist; create it with `ledger keys generate --out/);
    refused({}, false, /no signing key at .*signing\.key/);
    writeFileSync(join(dir, "text.key"), "not a key\n");
    refused({ LEDGER__SIGNING__KEYFILE: join(dir, "text.key") }, false, /text\.key is not a PEM private key/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    writeFileSync(join(dir, "rsa.key"), rsa);
    refused({ LEDGER__SIGNING__KEYFILE: join(dir, "rsa.key") }, false, /holds a rsa key; checkpoints are signed with Ed25519/);
    refused({ LEDGER__SIGNING__KEYNAME: "two words" }, true, /signing\.keyname/);
  });

  test("a key made by `openssl genpkey -algorithm ed25519` is accepted", async () => {
    const openssl = Bun.which("openssl");
    expect(openssl).not.toBeNull();
    const file = join(temp(), "openssl.key");
    const p = Bun.spawn([openssl!, "genpkey", "-algorithm", "ed25519", "-out", file], { stdio: ["ignore", "ignore", "pipe"] });
    expect(await p.exited).toBe(0);
    const key = loadSigningKey(loadConfig({ env: { LEDGER__SIGNING__KEYFILE: file, LEDGER__SIGNING__KEYNAME: "acme-ledger" } }), { create: false });
    expect(key.info.vkey).toStartWith(`acme-ledger+${key.info.keyId}+`);
  });
});

describe("CLI: keys, anchor, verify edges", () => {
  test("`keys generate --out F` writes a key, `keys show` prints it, a second generate refuses to overwrite", async () => {
    const file = join(temp(), "k", "signing.key");
    const gen = await runLedger(["keys", "generate", "--out", file], {});
    expect(gen.code).toBe(0);
    const vkey = /^vkey (\S+)$/m.exec(gen.stdout)![1]!;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const show = await runLedger(["keys", "show", "--json"], { LEDGER__SIGNING__KEYFILE: file });
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ name: "findings-ledger", algorithm: "ed25519", vkey });
    const text = await runLedger(["keys", "show"], { LEDGER__SIGNING__KEYFILE: file });
    expect(text.stdout).toContain(`vkey      ${vkey}`);
    const again = await runLedger(["keys", "generate", "--out", file], {});
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect((await runLedger(["keys"], {})).code).toBe(2);
    expect((await runLedger(["keys", "show", "--out", file], {})).code).toBe(2);
  }, 30_000);

  test("`verify` usage and I/O errors exit 2; `anchor --once` on an empty embedded store seals nothing", async () => {
    const dir = temp();
    const env = { LEDGER__DATA__DIR: dir };
    const anchor = await runLedger(["anchor", "--once"], env);
    expect(anchor.stderr).toMatch(/^signing key: generated /m);
    expect(anchor.stdout).toBe("anchored 0 events in 0 checkpoints\n");
    expect(anchor.code).toBe(0);
    expect((await runLedger(["verify"], env)).code).toBe(2);
    expect((await runLedger(["verify", "--all", "--tenant", "acme"], env)).code).toBe(2);
    expect((await runLedger(["verify", "--tenant", "Not A Tenant"], env)).code).toBe(2);
    const unknown = await runLedger(["verify", "--tenant", "acme"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("tenant acme has no events or checkpoints");
    expect((await runLedger(["verify", "--all", "--vkey", "garbage"], env)).code).toBe(2);
    const nokey = await runLedger(["verify", "--all"], { LEDGER__DATA__DIR: temp() });
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toMatch(/no signing key/);
    const all = await runLedger(["verify", "--all"], env);
    expect(all.stdout).toContain("verified 0 tenants, 0 events");
    expect(all.code).toBe(0);
  }, 30_000);
});
