// RFC 8785 (JCS) canonical JSON: sorted keys by UTF-16 code units, ECMAScript number form, minimal escapes.

/**
 * Serialise a JSON value canonically. Throws on values JSON cannot carry
 * (non-finite numbers, undefined, functions, bigint, lone surrogates).
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join("");
}

function write(value: unknown, out: string[]): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonical JSON cannot carry a non-finite number");
      // Number.prototype.toString is exactly the RFC 8785 number form; -0 prints as "0".
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "string":
      out.push(quote(value));
      return;
    case "object":
      if (Array.isArray(value)) {
        out.push("[");
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(",");
          write(value[i], out);
        }
        out.push("]");
        return;
      }
      writeObject(value as Record<string, unknown>, out);
      return;
    default:
      throw new TypeError(`canonical JSON cannot carry a ${typeof value}`);
  }
}

function writeObject(obj: Record<string, unknown>, out: string[]): void {
  // Default sort compares UTF-16 code units, which is what RFC 8785 section 3.2.3 asks for.
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  out.push("{");
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out.push(",");
    out.push(quote(key), ":");
    write(obj[key], out);
  }
  out.push("}");
}

const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string as RFC 8785 writes it; throws on a lone surrogate. */
export function quote(s: string): string {
  // Fast path: nothing to escape and no surrogates at all (the common case for ids and hashes).
  if (!NEEDS_CARE.test(s)) return `"${s}"`;
  if (LONE_SURROGATE.test(s)) throw new TypeError("canonical JSON cannot carry a lone surrogate");
  // JSON.stringify escapes exactly ", \, and control characters (\b \f \n \r \t short forms,
  // \u00xx lower-case otherwise), as RFC 8785 section 3.2.2.2 requires.
  return JSON.stringify(s);
}

/** True when the string holds an unpaired UTF-16 surrogate (not valid Unicode). */
export const hasLoneSurrogate = (s: string): boolean => LONE_SURROGATE.test(s);
