// /metrics on the compiled binary: the projector and anchorer metrics carry samples after real work.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cleanupAll, ensureBinary, killAll, startLedger } from "../support/binary.ts";
import { comment, created } from "../support/events.ts";

beforeAll(async () => {
  await ensureBinary();
}, 180_000);
afterAll(async () => {
  await killAll();
  await cleanupAll();
});

const sample = (text: string, name: string): number | null => {
  const line = text.split("\n").find((l) => l.startsWith(name) && !l.startsWith("#"));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : null;
};

test("projection and anchoring metrics are exported with samples; no token needed", async () => {
  const s = await startLedger({ env: { LEDGER__MERKLE__ANCHORBATCH: "1", LEDGER__MERKLE__ANCHORINTERVAL: "00:00:01" } });
  const c = created();
  const events = [c, comment(c.findingId), comment(c.findingId)];
  const r = await s.fetch("/v1/ledger/events:batch", { method: "POST", tenant: "acme", body: JSON.stringify(events) });
  expect(r.status).toBe(201);
  let text = "";
  const deadline = Date.now() + 15_000;
  for (;;) {
    text = await (await fetch(`${s.url}/metrics`)).text();
    const applied = sample(text, "ledger_projection_apply_seconds_count") ?? 0;
    const anchored = sample(text, "ledger_merkle_anchor_duration_seconds_count") ?? 0;
    if (applied > 0 && anchored > 0) break;
    if (Date.now() > deadline) throw new Error(`metrics never showed work:\n${text.slice(0, 2000)}`);
    await Bun.sleep(100);
  }
  expect(sample(text, 'ledger_projection_lag_seconds{tenant="acme"}')).not.toBeNull();
  expect(sample(text, "ledger_merkle_anchor_failures_total")).toBe(0);
  expect(text).toContain("# TYPE ledger_projection_rebuild_seconds histogram");
  expect(text).toMatch(/^ledger_build_info\{.*version="\d+\.\d+\.\d+".*\} 1$/m);
  expect(text).toContain("process_resident_memory_bytes");
  await s.stop();
}, 60_000);
