// End to end on the compiled binary: append over HTTP, wait for the in-process projector, query, expire a risk, rebuild.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { StoredEvent } from "../../src/core/events/types.ts";
import type { Finding } from "../../src/core/projection/finding.ts";
import { cleanupAll, ensureBinary, runLedger, startLedger, tempDir, type RunningLedger } from "../support/binary.ts";
import { freshDatabase, type FreshDatabase } from "../support/pg.ts";

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const ARTIFACT = `sha256:${"e2".repeat(32)}`;
const event = (findingId: string, eventType: string, payload: Record<string, unknown>, occurredAt = "2026-03-01T10:00:00Z") => ({
  eventId: crypto.randomUUID(), eventType, findingId, artifactId: ARTIFACT, policyVersion: "policy-e2e",
  actor: { id: "alice@example.com", type: "operator" }, occurredAt, payload,
});

function scenario(name: string, setup: () => Promise<{ env: Record<string, string>; serveArgs: string[]; cleanup: () => Promise<void> }>) {
  describe(`projection e2e: ${name}`, () => {
    let env: Record<string, string>;
    let cleanup = async () => {};
    let server: RunningLedger | null = null;
    const tenant = "e2e-tenant";
    const call = (path: string, init: RequestInit = {}) => server!.fetch(path, { ...init, tenant });

    beforeAll(async () => {
      await ensureBinary();
      const s = await setup();
      cleanup = s.cleanup;
      env = { ...s.env, LEDGER__ADMIN__TOKEN: `e2e-${crypto.randomUUID()}` };
      server = await startLedger({ dataDir: env.LEDGER__DATA__DIR, env, args: s.serveArgs });
    }, 180_000);

    afterAll(async () => {
      await server?.kill9();
      await cleanup();
      await cleanupAll();
    });

    test("append, wait for the projection, query with filters, read one finding with its history", async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `CVE-2026-${1000 + i}@${ARTIFACT}`);
      const batch = ids.flatMap((id, i) => [
        event(id, "finding.created", { vulnerabilityId: `CVE-2026-${1000 + i}`, severity: i % 3 === 0 ? "critical" : "low", cvssScore: i % 3 === 0 ? 9.1 : 2.2 }),
        ...(i % 2 === 0 ? [event(id, "finding.assignment_changed", { assignee: "bob@example.com" })] : []),
      ]);
      const started = Date.now();
      const res = await call("/v1/ledger/events:batch", { method: "POST", body: JSON.stringify(batch) });
      expect(res.status).toBe(201);
      const page = await until("the projection", async () => {
        const body = (await (await call("/v1/findings?limit=1000")).json()) as { items: Finding[] };
        return body.items.length === ids.length ? body : undefined;
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(page.items.map((f) => f.findingId).sort()).toEqual([...ids].sort());
      const critical = (await (await call("/v1/findings?severity=critical&assignee=bob%40example.com&minCvss=9")).json()) as { items: Finding[] };
      expect(critical.items.map((f) => f.findingId)).toEqual(ids.filter((_, i) => i % 6 === 0).sort());
      const one = (await (await call(`/v1/findings/${encodeURIComponent(ids[0]!)}`)).json()) as { finding: Finding; history: StoredEvent[] };
      expect(one.finding).toMatchObject({ findingId: ids[0], assignee: "bob@example.com", lastSequence: 2, severity: "critical" });
      expect(one.history.map((e) => e.eventType)).toEqual(["finding.created", "finding.assignment_changed"]);
      expect((await call("/v1/findings?limit=1001")).status).toBe(400);
      const status = (await (await call("/status")).json()) as { workers: { name: string; state: string }[] };
      expect(status.workers).toContainEqual(expect.objectContaining({ name: "projector", state: "running" }));
    });

    test("an accepted risk past its expiry is reopened by the ledger's projector", async () => {
      const id = "expiring-finding";
      for (const e of [
        event(id, "finding.created", { vulnerabilityId: "CVE-2026-9", severity: "high" }, "2026-01-01T00:00:00Z"),
        event(id, "finding.accepted_risk", { reason: "temporary", expiresAt: "2026-01-02T00:00:00Z" }, "2026-01-01T01:00:00Z"),
      ]) expect((await call("/v1/ledger/events", { method: "POST", body: JSON.stringify(e) })).status).toBe(201);
      const reopened = await until("the expiry", async () => {
        const body = (await (await call(`/v1/findings/${id}`)).json()) as { finding: Finding; history: StoredEvent[] };
        return body.finding.status === "open" ? body : undefined;
      });
      expect(reopened.history.at(-1)).toMatchObject({
        eventType: "finding.status_changed", actor: { id: "ledger", type: "system" }, occurredAt: "2026-01-02T00:00:00.000Z",
        payload: { status: "open", comment: "accepted risk expired" },
      });
      // GET by id folds unapplied events on top; the list shows the projection once it applied them.
      await until("the projected reopen", async () => {
        const listed = (await (await call("/v1/findings?status=open&policyVersion=policy-e2e")).json()) as { items: Finding[] };
        return listed.items.some((f) => f.findingId === id && f.acceptedRisk === null) ? true : undefined;
      });
    });

    test("after a clean stop, `ledger project --rebuild` lands on the live checksum", async () => {
      const live = await until("a quiet projection", async () => {
        const r = await runLedger(["project", "--checksum", "--tenant", tenant], { env });
        return r.code === 0 && r.out.includes(": 48 events applied, 31 findings") ? r.out : undefined;
      });
      expect(await server!.stop()).toBe(0);
      server = null;
      const checksum = /checksum ([0-9a-f]{64})/.exec(live)![1]!;
      const rebuilt = await runLedger(["project", "--rebuild", "--tenant", tenant], { env });
      expect(rebuilt.code).toBe(0);
      expect(rebuilt.out).toContain(`tenant ${tenant}: 48 events, 31 findings, checksum ${checksum} (equals the live projection`);
      expect(rebuilt.out).toMatch(/rebuilt 1 tenants: 48 events, 31 findings/);
    }, 30_000);
  });
}

scenario("embedded", async () => ({ env: { LEDGER__DATA__DIR: tempDir("ledger-e2e-proj-") }, serveArgs: [], cleanup: async () => {} }));

scenario("postgres", async () => {
  const db: FreshDatabase = await freshDatabase();
  return { env: { LEDGER__DB__CONNECTIONSTRING: db.url, LEDGER__DATA__DIR: tempDir("ledger-e2e-proj-") }, serveArgs: ["--migrate"], cleanup: () => db.drop() };
});
