// Typed reads of validated payload fields for the fold; a wrong type is corrupt input and throws with its path.
import { ValidationError } from "../errors.ts";
import { SEVERITIES, type JsonObject, type JsonValue, type Severity } from "../events/types.ts";

const fail = (key: string, message: string): never => {
  throw new ValidationError([{ path: `payload.${key}`, message }]);
};

export function readString(payload: JsonObject, key: string): string {
  const v = payload[key];
  return typeof v === "string" ? v : fail(key, "must be a string");
}

/** Absent and null both read as null. */
export function readOptionalString(payload: JsonObject, key: string): string | null {
  const v = payload[key];
  if (v === undefined || v === null) return null;
  return typeof v === "string" ? v : fail(key, "must be a string or absent");
}

export function readNumber(payload: JsonObject, key: string): number {
  const v = payload[key];
  return typeof v === "number" && Number.isFinite(v) ? v : fail(key, "must be a finite number");
}

/** undefined when the key is absent (or null), so callers can tell "keep" from "set". */
export function readOptionalNumber(payload: JsonObject, key: string): number | undefined {
  const v = payload[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === "number" && Number.isFinite(v) ? v : fail(key, "must be a finite number or absent");
}

export function readStringList(payload: JsonObject, key: string): string[] {
  const v = payload[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === "string")) {
    return fail(key, "must be an array of strings");
  }
  return v;
}

export function readSeverity(payload: JsonObject, key: string): Severity {
  const v = payload[key];
  return typeof v === "string" && (SEVERITIES as readonly string[]).includes(v)
    ? (v as Severity)
    : fail(key, `must be one of ${SEVERITIES.join(", ")}`);
}

export function readOptionalObject(payload: JsonObject, key: string): JsonObject | null {
  const v = payload[key];
  if (v === undefined || v === null) return null;
  return typeof v === "object" && !Array.isArray(v) ? v : fail(key, "must be an object or absent");
}

/** Any JSON value; absent reads as null. */
export const readOptionalJson = (payload: JsonObject, key: string): JsonValue => payload[key] ?? null;

/** Sorted (default sort: UTF-16 code units, locale-free) and unique. */
export const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();
