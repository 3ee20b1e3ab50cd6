// RFC 3339 timestamps: strict parsing, normalisation to UTC milliseconds (DESIGN.md section 12, occurredAt).

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export type TimeParse = { ok: true; iso: string; epochMs: number } | { ok: false; message: string };

const daysInMonth = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

/**
 * Parse an RFC 3339 date-time with a mandatory offset; digits past milliseconds are
 * truncated; a leap second is refused (it has no UTC millisecond of its own).
 */
export function parseRfc3339(input: string): TimeParse {
  const m = RFC3339.exec(input);
  if (!m) return { ok: false, message: "must be an RFC 3339 date-time with an offset, e.g. 2026-11-01T10:00:00Z" };
  const [, ys, mos, ds, hs, mis, ss, frac, , sign, ohs, oms] = m;
  const y = Number(ys), mo = Number(mos), d = Number(ds), h = Number(hs), mi = Number(mis), s = Number(ss);
  if (mo < 1 || mo > 12) return { ok: false, message: "month out of range" };
  if (d < 1 || d > daysInMonth(y, mo)) return { ok: false, message: "day out of range" };
  if (h > 23 || mi > 59) return { ok: false, message: "time of day out of range" };
  if (s === 60) return { ok: false, message: "leap seconds are not accepted" };
  if (s > 59) return { ok: false, message: "seconds out of range" };
  let offsetMin = 0;
  if (sign) {
    const oh = Number(ohs), om = Number(oms);
    if (oh > 23 || om > 59) return { ok: false, message: "offset out of range" };
    offsetMin = (sign === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  const epochMs = date.getTime() - offsetMin * 60_000;
  const utcYear = new Date(epochMs).getUTCFullYear();
  if (utcYear < 0 || utcYear > 9999) return { ok: false, message: "year out of range once converted to UTC" };
  return { ok: true, iso: formatUtcMillis(epochMs), epochMs };
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ` (toISOString pads years 0000..9999 to four digits). */
export const formatUtcMillis = (epochMs: number): string => new Date(epochMs).toISOString();
