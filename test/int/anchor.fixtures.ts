// Shared by the anchor, proof and verify tests: an in-memory signing key, a workload of appends, and the expected tree.
import { generateKeyPairSync } from "node:crypto";
import { dirname } from "node:path";
import { canonicalize } from "../../src/core/canonical/jcs.ts";
import { contentDigestOf, linkEvent } from "../../src/core/chain/link.ts";
import { ZERO_HASH, type EventDraft } from "../../src/core/events/types.ts";
import { findingChainId } from "../../src/core/hash/uuid.ts";
import { hashLeaf } from "../../src/core/merkle/hash.ts";
import { hashFromHex } from "../../src/core/merkle/hex.ts";
import type { Appender } from "../../src/ledger/appender.ts";
import { signingKeyFrom, type SigningKey } from "../../src/ledger/signing-key.ts";
import { silentLogger } from "../../src/observability/logger.ts";
import type { AnchorStore } from "../../src/store/anchor-port.ts";
import type { EventRow } from "../../src/store/port.ts";
import { EVENT_COLUMNS, toTuple } from "../../src/store/rows.ts";
import type { SqliteEventStore } from "../../src/store/sqlite.ts";
import { Anchorer, type AnchorerOptions } from "../../src/workers/anchorer.ts";
import { comment, created } from "../support/events.ts";
import { adminUrl } from "../support/pg.ts";
import type { OpenedStore } from "../support/stores.ts";

export const KEY_NAME = "findings-ledger";

export function testKey(name = KEY_NAME): SigningKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  return signingKeyFrom(name, privateKey, "(in memory)", { created: false, configured: true });
}

export function anchorer(anchors: AnchorStore, key: SigningKey, over: Partial<AnchorerOptions> = {}): Anchorer {
  return new Anchorer({ anchors, key, log: silentLogger, intervalSeconds: 300, batch: 10_000, ...over });
}

/** Appends `findings` created events and `comments` comments spread over them; returns the finding ids. */
export async function appendWorkload(appender: Appender, tenant: string, findings: number, comments: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < findings; i++) {
    const e = created();
    await appender.appendOne(tenant, e);
    ids.push(e.findingId);
  }
  for (let i = 0; i < comments; i++) await appender.appendOne(tenant, comment(ids[i % ids.length]!, `note ${i}`));
  return ids;
}

export interface ExpectedLeaf {
  eventId: string;
  chainId: string;
  sequence: number;
  leafHash: Uint8Array;
}

/** Every event of the tenant in anchoring order (recordedAt, chainId, sequence), read straight from the tables. */
export async function eventsInAnchorOrder(opened: OpenedStore, tenant: string, driver: string): Promise<ExpectedLeaf[]> {
  const sql = driver === "postgres"
    ? "SELECT event_id::text AS event_id, chain_id::text AS chain_id, sequence, event_hash FROM ledger_events WHERE tenant_id = $1 ORDER BY recorded_at_us, chain_id, sequence"
    : "SELECT event_id, chain_id, sequence, event_hash FROM ledger_events WHERE tenant_id = ? ORDER BY recorded_at_us, chain_id, sequence";
  const rows = (await opened.raw(sql, [tenant])) as { event_id: string; chain_id: string; sequence: number | string; event_hash: string }[];
  return rows.map((r) => ({ eventId: r.event_id, chainId: r.chain_id, sequence: Number(r.sequence), leafHash: hashLeaf(hashFromHex(r.event_hash)) }));
}

/** The leaves as stored, in index order. */
export async function storedLeaves(opened: OpenedStore, tenant: string, driver: string): Promise<{ leafIndex: number; eventId: string }[]> {
  const sql = driver === "postgres"
    ? "SELECT leaf_index, event_id::text AS event_id FROM ledger_merkle_leaves WHERE tenant_id = $1 ORDER BY leaf_index"
    : "SELECT leaf_index, event_id FROM ledger_merkle_leaves WHERE tenant_id = ? ORDER BY leaf_index";
  const rows = (await opened.raw(sql, [tenant])) as { leaf_index: number | string; event_id: string }[];
  return rows.map((r) => ({ leafIndex: Number(r.leaf_index), eventId: r.event_id }));
}

/** `$1`-style placeholders for PostgreSQL, `?` for SQLite. */
export const placeholders = (driver: string, sql: string): string => (driver === "postgres" ? sql : sql.replace(/\$(\d+)/g, "?$1"));

/** A correctly linked event row built outside the Appender (a late writer's row, or a forgery). */
export function linkedRow(tenant: string, over: { findingId?: string; sequence?: number; previousHash?: string; recordedAtUs?: number } = {}): EventRow {
  const findingId = over.findingId ?? `CVE-2026-0001@${crypto.randomUUID()}`;
  const draft: EventDraft = {
    eventId: crypto.randomUUID(),
    eventType: over.sequence && over.sequence > 1 ? "finding.comment_added" : "finding.created",
    findingId,
    artifactId: `sha256:${"cd".repeat(32)}`,
    policyVersion: null,
    actor: { id: "someone", type: "operator" },
    occurredAt: "2026-11-01T10:00:00.000Z",
    sourceRunId: null,
    payload: over.sequence && over.sequence > 1 ? { comment: "forged" } : { vulnerabilityId: "CVE-2026-0001", severity: "low" },
  };
  const chainId = findingChainId(tenant, findingId);
  const linked = linkEvent(tenant, chainId, over.sequence ?? 1, over.previousHash ?? ZERO_HASH, draft);
  return { ...linked, contentDigest: contentDigestOf(tenant, chainId, draft), findingStatus: "open", recordedAtUs: over.recordedAtUs ?? Date.now() * 1000 };
}

/** INSERT of one event row as raw SQL and parameters (bypassing the store), for either driver. */
export function insertRowSql(driver: string, row: EventRow): [string, unknown[]] {
  const values = EVENT_COLUMNS.map((_, i) => (driver === "postgres" ? `$${i + 1}` : "?")).join(", ");
  return [`INSERT INTO ledger_events (${EVENT_COLUMNS.join(", ")}) VALUES (${values})`, toTuple(row, canonicalize(row.payload))];
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** Runs `ledger <args>` from source in a child process with only the given environment (plus PATH/HOME). */
export async function runLedger(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["bun", "run", MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, stdout, stderr };
}

/** The environment that points `ledger` at the store a test opened (PostgreSQL URL or embedded data dir). */
export async function ledgerEnv(opened: OpenedStore, driver: string): Promise<Record<string, string>> {
  if (driver === "postgres") {
    const [row] = (await opened.raw("SELECT current_database() AS db")) as { db: string }[];
    const url = new URL(await adminUrl());
    url.pathname = `/${row!.db}`;
    return { LEDGER__DB__CONNECTIONSTRING: url.toString() };
  }
  return { LEDGER__DATA__DIR: dirname((opened.store as SqliteEventStore).db.filename) };
}
