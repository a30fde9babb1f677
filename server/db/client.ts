import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything a query can run on: the database or an open transaction. */
export type Executor = Db | Tx;

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Db;
  /** Where the data lives, for the banner (never includes a password). */
  readonly location: string;
  /**
   * Subscribes to a NOTIFY channel; the callback gets the payload. It also runs, without one, after a
   * reconnect, since notifications may have been missed.
   */
  listen(channel: string, onNotify: (payload?: string) => void): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function query<T>(db: Executor, statement: SQL): Promise<T[]> {
  const result = (await db.execute(statement)) as unknown as { rows: T[] };
  return result.rows;
}

export interface OpenOptions {
  databaseUrl?: string | null;
  /** Data directory for PGlite; omitted means in memory (tests). */
  dataDir?: string;
  poolSize?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.poolSize ?? 10) : openPglite(opts.dataDir);
}

export async function migrate(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase<Schema>, { migrationsFolder: MIGRATIONS_FOLDER });
  } else {
    await (database as PostgresDatabase).migrateLocked();
  }
}

/** Another process holds the embedded database directory. */
export class DatabaseLockedError extends Error {}

/** PGlite is one process's database: a lock file stops a second node from opening the same directory. */
function takeDirectoryLock(dir: string): () => void {
  const lockFile = path.join(dir, 'kefu.lock');
  try {
    fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number(fs.readFileSync(lockFile, 'utf8'));
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new DatabaseLockedError(
        `the embedded database in ${dir} is in use by process ${holder}; ` +
          'to run several nodes, point them all at PostgreSQL with DATABASE_URL',
      );
    }
    fs.writeFileSync(lockFile, String(process.pid));
  }
  return () => fs.rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir?: string): Promise<Database> {
  let unlock = () => {};
  let dbDir: string | undefined;
  if (dataDir) {
    fs.mkdirSync(dataDir, { recursive: true });
    unlock = takeDirectoryLock(dataDir);
    dbDir = path.join(dataDir, 'pgdata');
  }
  let client: PGlite;
  try {
    client = await PGlite.create(dbDir ? { dataDir: dbDir } : {});
  } catch (err) {
    unlock();
    throw err;
  }
  const db = drizzlePglite(client, { schema, casing: 'snake_case' }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    location: dbDir ?? 'memory',
    async listen(channel, onNotify) {
      await client.listen(channel, (payload) => onNotify(payload));
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      await client.close();
      unlock();
    },
  };
}

interface PostgresDatabase extends Database {
  migrateLocked(): Promise<void>;
}

const MIGRATION_LOCK = 7_265_626_101; // arbitrary constant shared by all nodes

async function openPostgres(url: string, poolSize: number): Promise<PostgresDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server emits 'error'; the pool replaces it on next use.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema, casing: 'snake_case' }) as unknown as Db;
  const listeners = new Map<string, Array<(payload?: string) => void>>();
  let listenClient: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connectListener = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (msg) => listeners.get(msg.channel)?.forEach((fn) => fn(msg.payload)));
    client.on('error', () => scheduleReconnect());
    client.on('end', () => scheduleReconnect());
    await client.connect();
    for (const channel of listeners.keys()) await client.query(`LISTEN "${channel}"`);
    listenClient = client;
  };
  const scheduleReconnect = () => {
    if (closed || retry) return;
    listenClient = null;
    retry = setTimeout(async () => {
      retry = undefined;
      try {
        await connectListener();
        for (const fns of listeners.values()) fns.forEach((fn) => fn());
      } catch {
        scheduleReconnect();
      }
    }, 1000);
  };

  const safeUrl = new URL(url);
  safeUrl.password = '';
  return {
    kind: 'postgres',
    db,
    location: `${safeUrl.host}${safeUrl.pathname}`,
    async listen(channel, onNotify) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
      const fns = listeners.get(channel) ?? [];
      fns.push(onNotify);
      listeners.set(channel, fns);
      if (!listenClient) await connectListener();
      else if (fns.length === 1) await listenClient.query(`LISTEN "${channel}"`);
    },
    async ping() {
      await pool.query('select 1');
    },
    async migrateLocked() {
      // Several nodes may start at once; one migrates while the others wait.
      const lock = await pool.connect();
      try {
        await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        await migratePg(db as unknown as NodePgDatabase<Schema>, { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
        lock.release();
      }
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = listenClient;
      listenClient = null;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => {});
      }
      await pool.end();
    },
  };
}
