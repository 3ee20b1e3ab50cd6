// The projection checksum: independent of row order and key order, sensitive to every field and to duplicates.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { canonicalize } from "../../src/core/canonical/jcs.ts";
import type { JsonValue } from "../../src/core/events/types.ts";
import { findingRowHash, PROJECTION_CHECKSUM_DOMAIN, projectionChecksum } from "../../src/core/projection/checksum.ts";
import type { Finding } from "../../src/core/projection/finding.ts";

const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

const base: Finding = {
  findingId: "F-1",
  artifactId: "sha256:0d5e2a1b3c4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
  vulnerabilityId: "CVE-2024-3094",
  component: "pkg:deb/debian/xz-utils@5.6.0-0.2",
  status: "accepted_risk",
  severity: "critical",
  cvssScore: 9.8,
  assignee: "alice@example.com",
  tags: ["backdoor", "supply-chain"],
  justification: null,
  impactStatement: null,
  actionStatement: null,
  acceptedRisk: { reason: "Air-gapped host.", expiresAt: "2030-01-01T00:00:00Z", approvedBy: "ciso@example.com", expired: false },
  remediationPlans: [
    { eventId: "e1", occurredAt: "2024-05-01T10:00:00.000Z", plan: "Pin 5.4.x.", dueAt: null, ticketUrl: "https://jira.example.com/browse/SEC-1" },
  ],
  attachments: [
    {
      eventId: "e2",
      occurredAt: "2024-05-01T11:00:00.000Z",
      attachmentId: "0b6f4a52-1f0e-4c57-9a3e-1d2f3c4b5a69",
      fileName: "strace.txt",
      mediaType: "text/plain",
      sizeBytes: 12345,
      sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
  ],
  attestations: [
    {
      eventId: "e3",
      occurredAt: "2024-05-01T12:00:00.000Z",
      dsseDigest: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
      predicateType: "https://slsa.dev/provenance/v1",
      envelope: null,
      rekor: { logIndex: 74835, logId: "c0d23d6a", integratedTime: 1711000000 },
    },
  ],
  policyVersion: "policy-7",
  createdAt: "2024-05-01T09:00:00.000Z",
  updatedAt: "2024-05-02T09:00:00.000Z",
  lastSequence: 6,
  lastEventHash: "a".repeat(64),
};

const variant = (n: number): Finding => ({
  ...base,
  findingId: `F-${n}`,
  lastEventHash: sha256(`head-${n}`),
  status: n % 2 === 0 ? "open" : base.status,
  acceptedRisk: n % 2 === 0 ? null : base.acceptedRisk,
});

const [a, b, c, d] = [variant(1), variant(2), variant(3), variant(4)];

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** A different value of the same JSON kind, so the row stays a plausible row. */
function mutate(v: JsonValue): JsonValue {
  if (v === null) return "x";
  if (typeof v === "string") return `${v}x`;
  if (typeof v === "number") return v + 1;
  if (typeof v === "boolean") return !v;
  if (Array.isArray(v)) return v.length > 0 ? v.slice(1) : ["x"];
  const [key] = Object.keys(v).sort();
  return key === undefined ? { x: 1 } : { ...v, [key]: mutate(v[key]!) };
}

/** Every path (top-level keys and one level into objects and list entries) with the row changed there. */
function mutations(row: Finding): Array<[string, Finding]> {
  const out: Array<[string, Finding]> = [];
  const json = row as unknown as Record<string, JsonValue>;
  for (const [key, value] of Object.entries(json)) {
    out.push([key, { ...json, [key]: mutate(value) } as unknown as Finding]);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        out.push([`${key}.${inner}`, { ...json, [key]: { ...value, [inner]: mutate(innerValue) } } as unknown as Finding]);
      }
    }
    if (Array.isArray(value) && value[0] !== null && typeof value[0] === "object" && !Array.isArray(value[0])) {
      const first = value[0] as Record<string, JsonValue>;
      for (const [inner, innerValue] of Object.entries(first)) {
        const list = [{ ...first, [inner]: mutate(innerValue) }, ...value.slice(1)];
        out.push([`${key}[0].${inner}`, { ...json, [key]: list } as unknown as Finding]);
      }
    }
  }
  return out;
}

