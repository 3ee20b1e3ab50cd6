// The projector's pure parts: the batch fold, the stored row shape, the streaming checksum and the findings filter parser.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { chainIdOf, linkEvent } from "../../src/core/chain/link.ts";
import { LedgerError } from "../../src/core/errors.ts";
import { ZERO_HASH } from "../../src/core/events/types.ts";
import { validateEvent } from "../../src/core/events/validate.ts";
import { findingRowHash, projectionChecksum } from "../../src/core/projection/checksum.ts";
import type { Finding } from "../../src/core/projection/finding.ts";
import { foldEvents } from "../../src/core/projection/fold.ts";
import { parseFindingFilter } from "../../src/http/routes/findings.ts";
import type { ProjectedEvent } from "../../src/store/projection-port.ts";
import { ChecksumAccumulator, findingTuple } from "../../src/store/projection-rows.ts";
import { foldInto } from "../../src/workers/projector.ts";

const TENANT = "acme";
const heads = new Map<string, ProjectedEvent>();

/** Link one event onto its chain head (module-level heads: each test uses its own finding ids). */
function ev(body: Record<string, unknown>): ProjectedEvent {
  const { draft } = validateEvent({ eventId: crypto.randomUUID(), actor: { id: "alice@example.com", type: "operator" }, occurredAt: "2026-05-01T10:00:00Z", ...body });
  const chainId = chainIdOf(TENANT, draft);
  const head = heads.get(chainId);
  const e = { ...linkEvent(TENANT, chainId, (head?.sequence ?? 0) + 1, head?.eventHash ?? ZERO_HASH, draft), recordedAtUs: 1 };
  heads.set(chainId, e);
  return e;
}
const created = (findingId: string, extra: Record<string, unknown> = {}) =>
  ev({ eventType: "finding.created", findingId, artifactId: "sha256:aa", payload: { vulnerabilityId: "CVE-1", severity: "high", cvssScore: 7.1, ...extra } });
const note = (findingId: string) => ev({ eventType: "finding.comment_added", findingId, payload: { comment: "x" } });
const risk = (findingId: string) => ev({ eventType: "finding.accepted_risk", findingId, payload: { reason: "r", expiresAt: "2026-06-01T02:00:00+02:00" } });

describe("foldInto", () => {
  test("folds interleaved chains onto the current rows, skips non-finding events, returns only changed rows", () => {
    const [a1, b1] = [created("u-a"), created("u-b")];
    const start = foldEvents([a1, b1]);
    const current = new Map([...start.values()].map((f) => [f.findingId, f]));
    const untouched = created("u-c");
    const batch = [note("u-a"), ev({ eventType: "airgap.time_anchor_updated", payload: { anchorTime: "2026-05-01T00:00:00Z", source: "s" } }), risk("u-b"), note("u-a")];
    const changed = foldInto(current, batch);
    expect([...changed.keys()].sort()).toEqual(["u-a", "u-b"]);
    expect(changed.get("u-a")!.lastSequence).toBe(3);
    expect(changed.get("u-b")!.status).toBe("accepted_risk");
    const all = foldEvents([a1, b1, untouched, ...batch]);
    expect(changed.get("u-a")).toEqual([...all.values()].find((f) => f.findingId === "u-a")!);
    expect(current.get("u-a")!.lastSequence).toBe(1); // inputs are not mutated
  });

  test("an event applied twice, or one missing, is refused loudly", () => {
    const c = created("u-d");
    const n2 = note("u-d");
    const n3 = note("u-d");
    const row = foldInto(new Map(), [c, n2]).get("u-d")!;
    const refusal = (events: ProjectedEvent[]) => {
      try {
        foldInto(new Map([["u-d", row]]), events);
      } catch (e) {
        return e as LedgerError;
      }
      throw new Error("expected a refusal");
    };
    expect(refusal([n2]).details).toEqual({ expected: 3, actual: 2 });
    expect(refusal([note("u-d")]).code).toBe("sequence_mismatch"); // sequence 4 with 3 missing
    expect(foldInto(new Map([["u-d", row]]), [n3]).get("u-d")!.lastSequence).toBe(3);
  });
});

