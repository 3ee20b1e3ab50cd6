// What every route needs from the server, and the tenant/auth check each tenant route runs first.
import type { Config } from "../config/load.ts";
import { LedgerError } from "../core/errors.ts";
import { isTenantId } from "../core/events/validate.ts";
import type { Appender } from "../ledger/appender.ts";
import type { SigningKey } from "../ledger/signing-key.ts";
import type { Logger } from "../observability/logger.ts";
import type { LedgerMetrics } from "../observability/metrics.ts";
import type { AnchorStore } from "../store/anchor-port.ts";
import type { EventStore } from "../store/port.ts";
import { requireScope, type Authenticator, type Principal, type Scope } from "./auth.ts";

export interface WorkerState {
  name: string;
  state: "running" | "stopped" | "disabled" | "failed";
  detail?: string;
}

export interface AppDeps {
  config: Config;
  store: EventStore;
  appender: Appender;
  auth: Authenticator;
  log: Logger;
  /** Names of optional features on in this process, for /status. */
  features: Record<string, boolean>;
  workers: () => WorkerState[];
  /** The checkpoint signing key: GET /v1/ledger/keys lists it, POST /v1/ledger/verify checks signatures with it. */
  signingKey?: SigningKey;
  /** Served on /metrics when present. */
  metrics?: LedgerMetrics;
  /** The anchor store (defaults to the companion of `store`). */
  anchors?: AnchorStore;
}

export const TENANT_HEADER = "x-stella-tenant";

export async function authorize(deps: AppDeps, request: Request, scope: Scope): Promise<{ principal: Principal; tenantId: string }> {
  const principal = await deps.auth.authenticate(request.headers.get("authorization"));
  const tenantId = request.headers.get(TENANT_HEADER);
  if (tenantId === null) throw new LedgerError("bad_request", "missing X-Stella-Tenant header");
  if (!isTenantId(tenantId)) throw new LedgerError("bad_request", "malformed X-Stella-Tenant header: must match ^[a-z0-9][a-z0-9._-]{0,62}$");
  requireScope(principal, scope);
  if (principal.tenant !== null && principal.tenant !== tenantId) throw new LedgerError("forbidden", "the token's tenant claim does not match X-Stella-Tenant");
  return { principal, tenantId };
}

/** `limit` query parameter: default 100, 1..1000, else 400. */
export function pageLimit(raw: string | undefined | null): number {
  if (raw === undefined || raw === null || raw === "") return 100;
  if (!/^\d+$/.test(raw)) throw new LedgerError("bad_request", "limit must be a whole number between 1 and 1000");
  const n = Number(raw);
  if (n < 1 || n > 1000) throw new LedgerError("bad_request", `limit must be between 1 and 1000, got ${raw}`);
  return n;
}

/**
 * A page from rows fetched with `limit + 1`: the first `limit` items, and a cursor at the last of
 * them when there was one more row (null at the end).
 */
export function pageOf<T>(rows: readonly T[], limit: number, positionOf: (last: T) => Record<string, unknown>): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(positionOf(items[items.length - 1]!)) : null };
}

/** Opaque cursors: base64url JSON of the position after which the next page starts. */
export const encodeCursor = (position: Record<string, unknown>): string => Buffer.from(JSON.stringify(position)).toString("base64url");

export function decodeCursor<T extends Record<string, unknown>>(raw: string | undefined | null, check: (v: Record<string, unknown>) => v is T): T | null {
  if (raw === undefined || raw === null || raw === "") return null;
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (v && typeof v === "object" && check(v)) return v;
  } catch {
    // fall through to the 400 below: a cursor that does not decode is the caller's mistake
  }
  throw new LedgerError("bad_request", "malformed cursor; pass back nextCursor exactly as returned");
}
