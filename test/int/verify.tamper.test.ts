// Tampering behind the ledger's back (append-only triggers disabled as superuser): `ledger verify`, the service and the CLI, names every change.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import type { StoredEvent } from "../../src/core/events/types.ts";
import { Appender } from "../../src/ledger/appender.ts";
import { systemMicroClock } from "../../src/ledger/clock.ts";
import { verifyTenant, type VerifyFailure } from "../../src/ledger/verifier.ts";
import { openAnchorStore, type AnchorStore } from "../../src/store/anchor-port.ts";
import { EVENT_COLUMNS, toTuple } from "../../src/store/rows.ts";
import { canonicalize } from "../../src/core/canonical/jcs.ts";
import { randomTenant } from "../support/events.ts";
import { DRIVERS, type OpenedStore } from "../support/stores.ts";
import { anchorer, appendWorkload, insertRowSql, ledgerEnv, linkedRow, placeholders, runLedger, testKey } from "./anchor.fixtures.ts";

const key = testKey();
const hex = () => randomBytes(32).toString("hex");
const SQLITE_TRIGGERS = ["ledger_events_no_update", "ledger_events_no_delete", "ledger_merkle_leaves_no_update", "ledger_merkle_leaves_no_delete", "ledger_merkle_roots_no_update", "ledger_merkle_roots_no_delete"];

interface Ctx {
  tenant: string;
  chain: StoredEvent[]; // one finding's chain: sequences 1..3, all anchored
  exec(sql: string, params: unknown[]): Promise<unknown>;
}

type Expect = Partial<VerifyFailure> & { kind: VerifyFailure["kind"] };

interface Scenario {
  name: string;
  tamper(ctx: Ctx, driver: string): Promise<void>;
  expect(ctx: Ctx): Expect[];
}

const at = (ctx: Ctx, sequence: number) => ({ chainId: ctx.chain[0]!.chainId, sequence });

const SCENARIOS: Scenario[] = [
  {
    name: "edit a payload",
    tamper: (c) => c.exec("UPDATE ledger_events SET payload = $3 WHERE tenant_id = $1 AND event_id = $2", [c.tenant, c.chain[1]!.eventId, '{"comment":"edited"}']).then(() => {}),
    expect: (c) => [{ kind: "hash_mismatch", ...at(c, 2) }],
  },
  {
    name: "change a hash",
    tamper: (c) => c.exec("UPDATE ledger_events SET event_hash = $3 WHERE tenant_id = $1 AND event_id = $2", [c.tenant, c.chain[1]!.eventId, hex()]).then(() => {}),
    expect: (c) => [{ kind: "hash_mismatch", ...at(c, 2) }, { kind: "previous_hash_mismatch", ...at(c, 3) }, { kind: "leaf_mismatch", ...at(c, 2) }],
  },
  {
    name: "delete a row",
    tamper: (c) => c.exec("DELETE FROM ledger_events WHERE tenant_id = $1 AND event_id = $2", [c.tenant, c.chain[1]!.eventId]).then(() => {}),
    expect: (c) => [{ kind: "sequence_gap", ...at(c, 3) }, { kind: "leaf_event_missing", ...at(c, 2) }],
  },
  {
    name: "reorder two events",
    async tamper(c) {
      const move = "UPDATE ledger_events SET sequence = $3 WHERE tenant_id = $1 AND event_id = $2";
      await c.exec(move, [c.tenant, c.chain[1]!.eventId, 1000]);
      await c.exec(move, [c.tenant, c.chain[2]!.eventId, 2]);
      await c.exec(move, [c.tenant, c.chain[1]!.eventId, 3]);
    },
    expect: (c) => [{ kind: "hash_mismatch", ...at(c, 2) }, { kind: "hash_mismatch", ...at(c, 3) }, { kind: "leaf_mismatch", ...at(c, 2) }],
  },
  {
    name: "insert a forged event, correctly linked but backdated into anchored history",
    async tamper(c, driver) {
      const head = c.chain[2]!;
      const row = linkedRow(c.tenant, { findingId: head.findingId!, sequence: 4, previousHash: head.eventHash });
      const values = toTuple(row, canonicalize(row.payload));
      const sql = driver === "postgres"
        ? `INSERT INTO ledger_events (${EVENT_COLUMNS.join(", ")}, tx_id) VALUES (${EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(", ")}, '3'::xid8)`
        : `INSERT INTO ledger_events (${EVENT_COLUMNS.join(", ")}, position) VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")}, 0)`;
      await c.exec(sql, values);
    },
    expect: (c) => [{ kind: "unanchored_event", ...at(c, 4) }],
  },
  {
    name: "insert a forged event that does not link",
    async tamper(c, driver) {
      const [sql, params] = insertRowSql(driver, linkedRow(c.tenant, { findingId: c.chain[0]!.findingId!, sequence: 4, previousHash: hex() }));
      await c.exec(sql, params);
    },
    expect: (c) => [{ kind: "previous_hash_mismatch", ...at(c, 4) }],
  },
  {
    name: "alter a checkpoint root",
    tamper: (c) => c.exec("UPDATE ledger_merkle_roots SET root_hash = $2 WHERE tenant_id = $1 AND tree_size = 10", [c.tenant, hex()]).then(() => {}),
    expect: () => [
      { kind: "checkpoint_root_mismatch", treeSize: 10 }, { kind: "checkpoint_note_mismatch", treeSize: 10 },
      { kind: "checkpoint_link", treeSize: 12 }, { kind: "consistency_failed", treeSize: 10 },
    ],
  },
  {
    name: "alter a checkpoint signature",
    async tamper(c) {
      const [row] = (await c.exec("SELECT note FROM ledger_merkle_roots WHERE tenant_id = $1 AND tree_size = 5", [c.tenant])) as { note: string }[];
      const sig = row!.note.slice(row!.note.lastIndexOf(" ") + 1, -1);
      const flipped = sig.slice(0, 20) + (sig[20] === "A" ? "B" : "A") + sig.slice(21);
      await c.exec("UPDATE ledger_merkle_roots SET note = $2 WHERE tenant_id = $1 AND tree_size = 5", [c.tenant, row!.note.replace(sig, flipped)]);
    },
    expect: () => [{ kind: "checkpoint_signature", treeSize: 5 }],
  },
  {
    name: "alter a stored tree node",
    async tamper(c) {
      const [row] = (await c.exec("SELECT node_hashes FROM ledger_merkle_leaves WHERE tenant_id = $1 AND leaf_index = 3", [c.tenant])) as { node_hashes: Uint8Array }[];
      const changed = Buffer.from(row!.node_hashes);
      changed[40] = changed[40]! ^ 0xff; // level 1, leaving the leaf hash alone
      await c.exec("UPDATE ledger_merkle_leaves SET node_hashes = $2 WHERE tenant_id = $1 AND leaf_index = 3", [c.tenant, changed]);
    },
    expect: () => [{ kind: "node_mismatch", leafIndex: 3 }],
  },
  {
    name: "delete a leaf",
    tamper: (c) => c.exec("DELETE FROM ledger_merkle_leaves WHERE tenant_id = $1 AND leaf_index = 7", [c.tenant]).then(() => {}),
    expect: () => [{ kind: "leaf_gap", treeSize: 7 }, { kind: "unanchored_event" }],
  },
  {
    name: "delete the latest checkpoint",
    tamper: (c) => c.exec("DELETE FROM ledger_merkle_roots WHERE tenant_id = $1 AND tree_size = 12", [c.tenant]).then(() => {}),
    expect: () => [{ kind: "leaves_beyond_checkpoint", treeSize: 12 }],
  },
];