describe("stored rows", () => {
  test("findingTuple: filter columns, canonical JSON and the row hash the checksum sums", () => {
    const row = foldInto(new Map(), [created("u-e", { tags: ["b", "a"] }), risk("u-e")]).get("u-e")!;
    const [findingId, status, severity, cvss, policy, artifact, vuln, assignee, updatedMs, riskMs, seq, rowHash, json] = findingTuple(row);
    expect([findingId, status, severity, cvss, policy, artifact, vuln, assignee, seq]).toEqual(["u-e", "accepted_risk", "high", 7.1, null, "sha256:aa", "CVE-1", null, 2]);
    expect(updatedMs).toBe(Date.parse("2026-05-01T10:00:00Z"));
    expect(riskMs).toBe(Date.parse("2026-06-01T00:00:00Z"));
    expect(rowHash).toBe(findingRowHash(row));
    expect(JSON.parse(json)).toEqual(row);
    const open = foldInto(new Map([["u-e", row]]), [ev({ eventType: "finding.status_changed", findingId: "u-e", payload: { status: "open" } })]).get("u-e")!;
    expect(findingTuple(open)[9]).toBeNull();
  });

  test("ChecksumAccumulator over stored row hashes equals projectionChecksum over the rows (any order, duplicates kept)", () => {
    const rowArb = fc.record({ id: fc.string({ minLength: 1, maxLength: 12 }), seq: fc.integer({ min: 1, max: 50 }), sev: fc.constantFrom("critical", "low") });
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 30 }), (specs) => {
        const rows = specs.map((s) => ({ ...foldInto(new Map(), [created(`prop-${crypto.randomUUID()}`)]).values().next().value!, findingId: s.id, lastSequence: s.seq, severity: s.sev }) as Finding);
        const acc = new ChecksumAccumulator();
        for (const r of [...rows].reverse()) acc.add(findingTuple(r)[11]);
        expect(acc.findings).toBe(rows.length);
        expect(acc.digest()).toBe(projectionChecksum(rows));
      }),
      { numRuns: 60 },
    );
  });
});

describe("parseFindingFilter", () => {
  const parse = (q: string) => parseFindingFilter(new URLSearchParams(q));
  test("every filter, comma lists and repeats merged", () => {
    expect(parse("status=open,closed&status=fixed&severity=low&minCvss=0&maxCvss=10&policyVersion=p&artifactId=sha256:aa&vulnerabilityId=CVE-1&assignee=a@b&updatedSince=2026-01-01T01:00:00%2B01:00&limit=5&cursor=x")).toEqual({
      statuses: ["open", "closed", "fixed"], severities: ["low"], minCvss: 0, maxCvss: 10, policyVersion: "p", artifactId: "sha256:aa",
      vulnerabilityId: "CVE-1", assignee: "a@b", updatedSinceMs: Date.parse("2026-01-01T00:00:00Z"),
    });
    expect(parse("")).toMatchObject({ statuses: null, severities: null, minCvss: null, updatedSinceMs: null });
  });

  test.each([
    ["status=Open", "status"], ["severity=", "severity"], ["minCvss=-1", "minCvss"], ["maxCvss=1e1", "maxCvss"], ["minCvss=9&maxCvss=1", "above"],
    ["updatedSince=2026-01-01T00:00:00", "updatedSince"], ["assignee=", "assignee"], ["artifactId=" + "a".repeat(513), "artifactId"],
    ["vulnerabilityId=a&vulnerabilityId=b", "once"], ["tag=kev", "unknown query parameter"],
  ])("%p is a bad_request naming %p", (q, word) => {
    try {
      parse(q);
      throw new Error("expected a refusal");
    } catch (e) {
      expect((e as LedgerError).code).toBe("bad_request");
      expect((e as LedgerError).message).toContain(word);
    }
  });
});
