// Config loading: defaults < appsettings.json < LEDGER__* env < flags; bad values name the key.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeConfig, loadConfig } from "../../src/config/load.ts";

const dir = mkdtempSync(join(tmpdir(), "ledger-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (content: unknown) => {
  const p = join(dir, `appsettings-${files++}.json`);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
};

describe("loadConfig", () => {
  test("defaults", () => {
    const c = loadConfig({ env: {} });
    expect(c.db.connectionString).toBeNull();
    expect(c.http.url).toBe("http://127.0.0.1:8080");
    expect(c.merkle.anchorIntervalSeconds).toBe(300);
    expect(c.signing.keyName).toBe("findings-ledger");
    expect(c.attachments.allowEgress).toBe(false);
    expect(c.http.maxBodyBytes).toBe(1024 * 1024);
    expect(c.data.dir.endsWith("ledger-data")).toBe(true);
  });

  test("env overrides file overrides defaults; the file may wrap a Ledger section", () => {
    const p = file({ Ledger: { Http: { Url: "http://127.0.0.1:9000" }, Merkle: { AnchorInterval: "00:01:00", AnchorBatch: 50 } } });
    const c = loadConfig({ env: { LEDGER__CONFIG: p, LEDGER__MERKLE__ANCHORBATCH: "7" } });
    expect(c.http.url).toBe("http://127.0.0.1:9000");
    expect(c.merkle.anchorIntervalSeconds).toBe(60);
    expect(c.merkle.anchorBatch).toBe(7);
    expect(c.sources["merkle.anchorbatch"]).toBe("env");
    expect(c.sources["http.url"]).toBe("file");
  });

  test("durations accept d.hh:mm:ss", () => {
    expect(loadConfig({ env: { LEDGER__AIRGAP__STALENESSBUDGET: "2.01:00:00" } }).airgap.stalenessBudgetSeconds).toBe(2 * 86400 + 3600);
  });

  test.each([
    [{ LEDGER__MERKLE__ANCHORBATCH: "abc" }, "LEDGER__MERKLE__ANCHORBATCH"],
    [{ LEDGER__MERKLE__ANCHORINTERVAL: "5 minutes" }, "LEDGER__MERKLE__ANCHORINTERVAL"],
    [{ LEDGER__MERKLE__ANCHORINTERVAL: "00:00:00" }, "LEDGER__MERKLE__ANCHORINTERVAL"],
    [{ LEDGER__HTTP__URL: "not a url" }, "LEDGER__HTTP__URL"],
    [{ LEDGER__ATTACHMENTS__ALLOWEGRESS: "maybe" }, "LEDGER__ATTACHMENTS__ALLOWEGRESS"],
    [{ LEDGER__FOO__BAR: "1" }, "LEDGER__FOO__BAR"],
    [{ LEDGER__HTTP__MAXBODYBYTES: "10" }, "LEDGER__HTTP__MAXBODYBYTES"],
  ])("%p fails naming %s", (env, key) => {
    expect(() => loadConfig({ env })).toThrow(key);
  });

  test("a malformed or unreadable file fails naming it", () => {
    const bad = file("{ not json");
    expect(() => loadConfig({ env: { LEDGER__CONFIG: bad } })).toThrow("not valid JSON");
    expect(() => loadConfig({ env: { LEDGER__CONFIG: "/nonexistent/appsettings.json" } })).toThrow("cannot read");
    expect(() => loadConfig({ env: { LEDGER__CONFIG: file({ Http: { Colour: "blue" } }) } })).toThrow("http.colour");
  });

  test("describeConfig never shows a secret", () => {
    const c = loadConfig({ env: { LEDGER__DB__CONNECTIONSTRING: "postgres://u:hunter2@db/x", LEDGER__ADMIN__TOKEN: "s3cret-token", LEDGER__ATTACHMENTS__ENCRYPTIONKEY: "a2V5" } });
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("s3cret-token");
    expect(text).not.toContain("a2V5");
    expect(describeConfig(c).LEDGER__DB__CONNECTIONSTRING).toBe("(set)");
  });
});
