// The configuration keys (DESIGN.md section 3), their types and defaults; parsing of one raw value.

export type KeyKind = "string" | "url" | "int" | "bool" | "duration" | "bytes";

export interface KeySpec {
  kind: KeyKind;
  default: string | number | boolean | null;
  secret?: boolean;
  min?: number;
}

/** Key paths are lower-case dotted; env `LEDGER__A__B` and file `{ "A": { "B": … } }` map to `a.b`. */
export const KEYS = {
  "db.connectionstring": { kind: "string", default: null, secret: true },
  "db.poolsize": { kind: "int", default: 10, min: 1 },
  "data.dir": { kind: "string", default: "./ledger-data" },
  "http.url": { kind: "url", default: "http://127.0.0.1:8080" },
  "http.maxbodybytes": { kind: "bytes", default: 1024 * 1024, min: 1024 },
  "http.maxbatchbodybytes": { kind: "bytes", default: 32 * 1024 * 1024, min: 1024 },
  "merkle.anchorinterval": { kind: "duration", default: "00:05:00" },
  "merkle.anchorbatch": { kind: "int", default: 10_000, min: 1 },
  "signing.keyfile": { kind: "string", default: null },
  "signing.keyname": { kind: "string", default: "findings-ledger" },
  "attachments.encryptionkey": { kind: "string", default: null, secret: true },
  "attachments.allowegress": { kind: "bool", default: false },
  "observability.enabled": { kind: "bool", default: true },
  "authority.issuer": { kind: "string", default: null },
  "authority.jwksfile": { kind: "string", default: null },
  "authority.jwksurl": { kind: "url", default: null },
  "authority.audience": { kind: "string", default: null },
  "admin.token": { kind: "string", default: null, secret: true },
  "airgap.stalenessbudget": { kind: "duration", default: "24:00:00" },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof KEYS;

export type ParseResult = { ok: true; value: string | number | boolean } | { ok: false; message: string };

const DURATION = /^(?:(\d+)\.)?(\d{1,3}):([0-5]\d):([0-5]\d)$/;

/** `hh:mm:ss` (or .NET's `d.hh:mm:ss`) to seconds. */
export function parseDuration(s: string): number | null {
  const m = DURATION.exec(s.trim());
  if (!m) return null;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

export function parseValue(spec: KeySpec, raw: unknown): ParseResult {
  switch (spec.kind) {
    case "string":
      if (typeof raw !== "string") return { ok: false, message: "must be a string" };
      return { ok: true, value: raw };
    case "url": {
      if (typeof raw !== "string") return { ok: false, message: "must be a URL string" };
      try {
        const u = new URL(raw);
        if (u.protocol !== "http:" && u.protocol !== "https:") return { ok: false, message: "must be an http:// or https:// URL" };
        return { ok: true, value: raw };
      } catch {
        return { ok: false, message: `is not a valid URL: ${JSON.stringify(raw)}` };
      }
    }
    case "int":
    case "bytes": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) return { ok: false, message: `must be a whole number, got ${JSON.stringify(raw)}` };
      if (spec.min !== undefined && n < spec.min) return { ok: false, message: `must be at least ${spec.min}, got ${n}` };
      return { ok: true, value: n };
    }
    case "bool": {
      if (typeof raw === "boolean") return { ok: true, value: raw };
      const s = typeof raw === "string" ? raw.trim().toLowerCase() : "";
      if (s === "true" || s === "1" || s === "yes") return { ok: true, value: true };
      if (s === "false" || s === "0" || s === "no") return { ok: true, value: false };
      return { ok: false, message: `must be true or false, got ${JSON.stringify(raw)}` };
    }
    case "duration": {
      if (typeof raw !== "string" || parseDuration(raw) === null) return { ok: false, message: `must be a duration hh:mm:ss, got ${JSON.stringify(raw)}` };
      return { ok: true, value: raw.trim() };
    }
  }
}
