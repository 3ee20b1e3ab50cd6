// Who is calling: the local admin token (no Authority configured) yields every scope on every tenant.
import { timingSafeEqual } from "node:crypto";
import { LedgerError } from "../core/errors.ts";

export type Scope = "findings:read" | "findings:write" | "ledger:admin";
export const ALL_SCOPES: readonly Scope[] = ["findings:read", "findings:write", "ledger:admin"];

export interface Principal {
  subject: string;
  scopes: ReadonlySet<Scope>;
  /** The one tenant this caller may act on; null means any (the local admin token). */
  tenant: string | null;
}

export interface Authenticator {
  authenticate(authorization: string | null): Promise<Principal>;
}

const unauthorized = (message: string) => new LedgerError("unauthorized", message);

export function bearerToken(authorization: string | null): string {
  if (!authorization) throw unauthorized("missing bearer token (Authorization: Bearer <token>)");
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw unauthorized("the Authorization header must be 'Bearer <token>'");
  return m[1]!;
}

export function localTokenAuthenticator(token: string): Authenticator {
  const expected = Buffer.from(token, "utf8");
  return {
    async authenticate(authorization) {
      const given = Buffer.from(bearerToken(authorization), "utf8");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw unauthorized("invalid token");
      return { subject: "local-admin", scopes: new Set(ALL_SCOPES), tenant: null };
    },
  };
}

export function requireScope(p: Principal, scope: Scope): void {
  if (!p.scopes.has(scope)) throw new LedgerError("forbidden", `the token lacks the ${scope} scope`);
}
