// The compiled binary anchors as a user sees it: append over HTTP, wait for checkpoints, check every proof with an RFC/C2SP-only verifier and with Go.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { goVerify, type GoInclusion } from "../support/go-verify.ts";
import { ensureBinary, runLedger, startLedger, type RunningLedger } from "../support/binary.ts";
import { leafHashOf, openCheckpointC2sp, verifyConsistencyRfc, verifyInclusionRfc } from "./anchor.rfc-verifier.ts";

const TENANT = "e2e-anchor";
const ARTIFACT = `sha256:${"ef".repeat(32)}`;

interface Checkpoint { treeSize: number; rootHash: string; previousTreeSize: number; previousRootHash: string; createdAt: string; note: string }
interface Event { eventId: string; eventHash: string; merkleLeafHash: string; leafIndex: number | null }

const createdEvent = (i: number) => ({
  eventId: crypto.randomUUID(),
  eventType: "finding.created",
  findingId: `CVE-2026-${1000 + i}@${ARTIFACT}`,
  artifactId: ARTIFACT,
  actor: { id: "scanner", type: "system" },
  occurredAt: "2026-11-02T08:00:00Z",
  payload: { vulnerabilityId: `CVE-2026-${1000 + i}`, severity: "medium" },
});

describe("anchoring end to end (dist/ledger)", () => {
  let ledger: RunningLedger;
  const ids: string[] = [];
  const json = async <T>(path: string, init: RequestInit & { tenant?: string } = {}): Promise<T> => {
    const res = await ledger.fetch(path, { tenant: TENANT, ...init });
    expect(res.status).toBeLessThan(300);
    return (await res.json()) as T;
  };
  const latestAt = async (size: number): Promise<Checkpoint> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await ledger.fetch("/v1/ledger/checkpoints/latest", { tenant: TENANT });
      if (res.status === 200) {
        const cp = (await res.json()) as Checkpoint;
        if (cp.treeSize >= size) return cp;
      }
      if (Date.now() > deadline) throw new Error(`no checkpoint of size ${size} within 20 s:\n${ledger.stderr()}`);
      await Bun.sleep(100);
    }
  };
  const append = async (from: number, to: number) => {
    const batch = Array.from({ length: to - from }, (_, k) => createdEvent(from + k));
    await json("/v1/ledger/events:batch", { method: "POST", body: JSON.stringify(batch) });
    ids.push(...batch.map((e) => e.eventId));
    for (const e of batch.slice(0, 3)) {
      const body = { eventId: crypto.randomUUID(), eventType: "finding.comment_added", findingId: e.findingId, actor: { id: "alice", type: "operator" }, occurredAt: "2026-11-02T09:00:00Z", payload: { comment: "triaged" } };
      await json("/v1/ledger/events", { method: "POST", body: JSON.stringify(body) });
      ids.push(body.eventId);
    }
  };

  beforeAll(async () => {
    await ensureBinary();
    ledger = await startLedger({ env: { LEDGER__MERKLE__ANCHORBATCH: "4", LEDGER__MERKLE__ANCHORINTERVAL: "00:00:01" } });
  }, 120_000);
  afterAll(async () => {
    await ledger?.stop();
  });

  test("the server says where its signing key is and runs the anchorer", async () => {
    expect(ledger.stderr()).toMatch(/signing key: generated .*signing\.key \(findings-ledger\+[0-9a-f]{8}\)/);
    const status = await json<{ workers: { name: string; state: string }[] }>("/status");
    expect(status.workers).toContainEqual(expect.objectContaining({ name: "anchorer", state: "running" }));
  });

  test("append, wait for two checkpoints, then prove every event, the consistency between them, and the signatures", async () => {
    await append(0, 9); // 12 events
    const first = await latestAt(12);
    await append(9, 20); // 14 more
    const second = await latestAt(26);
    expect(first.treeSize).toBe(12);
    expect(second.treeSize).toBe(26);

    const { keys } = (await (await fetch(`${ledger.url}/v1/ledger/keys`)).json()) as { keys: { name: string; keyId: string; algorithm: string; vkey: string }[] };
    expect(keys).toHaveLength(1);
    const vkey = keys[0]!.vkey;
    for (const cp of [first, second]) {
      expect(openCheckpointC2sp(cp.note, vkey)).toEqual({ origin: `findings-ledger/${TENANT}`, treeSize: cp.treeSize, rootHex: cp.rootHash });
    }
    const all = await json<{ items: Checkpoint[] }>("/v1/ledger/checkpoints?fromSize=1");
    all.items.forEach((cp, i) => {
      expect(cp.previousTreeSize).toBe(i === 0 ? 0 : all.items[i - 1]!.treeSize);
      expect(openCheckpointC2sp(cp.note, vkey).rootHex).toBe(cp.rootHash);
    });

    const go: GoInclusion[] = [];
    for (const id of ids) {
      const event = await json<Event>(`/v1/ledger/events/${id}`);
      expect(leafHashOf(event.eventHash)).toBe(event.merkleLeafHash);
      expect(event.leafIndex).not.toBeNull();
      for (const cp of [first, second].filter((c) => c.treeSize > event.leafIndex!)) {
        const p = await json<{ leafIndex: number; treeSize: number; rootHash: string; hashes: string[] }>(`/v1/ledger/proofs/inclusion?eventId=${id}&treeSize=${cp.treeSize}`);
        expect(p.rootHash).toBe(cp.rootHash);
        expect(verifyInclusionRfc(p.leafIndex, p.treeSize, event.merkleLeafHash, p.hashes, cp.rootHash)).toBe(true);
        if (p.hashes.length > 0) expect(verifyInclusionRfc(p.leafIndex, p.treeSize, event.merkleLeafHash, p.hashes.slice(1), cp.rootHash)).toBe(false);
        go.push({ leafHash: event.merkleLeafHash, index: p.leafIndex, size: p.treeSize, root: cp.rootHash, proof: p.hashes });
      }
    }
    expect(go.length).toBe(ids.length + 12);

    const c = await json<{ fromSize: number; toSize: number; fromRoot: string; toRoot: string; hashes: string[] }>(`/v1/ledger/proofs/consistency?from=${first.treeSize}&to=${second.treeSize}`);
    expect([c.fromRoot, c.toRoot]).toEqual([first.rootHash, second.rootHash]);
    expect(verifyConsistencyRfc(first.treeSize, second.treeSize, first.rootHash, second.rootHash, c.hashes)).toBe(true);
    expect(verifyConsistencyRfc(first.treeSize, second.treeSize, second.rootHash, first.rootHash, c.hashes)).toBe(false);

    const result = await goVerify({
      vkey,
      signedNote: second.note,
      inclusion: go,
      consistency: [{ size1: first.treeSize, size2: second.treeSize, root1: first.rootHash, root2: second.rootHash, proof: c.hashes }],
    });
    expect(result.results.filter((r) => !r.ok)).toEqual([]);
    expect(result.results[0]).toMatchObject({ kind: "note", origin: `findings-ledger/${TENANT}`, treeSize: 26, rootHash: second.rootHash });
  }, 60_000);

  test("`ledger verify --all` runs read-only beside the server and agrees with POST /v1/ledger/verify", async () => {
    await latestAt(ids.length);
    const report = await json<{ ok: boolean; eventsChecked: number; checkpointsChecked: number; failures: unknown[] }>("/v1/ledger/verify", { method: "POST" });
    expect(report).toMatchObject({ ok: true, eventsChecked: ids.length, failures: [] });
    const cli = await runLedger(["verify", "--all"], { env: { LEDGER__DATA__DIR: ledger.dataDir } });
    expect(cli.err).toBe("");
    expect(cli.out).toContain(`tenant ${TENANT}: ok (20 chains, ${ids.length} events, ${ids.length} leaves, ${report.checkpointsChecked} checkpoints`);
    expect(cli.code).toBe(0);
  });
});