for (const driver of DRIVERS) {
  describe(`ledger verify catches tampering: ${driver.name}`, () => {
    let opened: OpenedStore;
    let appender: Appender;
    let anchors: AnchorStore;
    let env: Record<string, string>;
    beforeAll(async () => {
      opened = await driver.open();
      appender = new Appender(opened.store, systemMicroClock());
      anchors = openAnchorStore(opened.store);
      env = await ledgerEnv(opened, driver.name);
      if (driver.name === "postgres") {
        for (const t of ["ledger_events", "ledger_merkle_leaves", "ledger_merkle_roots"]) await opened.raw(`ALTER TABLE ${t} DISABLE TRIGGER ALL`);
      } else {
        for (const t of SQLITE_TRIGGERS) await opened.raw(`DROP TRIGGER ${t}`);
      }
    }, 60_000);
    afterAll(async () => opened.cleanup());

    /** 4 findings x 3 events, anchored 5 leaves at a time: checkpoints at tree sizes 5, 10 and 12. */
    async function fresh(): Promise<Ctx> {
      const tenant = randomTenant();
      const ids = await appendWorkload(appender, tenant, 4, 8);
      await anchorer(anchors, key, { maxLeaves: 5 }).drain();
      const chain = await chainOf(tenant, ids[0]!);
      return { tenant, chain, exec: (sql, params) => opened.raw(placeholders(driver.name, sql), params) };
    }

    async function chainOf(tenant: string, findingId: string): Promise<StoredEvent[]> {
      const [row] = (await opened.raw(placeholders(driver.name, "SELECT chain_id FROM ledger_events WHERE tenant_id = $1 AND finding_id = $2 LIMIT 1"), [tenant, findingId])) as { chain_id: string }[];
      return opened.store.listChain(tenant, String(row!.chain_id), 0, 10);
    }

    test("an untouched tenant verifies: the service and the CLI (exit 0)", async () => {
      const c = await fresh();
      expect(c.chain.map((e) => e.sequence)).toEqual([1, 2, 3]);
      const report = await verifyTenant(anchors, c.tenant, { verifiers: [key.verifier] });
      expect(report).toMatchObject({ ok: true, chainsChecked: 4, eventsChecked: 12, leavesChecked: 12, checkpointsChecked: 3, failures: [] });
      const cli = await runLedger(["verify", "--tenant", c.tenant, "--vkey", key.info.vkey], env);
      expect(cli.stderr).toBe("");
      expect(cli.stdout).toContain(`tenant ${c.tenant}: ok (4 chains, 12 events, 12 leaves, 3 checkpoints`);
      expect(cli.code).toBe(0);
    }, 30_000);

    for (const s of SCENARIOS) {
      test(`${s.name}: named by kind, chain and sequence or tree size; the CLI exits 1`, async () => {
        const c = await fresh();
        await s.tamper(c, driver.name);
        const report = await verifyTenant(anchors, c.tenant, { verifiers: [key.verifier] });
        expect(report.ok).toBe(false);
        for (const e of s.expect(c)) expect(report.failures).toContainEqual(expect.objectContaining(e));

        const cli = await runLedger(["verify", "--tenant", c.tenant, "--vkey", key.info.vkey], env);
        expect(cli.code).toBe(1);
        for (const e of s.expect(c)) {
          const where = [`tenant=${c.tenant}`, e.chainId && `chain=${e.chainId}`, e.sequence && `sequence=${e.sequence}`, e.treeSize && `treeSize=${e.treeSize}`].filter(Boolean).join(" ");
          expect(cli.stdout).toMatch(new RegExp(`^${e.kind} ${where}.*: .+$`, "m"));
        }
        expect(cli.stdout).toContain(`tenant ${c.tenant}: FAILED`);
      }, 30_000);
    }
  });
}
