// Pure comparison of embedded migrations with the applied ones: what is pending, what was tampered with.
import type { Migration } from "./files.ts";

export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  appliedAt: string;
}

export interface MigrationPlan {
  applied: AppliedMigration[];
  pending: Migration[];
  /** Applied migrations whose embedded file now differs, or that this binary does not know. */
  problems: string[];
}

export function planMigrations(embedded: readonly Migration[], applied: AppliedMigration[]): MigrationPlan {
  const problems: string[] = [];
  const byVersion = new Map(embedded.map((m) => [m.version, m]));
  for (const a of applied) {
    const m = byVersion.get(a.version);
    if (!m) problems.push(`migration ${a.version}_${a.name} is applied but unknown to this binary (a newer release applied it?)`);
    else if (m.checksum !== a.checksum)
      problems.push(`migration ${a.version}_${a.name} was changed after it was applied (checksum ${a.checksum.slice(0, 12)} applied, ${m.checksum.slice(0, 12)} embedded)`);
  }
  const done = new Set(applied.map((a) => a.version));
  return { applied, pending: embedded.filter((m) => !done.has(m.version)), problems };
}
