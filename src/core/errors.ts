// Typed domain errors with stable snake_case codes; the HTTP and CLI edges map them once.

export interface FieldProblem {
  path: string;
  message: string;
}

export type LedgerErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "not_anchored"
  | "validation_failed"
  | "invalid_transition"
  | "sequence_mismatch"
  | "idempotency_conflict"
  | "finding_exists"
  | "finding_not_found"
  | "payload_too_large"
  | "batch_too_large"
  | "unavailable"
  | "config_invalid"
  | "store_busy"
  | "migration_failed"
  | "internal";

export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly details: unknown;

  constructor(code: LedgerErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "LedgerError";
    this.code = code;
    this.details = details;
  }
}

export class ValidationError extends LedgerError {
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[], message?: string) {
    super(
      "validation_failed",
      message ?? (problems.length === 1 ? `${problems[0]!.path}: ${problems[0]!.message}` : `${problems.length} fields are invalid`),
      problems,
    );
    this.problems = problems;
  }
}

/** A workflow rule refused the event (409). */
export class TransitionError extends LedgerError {
  constructor(current: string, requested: string, message?: string) {
    super("invalid_transition", message ?? `cannot apply ${requested} to a finding in status ${current}`, { current, requested });
  }
}

export const isLedgerError = (e: unknown): e is LedgerError => e instanceof LedgerError;