describe("projection checksum", () => {
  test("is the documented formula: sha256(domain, count, sum of row hashes mod 2^256)", () => {
    const rowHashes = [a, b, c].map((r) => sha256(canonicalize(r)));
    expect(rowHashes).toEqual([a, b, c].map(findingRowHash));
    const sum = rowHashes.reduce((s, h) => (s + BigInt(`0x${h}`)) % (1n << 256n), 0n);
    const expected = sha256(`${PROJECTION_CHECKSUM_DOMAIN}\n3\n${sum.toString(16).padStart(64, "0")}`);
    expect(projectionChecksum([a, b, c])).toBe(expected);
    expect(PROJECTION_CHECKSUM_DOMAIN).toBe("findings-ledger/projection-checksum/v1");
  });

  test("the empty projection has a fixed checksum", () => {
    expect(projectionChecksum([])).toBe(sha256(`findings-ledger/projection-checksum/v1\n0\n${"0".repeat(64)}`));
    expect(projectionChecksum([])).toMatch(/^[0-9a-f]{64}$/);
  });

  test("does not depend on row order (every permutation of four rows)", () => {
    const expected = projectionChecksum([a, b, c, d]);
    for (const order of permutations([a, b, c, d])) expect(projectionChecksum(order)).toBe(expected);
  });

  test("accepts any iterable, e.g. a Map's values", () => {
    const rows = new Map([["x", c], ["y", a]]);
    expect(projectionChecksum(rows.values())).toBe(projectionChecksum([a, c]));
  });

  test("does not depend on key order inside a row (RFC 8785)", () => {
    const reversed = Object.fromEntries(Object.entries(a).reverse()) as unknown as Finding;
    expect(projectionChecksum([reversed])).toBe(projectionChecksum([a]));
  });

  test("counts duplicates, where XOR would cancel them", () => {
    const xor = (rows: Finding[]): bigint => rows.reduce((x, r) => x ^ BigInt(`0x${findingRowHash(r)}`), 0n);
    expect(xor([a, a, b])).toBe(xor([b])); // the weakness a sum avoids
    expect(projectionChecksum([a, a, b])).not.toBe(projectionChecksum([b]));
    expect(projectionChecksum([a, a])).not.toBe(projectionChecksum([a]));
    expect(projectionChecksum([a, a])).not.toBe(projectionChecksum([]));
    expect(projectionChecksum([a, b])).not.toBe(projectionChecksum([a, a]));
  });

  test("changes when any field of any row changes", () => {
    const expected = projectionChecksum([a, b, c]);
    const changed = mutations(a);
    expect(changed.length).toBeGreaterThan(30);
    const rows = new Set<string>();
    const sums = new Set<string>();
    for (const [path, row] of changed) {
      const sum = projectionChecksum([row, b, c]);
      expect({ path, changed: sum !== expected }).toEqual({ path, changed: true });
      rows.add(canonicalize(row));
      sums.add(sum);
    }
    // Distinct rows give distinct checksums (two paths can produce the same row, e.g. an object's first key).
    expect(sums.size).toBe(rows.size);
  });

  test("the expired flag is part of the row, so checksums are taken over folded rows, never read-time views", () => {
    const read = { ...a, acceptedRisk: { ...a.acceptedRisk!, expired: true } };
    expect(projectionChecksum([read])).not.toBe(projectionChecksum([a]));
  });

  test("a tag list out of order is a different row: the fold must keep tags sorted", () => {
    const unsorted = { ...a, tags: [...a.tags].reverse() };
    expect(projectionChecksum([unsorted])).not.toBe(projectionChecksum([a]));
  });

  test("golden value for one fixed row (a change here changes every replay report)", () => {
    expect(findingRowHash(base)).toBe(sha256(canonicalize(base)));
    expect(projectionChecksum([base])).toMatchInlineSnapshot(`"33ed73566664b3c44ae5867be2a22869ad098c1342f8c716b55baaa60379a6d0"`);
  });
});
