import { afterAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { adminUrl, freshDatabase, type FreshDatabase } from "../support/pg.ts";

const opened: postgres.Sql[] = [];
const created: FreshDatabase[] = [];

function connect(url: string): postgres.Sql {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  opened.push(sql);
  return sql;
}

async function userRelations(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'`;
  return row!.n;
}

async function databaseExists(name: string): Promise<boolean> {
  const admin = connect(await adminUrl());
  const rows = await admin`select 1 from pg_database where datname = ${name}`;
  return rows.length === 1;
}

afterAll(async () => {
  await Promise.all(opened.map((sql) => sql.end({ timeout: 5 })));
  for (const db of created) await db.drop();
});

describe("test/support/pg.ts freshDatabase", () => {
  test("creates distinct, empty databases reachable as superuser", async () => {
    const a = await freshDatabase();
    const b = await freshDatabase();
    created.push(a, b);

    expect(a.name).not.toBe(b.name);
    expect(a.url).not.toBe(b.url);
    expect(a.name).toMatch(/^ledger_test_[a-z0-9_]+$/);

    const sqlA = connect(a.url);
    const sqlB = connect(b.url);
    const [ra] = await sqlA`select current_database() as db, current_setting('is_superuser') as su`;
    const [rb] = await sqlB`select current_database() as db`;
    expect(ra!.db).toBe(a.name);
    expect(ra!.su).toBe("on");
    expect(rb!.db).toBe(b.name);

    expect(await userRelations(sqlA)).toBe(0);
    expect(await userRelations(sqlB)).toBe(0);

    // Writes in one are invisible in the other.
    await sqlA`create table only_in_a (id int primary key)`;
    await sqlA`insert into only_in_a values (1)`;
    expect(await userRelations(sqlA)).toBeGreaterThan(0);
    expect(await userRelations(sqlB)).toBe(0);
  });

  test("drop removes the database even with open connections, and is idempotent", async () => {
    const db = await freshDatabase();
    const sql = connect(db.url);
    await sql`select 1`; // hold an open connection
    expect(await databaseExists(db.name)).toBe(true);

    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await db.drop(); // second call is a no-op
  });
});
