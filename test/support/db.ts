import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { migrate, openDatabase, query, type Database } from '../../server/db/client.ts';

export interface TestDatabase {
  database: Database;
  /** PostgreSQL URL of this file's database, when running on PostgreSQL. */
  url: string | null;
  /** Empties every table (the audit log included) between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** A database URL on the same server as TEST_DATABASE_URL, with another database name. */
export function siblingUrl(name: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates an empty database next to TEST_DATABASE_URL; each test file gets its own. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(process.env.TEST_DATABASE_URL!).pathname.slice(1);
  const name = `${base}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  return {
    url: siblingUrl(name),
    async drop() {
      const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

export async function truncateAll(database: Database): Promise<void> {
  const tables = await query<{ tablename: string }>(
    database.db,
    sql`select tablename from pg_tables where schemaname = 'public' and tablename <> 'event_consumers'`,
  );
  if (tables.length === 0) return;
  const statement = sql.raw(`truncate ${tables.map((t) => `"${t.tablename}"`).join(', ')} restart identity cascade`);
  // A bus pass woken by the previous test may hold row locks; if PostgreSQL picks the truncate as
  // the deadlock victim, try again (the pass itself retries when it is the victim).
  for (let attempt = 1; ; attempt++) {
    try {
      await database.db.execute(statement);
      break;
    } catch (err) {
      const code = (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
      if (code !== '40P01' || attempt >= 5) throw err;
    }
  }
  // Consumers keep their rows; an empty outbox restarts from the beginning.
  await database.db.execute(sql`update event_consumers set last_txid = 0, last_id = 0`);
}

/** PGlite in memory by default; a fresh PostgreSQL database when TEST_DATABASE_URL is set. */
export async function openTestDatabase(): Promise<TestDatabase> {
  const pgDb = onPostgres ? await createPgDatabase() : null;
  const database = await openDatabase({ databaseUrl: pgDb?.url ?? null });
  await migrate(database);
  return {
    database,
    url: pgDb?.url ?? null,
    reset: () => truncateAll(database),
    async close() {
      await database.close();
      await pgDb?.drop();
    },
  };
}
