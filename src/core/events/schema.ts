// A small declarative checker for JSON objects that reports every problem with its path.
import type { FieldProblem } from "../errors.ts";
import { hasLoneSurrogate } from "../canonical/jcs.ts";
import { parseRfc3339 } from "./time.ts";

export type Check = (value: unknown, path: string, problems: FieldProblem[]) => void;

export interface FieldSpec {
  check: Check;
  optional?: boolean;
  nullable?: boolean;
}

const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

export const str =
  (opts: { min?: number; max?: number; pattern?: RegExp; patternHint?: string } = {}): Check =>
  (v, path, problems) => {
    if (typeof v !== "string") return void problems.push({ path, message: `must be a string, got ${kind(v)}` });
    const min = opts.min ?? 1;
    const max = opts.max ?? 4096;
    if (v.length < min) return void problems.push({ path, message: min === 1 ? "must not be empty" : `must have at least ${min} characters` });
    if (v.length > max) return void problems.push({ path, message: `must have at most ${max} characters` });
    if (opts.pattern && !opts.pattern.test(v)) problems.push({ path, message: opts.patternHint ?? `must match ${opts.pattern}` });
  };

export const oneOf =
  (values: readonly string[]): Check =>
  (v, path, problems) => {
    if (typeof v !== "string" || !values.includes(v)) problems.push({ path, message: `must be one of ${values.join(", ")}` });
  };

export const num =
  (opts: { min?: number; max?: number; integer?: boolean } = {}): Check =>
  (v, path, problems) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return void problems.push({ path, message: `must be a finite number, got ${kind(v)}` });
    if (opts.integer && !Number.isInteger(v)) return void problems.push({ path, message: "must be an integer" });
    if (opts.min !== undefined && v < opts.min) problems.push({ path, message: `must be >= ${opts.min}` });
    if (opts.max !== undefined && v > opts.max) problems.push({ path, message: `must be <= ${opts.max}` });
  };

export const time: Check = (v, path, problems) => {
  if (typeof v !== "string") return void problems.push({ path, message: `must be an RFC 3339 date-time string, got ${kind(v)}` });
  const t = parseRfc3339(v);
  if (!t.ok) problems.push({ path, message: t.message });
};

export const anyObject: Check = (v, path, problems) => {
  if (kind(v) !== "object") problems.push({ path, message: `must be an object, got ${kind(v)}` });
};

export const arrayOf =
  (item: Check, opts: { max?: number } = {}): Check =>
  (v, path, problems) => {
    if (!Array.isArray(v)) return void problems.push({ path, message: `must be an array, got ${kind(v)}` });
    const max = opts.max ?? 1000;
    if (v.length > max) return void problems.push({ path, message: `must have at most ${max} items` });
    v.forEach((x, i) => item(x, `${path}[${i}]`, problems));
  };

export const object =
  (fields: Record<string, FieldSpec>): Check =>
  (v, path, problems) => {
    if (kind(v) !== "object") return void problems.push({ path, message: `must be an object, got ${kind(v)}` });
    checkFields(v as Record<string, unknown>, fields, path, problems);
  };

export const req = (check: Check): FieldSpec => ({ check });
export const opt = (check: Check): FieldSpec => ({ check, optional: true });
export const nullable = (check: Check): FieldSpec => ({ check, nullable: true });

/** Check declared fields, refuse unknown ones. Optional fields may be absent or null. */
export function checkFields(obj: Record<string, unknown>, fields: Record<string, FieldSpec>, path: string, problems: FieldProblem[]): void {
  for (const [name, spec] of Object.entries(fields)) {
    const p = path ? `${path}.${name}` : name;
    const value = obj[name];
    if (value === undefined || (value === null && (spec.optional || spec.nullable))) {
      if (value === undefined && !spec.optional) problems.push({ path: p, message: "is required" });
      continue;
    }
    spec.check(value, p, problems);
  }
  for (const name of Object.keys(obj)) {
    if (!Object.hasOwn(fields, name)) problems.push({ path: path ? `${path}.${name}` : name, message: "is not a known field" });
  }
}

const MAX_SAFE = 2 ** 53;

/** Numbers finite and integers within ±2^53; strings (values and keys) valid Unicode. */
export function checkJsonHygiene(v: unknown, path: string, problems: FieldProblem[], depth = 0): void {
  if (depth > 32) return void problems.push({ path, message: "is nested too deeply (max 32 levels)" });
  if (typeof v === "number") {
    if (!Number.isFinite(v)) problems.push({ path, message: "must be a finite number" });
    else if (Number.isInteger(v) && Math.abs(v) > MAX_SAFE) problems.push({ path, message: "integers must lie within ±2^53" });
  } else if (typeof v === "string") {
    if (hasLoneSurrogate(v)) problems.push({ path, message: "must be valid Unicode (lone surrogate)" });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => checkJsonHygiene(x, `${path}[${i}]`, problems, depth + 1));
  } else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (hasLoneSurrogate(k)) problems.push({ path, message: "has a key that is not valid Unicode" });
      checkJsonHygiene(x, `${path}.${k}`, problems, depth + 1);
    }
  }
}
