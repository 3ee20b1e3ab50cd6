// The anchorer on both drivers: leaves in anchoring order, signed checkpoints linked by previous size and root, batching, the interval, append-only tables.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EMPTY_ROOT } from "../../src/core/merkle/hash.ts";
import { toHex } from "../../src/core/merkle/hex.ts";
import { rootFromLeafHashes } from "../../src/core/merkle/tree.ts";
import { openCheckpoint } from "../../src/core/signing/checkpoint.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { verifyTenant } from "../../src/ledger/verifier.ts";
import { openAnchorStore, type AnchorStore } from "../../src/store/anchor-port.ts";
import { comment, randomTenant } from "../support/events.ts";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import { anchorer, appendWorkload, eventsInAnchorOrder, KEY_NAME, placeholders, storedLeaves, testKey } from "./anchor.fixtures.ts";

const key = testKey();

for (const driver of DRIVERS) {
  describe(`anchorer: ${driver.name}`, () => {
    let opened: OpenedStore;
    let appender: Appender;
    let anchors: AnchorStore;
    beforeAll(async () => {
      opened = await driver.open();
      appender = new Appender(opened.store, systemMicroClock());
      anchors = openAnchorStore(opened.store);
    }, 60_000);
    afterAll(async () => opened.cleanup());

    test("the first checkpoint covers every committed event in (recordedAt, chainId, sequence) order, signed for <key>/<tenant>", async () => {
      const tenant = randomTenant();
      await appendWorkload(appender, tenant, 6, 9);
      expect(await anchorer(anchors, key).drain()).toBe(15);
      const expected = await eventsInAnchorOrder(opened, tenant, driver.name);
      expect((await storedLeaves(opened, tenant, driver.name)).map((l) => l.eventId)).toEqual(expected.map((e) => e.eventId));

      const cp = (await anchors.latestCheckpoint(tenant))!;
      expect(cp.treeSize).toBe(15);
      expect(cp.previousTreeSize).toBe(0);
      expect(cp.previousRootHash).toBe(toHex(EMPTY_ROOT));
      expect(cp.rootHash).toBe(toHex(rootFromLeafHashes(expected.map((e) => e.leafHash))));
      const { checkpoint } = openCheckpoint(cp.note, [key.verifier], `${KEY_NAME}/${tenant}`);
      expect(checkpoint.treeSize).toBe(15);
      expect(toHex(checkpoint.rootHash)).toBe(cp.rootHash);
    });

    test("nothing pending writes no checkpoint; new events extend the tree and link to the previous checkpoint", async () => {
      const tenant = randomTenant();
      const ids = await appendWorkload(appender, tenant, 3, 0);
      const a = anchorer(anchors, key);
      await a.drain();
      const first = (await anchors.latestCheckpoint(tenant))!;
      expect(await a.drain()).toBe(0);
      expect(await anchors.anchorNext(tenant, 100, () => { throw new Error("must not seal"); })).toBeNull();
      expect((await anchors.listCheckpoints(tenant, 0, 10)).length).toBe(1);

      await appendWorkload(appender, tenant, 2, 0);
      const e = (await appender.appendOne(tenant, comment(ids[0]!))).receipt;
      expect(await a.drain()).toBe(3);
      const second = (await anchors.latestCheckpoint(tenant))!;
      expect(second.treeSize).toBe(6);
      expect(second.previousTreeSize).toBe(first.treeSize);
      expect(second.previousRootHash).toBe(first.rootHash);
      const expected = await eventsInAnchorOrder(opened, tenant, driver.name);
      expect(second.rootHash).toBe(toHex(rootFromLeafHashes(expected.map((x) => x.leafHash))));

      const read = await opened.store.getEvent(tenant, e.eventId);
      expect(read?.leafIndex).toBe(expected.findIndex((x) => x.eventId === e.eventId));
      const chain = await opened.store.listChain(tenant, e.chainId, 0, 10);
      expect(chain.map((x) => x.leafIndex)).toEqual(chain.map((x) => expected.findIndex((y) => y.eventId === x.eventId)));
    });

    test("a backlog above maxLeaves becomes several checkpoints, each linked, and verify accepts the whole tree", async () => {
      const tenant = randomTenant();
      await appendWorkload(appender, tenant, 20, 17);
      const a = anchorer(anchors, key, { maxLeaves: 7 });
      expect(await a.drain()).toBe(37);
      const cps = await anchors.listCheckpoints(tenant, 0, 100);
      expect(cps.map((c) => c.treeSize)).toEqual([7, 14, 21, 28, 35, 37]);
      cps.forEach((c, i) => expect(c.previousTreeSize).toBe(i === 0 ? 0 : cps[i - 1]!.treeSize));
      const expected = await eventsInAnchorOrder(opened, tenant, driver.name);
      expect((await storedLeaves(opened, tenant, driver.name)).map((l) => l.eventId)).toEqual(expected.map((e) => e.eventId));
      for (const c of cps) expect(c.rootHash).toBe(toHex(rootFromLeafHashes(expected.slice(0, c.treeSize).map((e) => e.leafHash))));
      expect(a.stats.checkpoints).toBe(6);

      const report = await verifyTenant(anchors, tenant, { verifiers: [key.verifier], pageSize: 5 });
      expect(report).toMatchObject({ ok: true, tenant, chainsChecked: 20, eventsChecked: 37, leavesChecked: 37, checkpointsChecked: 6, failures: [] });
    });

    test("the interval: a tenant anchored recently waits, unless ANCHORBATCH events are pending", async () => {
      const tenant = randomTenant();
      let now = Date.now() * 1000;
      const a = anchorer(anchors, key, { intervalSeconds: 60, batch: 4, nowUs: () => now });
      await appendWorkload(appender, tenant, 2, 0);
      await a.pass();
      expect((await anchors.latestCheckpoint(tenant))?.treeSize).toBe(2); // the first checkpoint is due at once
      await appendWorkload(appender, tenant, 3, 0);
      await a.pass();
      expect((await anchors.latestCheckpoint(tenant))?.treeSize).toBe(2); // 3 pending < batch 4, interval not over
      await appendWorkload(appender, tenant, 1, 0);
      await a.pass();
      expect((await anchors.latestCheckpoint(tenant))?.treeSize).toBe(6); // batch reached
      await appendWorkload(appender, tenant, 1, 0);
      now += 59 * 1e6;
      await a.pass();
      expect((await anchors.latestCheckpoint(tenant))?.treeSize).toBe(6);
      now += 2 * 1e6;
      await a.pass();
      expect((await anchors.latestCheckpoint(tenant))?.treeSize).toBe(7); // interval over
    });

    test("tenants are separate trees", async () => {
      const [t1, t2] = [randomTenant(), randomTenant()];
      await appendWorkload(appender, t1, 3, 0);
      await appendWorkload(appender, t2, 5, 0);
      await anchorer(anchors, key).drain();
      expect((await anchors.latestCheckpoint(t1))?.treeSize).toBe(3);
      expect((await anchors.latestCheckpoint(t2))?.treeSize).toBe(5);
      expect(await anchors.tenants()).toEqual(expect.arrayContaining([t1, t2]));
      expect(openCheckpoint((await anchors.latestCheckpoint(t2))!.note, [key.verifier]).checkpoint.origin).toBe(`${KEY_NAME}/${t2}`);
    });

    test("the database refuses UPDATE and DELETE on leaves and checkpoints", async () => {
      const tenant = randomTenant();
      await appendWorkload(appender, tenant, 2, 0);
      await anchorer(anchors, key).drain();
      const attempts = [
        "UPDATE ledger_merkle_roots SET root_hash = previous_root_hash WHERE tenant_id = $1",
        "DELETE FROM ledger_merkle_roots WHERE tenant_id = $1",
        "UPDATE ledger_merkle_leaves SET sequence = sequence + 1 WHERE tenant_id = $1",
        "DELETE FROM ledger_merkle_leaves WHERE tenant_id = $1",
      ];
      for (const sql of attempts) await expect(opened.raw(placeholders(driver.name, sql), [tenant])).rejects.toThrow(/append-only/);
      if (driver.name === "postgres") {
        await expect(opened.raw("TRUNCATE ledger_merkle_roots")).rejects.toThrow(/append-only/);
        await expect(opened.raw("TRUNCATE ledger_merkle_leaves")).rejects.toThrow(/append-only/);
      }
      expect((await anchors.latestCheckpoint(tenant))?.treeSize).toBe(2);
    });

    test("a tree head that does not fold from the stored frontier stops anchoring for that tenant", async () => {
      const tenant = randomTenant();
      await appendWorkload(appender, tenant, 3, 0);
      await anchorer(anchors, key).drain();
      await appendWorkload(appender, tenant, 1, 0);
      // The store hands the seal step a head whose root is not what its frontier folds to.
      const wrapped: AnchorStore = Object.create(anchors);
      wrapped.anchorNext = (t, n, seal) => anchors.anchorNext(t, n, (head, events) => seal({ ...head, rootHash: new Uint8Array(32) }, events));
      const refusing = anchorer(wrapped, key);
      expect(await refusing.pass(true)).toBe(0);
      expect(refusing.problems().join()).toMatch(/folds to [0-9a-f]{64}, not the checkpoint root/);
      expect(refusing.state().state).toBe("failed");
      expect(refusing.stats.failures).toBe(1);
      expect((await anchors.latestCheckpoint(tenant))?.treeSize).toBe(3);
      expect(await anchorer(anchors, key).drain()).toBe(1);
    });
  });
}
