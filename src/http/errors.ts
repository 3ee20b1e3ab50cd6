// The one mapping from domain errors to HTTP: status codes and the JSON body {error, message, details}.
import { LedgerError, type LedgerErrorCode } from "../core/errors.ts";

const STATUS: Record<LedgerErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_anchored: 404,
  validation_failed: 422,
  invalid_transition: 409,
  sequence_mismatch: 409,
  idempotency_conflict: 409,
  finding_exists: 409,
  finding_not_found: 409,
  payload_too_large: 413,
  batch_too_large: 413,
  unavailable: 503,
  store_busy: 503,
  migration_failed: 503,
  config_invalid: 500,
  internal: 500,
};

export const statusOf = (code: LedgerErrorCode): number => STATUS[code];

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", ...headers } });
}

export function errorResponse(e: LedgerError): Response {
  const status = statusOf(e.code);
  const headers: Record<string, string> = status === 503 ? { "retry-after": "5" } : {};
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="findings-ledger"';
  const body: Record<string, unknown> = { error: e.code, message: e.message };
  if (e.details !== undefined) body.details = e.details;
  return jsonResponse(status, body, headers);
}
