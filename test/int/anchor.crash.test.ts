// kill -9 of `ledger anchor` in the middle of a backlog, again and again: each time the store holds the old tree or the new one, never a torn one.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { verifyTenant } from "../../src/ledger/verifier.ts";
import { openAnchorStore } from "../../src/store/anchor-port.ts";
import type { EventStore } from "../../src/store/port.ts";
import { SqliteEventStore } from "../../src/store/sqlite.ts";
import { created, randomTenant } from "../support/events.ts";
import { postgresDriver } from "../support/stores.ts";
import { ledgerEnv, testKey } from "./anchor.fixtures.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const EVENTS = 12_000;
const key = testKey();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function backlog(store: EventStore, tenant: string): Promise<void> {
  const appender = new Appender(store, systemMicroClock());
  for (let i = 0; i < EVENTS; i += 6000) await appender.appendBatch(tenant, Array.from({ length: 6000 }, () => created()));
}

function spawnAnchor(env: Record<string, string>) {
  return Bun.spawn(["bun", "run", MAIN, "anchor", "--once", "--max-leaves", "500"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/**
 * Start `ledger anchor --once`, wait until it has committed at least one more checkpoint, then
 * SIGKILL it 0-40 ms later: most kills land inside a checkpoint transaction. True if it was killed.
 */
async function anchorKilledMidRun(env: Record<string, string>, treeSize: () => Promise<number>): Promise<boolean> {
  const before = await treeSize();
  const proc = spawnAnchor(env);
  while (proc.exitCode === null && (await treeSize()) <= before) await Bun.sleep(5);
  await Bun.sleep(Math.random() * 40);
  const killed = proc.exitCode === null;
  if (killed) proc.kill(9);
  await proc.exited;
  return killed;
}

async function anchorToCompletion(env: Record<string, string>): Promise<void> {
  const proc = spawnAnchor(env);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`ledger anchor --once exited ${code}: ${await new Response(proc.stderr).text()}`);
}

/** After every kill: the tree is whole (verify finds nothing) and only grows. */
async function assertWhole(open: () => Promise<EventStore>, tenant: string, sizes: number[]): Promise<void> {
  const store = await open();
  try {
    const anchors = openAnchorStore(store);
    const report = await verifyTenant(anchors, tenant, { verifiers: [key.verifier] });
    expect(report.failures).toEqual([]);
    const size = (await anchors.latestCheckpoint(tenant))?.treeSize ?? 0;
    expect(size).toBe(report.leavesChecked);
    expect(size).toBeGreaterThanOrEqual(sizes.at(-1) ?? 0);
    sizes.push(size);
  } finally {
    if (store instanceof SqliteEventStore) await store.close();
  }
}

async function crashLoop(env: Record<string, string>, open: () => Promise<EventStore>, tenant: string): Promise<number[]> {
  const sizes: number[] = [];
  const watcher = await open();
  const treeSize = async () => (await openAnchorStore(watcher).latestCheckpoint(tenant))?.treeSize ?? 0;
  let kills = 0;
  try {
    for (let round = 0; round < 6; round++) {
      if (await anchorKilledMidRun(env, treeSize)) kills++;
      await assertWhole(open, tenant, sizes);
    }
  } finally {
    if (watcher instanceof SqliteEventStore) await watcher.close();
  }
  await anchorToCompletion(env);
  await assertWhole(open, tenant, sizes);
  expect(kills).toBeGreaterThanOrEqual(4);
  expect(sizes.at(-1)).toBe(EVENTS);
  return sizes;
}

describe("kill -9 while anchoring", () => {
  test("PostgreSQL: old or new checkpoint, never torn; the last run completes the tree", async () => {
    const opened = await postgresDriver.open();
    try {
      const tenant = randomTenant();
      await backlog(opened.store, tenant);
      const dir = mkdtempSync(join(tmpdir(), "ledger-crash-"));
      dirs.push(dir);
      const keyFile = join(dir, "signing.key");
      writeFileSync(keyFile, key.signer.privateKey.export({ format: "pem", type: "pkcs8" }).toString(), { mode: 0o600 });
      const env = { ...(await ledgerEnv(opened, "postgres")), LEDGER__SIGNING__KEYFILE: keyFile };
      const sizes = await crashLoop(env, async () => opened.store, tenant);
      expect(new Set(sizes).size).toBeGreaterThan(2); // progress was made between kills
    } finally {
      await opened.cleanup();
    }
  }, 120_000);

  test("embedded: old or new checkpoint, never torn; the last run completes the tree", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-crash-"));
    dirs.push(dir);
    const tenant = randomTenant();
    const writer = SqliteEventStore.open({ dataDir: dir });
    await writer.migrations.up();
    await backlog(writer, tenant);
    await writer.close(); // the anchor process needs the writer lock
    writeFileSync(join(dir, "signing.key"), key.signer.privateKey.export({ format: "pem", type: "pkcs8" }).toString(), { mode: 0o600 });
    const sizes = await crashLoop({ LEDGER__DATA__DIR: dir }, async () => SqliteEventStore.open({ dataDir: dir, readonly: true }), tenant);
    expect(new Set(sizes).size).toBeGreaterThan(2);
  }, 120_000);
});
