import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, query, type Database } from '../server/db/client.ts';
import { PRESETS, PRESET_NAMES } from '../server/presets/index.ts';
import { DEMO_USERNAMES } from '../server/presets/types.ts';
import { createPgDatabase, onPostgres } from './support/db.ts';
import { http, kefuEnv, killAll, removeTempDirs, runKefu, snapshotTables, startKefu, tempDataDir } from './support/process.ts';

const VERSION = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const SLOW = 180_000;

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

/** Where one CLI scenario keeps its data: a fresh embedded data dir, or a fresh PostgreSQL database. */
interface Target {
  kind: 'pglite' | 'postgres';
  env(vars?: Record<string, string>): NodeJS.ProcessEnv;
  open(): Promise<Database>;
  /** True once the CLI has created anything there. */
  touched(): Promise<boolean>;
  drop(): Promise<void>;
}

function pgliteTarget(): Target {
  const dir = tempDataDir();
  return {
    kind: 'pglite',
    env: (vars = {}) => kefuEnv({ KEFU_DATA_DIR: dir, ...vars }),
    open: () => openDatabase({ dataDir: dir }),
    touched: async () => fs.existsSync(path.join(dir, 'pgdata')),
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresTarget(): Promise<Target> {
  const pgDb = await createPgDatabase();
  const open = () => openDatabase({ databaseUrl: pgDb.url, poolSize: 2 });
  return {
    kind: 'postgres',
    env: (vars = {}) => kefuEnv({ DATABASE_URL: pgDb.url, ...vars }),
    open,
    async touched() {
      const database = await open();
      try {
        const rows = await query<{ n: number }>(database.db, sql`select count(*)::int as n from pg_tables where schemaname = 'public'`);
        return rows[0]!.n > 0;
      } finally {
        await database.close();
      }
    },
    drop: () => pgDb.drop(),
  };
}

async function inspect<T>(target: Target, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await target.open();
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

/** Acceptance 1: the first start loads call-center with demo data and says how to sign in. */
async function firstStart(target: Target): Promise<void> {
  const server = await startKefu(target.env());
  const banner = server.stdout();
  expect(banner).toContain(server.url);
  expect(banner).toMatch(/演示账号 Demo accounts/);
  expect(banner).toMatch(/仅供体验/);
  for (const username of DEMO_USERNAMES) expect(banner).toMatch(new RegExp(`^\\s+${username}\\s`, 'm'));
  expect(banner).toMatch(/password: kefu-demo/);
  expect(banner).toMatch(/call-center/);

  const health = await http(server.url, 'GET', '/api/health');
  expect(health).toEqual({ status: 200, body: { status: 'ok', database: target.kind, version: VERSION } });
  for (const username of ['agent1', 'partner1']) {
    const login = await http(server.url, 'POST', '/api/auth/login', { body: { username, password: 'kefu-demo' } });
    expect(login.status).toBe(200);
    expect(login.body.user.username).toBe(username);
  }
  const exit = await server.kill('SIGTERM');
  expect(exit.code).toBe(0);
}

/** Acceptance 7: init loads a preset once; a second run and another preset change nothing. */
async function initTwice(target: Target): Promise<void> {
  const first = await runKefu(['init', '--preset', 'consumer-electronics'], target.env());
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toMatch(/已加载预设 consumer-electronics/);

  const expected = PRESETS['consumer-electronics']!.policy.organisation.departments.map((d) => d.code).sort();
  const before = await inspect(target, async (database) => {
    const depts = await query<{ code: string }>(database.db, sql`select code from departments order by code`);
    expect(depts.map((d) => d.code)).toEqual(expected);
    const [org] = await query<{ preset: string; demo: boolean }>(database.db, sql`select preset, demo from organisation`);
    expect(org).toEqual({ preset: 'consumer-electronics', demo: true });
    return snapshotTables(database.db);
  });
  expect(before.audit_log!.rows).toBeGreaterThan(0);

  const second = await runKefu(['init', '--preset', 'consumer-electronics'], target.env());
  expect(second.code, second.stderr).toBe(0);
  expect(second.stdout).toMatch(/无需变更|Nothing to do/);
  expect(await inspect(target, (database) => snapshotTables(database.db))).toEqual(before);

  const other = await runKefu(['init', '--preset', 'short-drama'], target.env());
  expect(other.code).not.toBe(0);
  expect(other.stderr).toMatch(/preset\.already_initialised/);
  expect(other.stderr).toMatch(/consumer-electronics/);
  noStackTrace(other.stderr);
  expect(await inspect(target, (database) => snapshotTables(database.db))).toEqual(before);
}

async function unknownPreset(target: Target): Promise<void> {
  const res = await runKefu(['init', '--preset', 'call-centre'], target.env());
  expect(res.code).not.toBe(0);
  expect(res.stderr).toMatch(/call-centre/);
  for (const name of PRESET_NAMES) expect(res.stderr).toContain(name);
  noStackTrace(res.stderr);
  // A typo does not leave a half-made database behind.
  expect(await target.touched()).toBe(false);
}

describe('acceptance 1: kefu start on embedded PGlite', () => {
  it('X1: the first start prints the URL, one demo login per role and the password; the URL answers /api/health', { timeout: SLOW }, async () => {
    await firstStart(pgliteTarget());
  });

  it('X1: a second start on the same data directory is refused while the first runs', { timeout: SLOW }, async () => {
    const target = pgliteTarget();
    const first = await startKefu(target.env());
    const second = await runKefu(['start'], target.env());
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use/);
    noStackTrace(second.stderr);
    // The first node is unharmed.
    expect((await http(first.url, 'GET', '/api/health')).status).toBe(200);
    expect((await first.kill('SIGTERM')).code).toBe(0);
    // A clean shutdown hands the directory on.
    const third = await startKefu(target.env());
    expect((await http(third.url, 'GET', '/api/health')).status).toBe(200);
    await third.kill('SIGTERM');
  });

  it('O5: KEFU_DEMO_PASSWORD sets the demo password, and a later start without it does not claim kefu-demo', { timeout: SLOW }, async () => {
    const target = pgliteTarget();
    const password = 'Demo-Pa55-word';
    const first = await startKefu(target.env({ KEFU_DEMO_PASSWORD: password }));
    expect(first.stdout()).toContain(`password: ${password}`);
    expect(first.stdout()).not.toContain('kefu-demo');
    const ok = await http(first.url, 'POST', '/api/auth/login', { body: { username: 'manager1', password } });
    expect(ok.status).toBe(200);
    const old = await http(first.url, 'POST', '/api/auth/login', { body: { username: 'agent1', password: 'kefu-demo' } });
    expect(old.status).toBe(401);
    expect((await first.kill('SIGTERM')).code).toBe(0);

    const later = await startKefu(target.env());
    expect(later.stdout()).toMatch(/演示账号 Demo accounts/);
    expect(later.stdout()).not.toContain('kefu-demo');
    expect(later.stdout()).toMatch(/KEFU_DEMO_PASSWORD/);
    expect((await http(later.url, 'POST', '/api/auth/login', { body: { username: 'qa1', password } })).status).toBe(200);
    await later.kill('SIGTERM');
  });

  it('O5: KEFU_DEMO=false creates only admin, with a generated password shown once that signs in', { timeout: SLOW }, async () => {
    const target = pgliteTarget();
    const first = await startKefu(target.env({ KEFU_DEMO: 'false' }));
    const out = first.stdout();
    expect(out).not.toMatch(/Demo accounts|演示账号/);
    for (const username of DEMO_USERNAMES.filter((u) => u !== 'admin')) expect(out).not.toMatch(new RegExp(`\\b${username}\\b`));
    const generated = /admin 的初始密码[^：]*：(\S+)/.exec(out)?.[1];
    expect(generated).toBeTruthy();
    const login = await http(first.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: generated } });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('admin');
    expect((await http(first.url, 'POST', '/api/auth/login', { body: { username: 'agent1', password: 'kefu-demo' } })).status).toBe(401);
    expect((await http(first.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'kefu-demo' } })).status).toBe(401);
    await first.kill('SIGTERM');

    const later = await startKefu(target.env({ KEFU_DEMO: 'false' }));
    expect(later.stdout()).not.toContain(generated!);
    await later.kill('SIGTERM');
  });

  it('O5: KEFU_DEMO=false with KEFU_ADMIN_PASSWORD uses that password and prints none', { timeout: SLOW }, async () => {
    const target = pgliteTarget();
    const server = await startKefu(target.env({ KEFU_DEMO: 'false', KEFU_ADMIN_PASSWORD: 'Admin-chosen-1' }));
    expect(server.stdout()).not.toMatch(/初始密码|Admin-chosen-1/);
    expect((await http(server.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'Admin-chosen-1' } })).status).toBe(200);
    await server.kill('SIGTERM');
  });
});

describe('acceptance 7 / PR1: kefu init and kefu presets on embedded PGlite', () => {
  it('PR1: init --preset consumer-electronics loads it; a second run changes nothing and says so; another preset is refused', { timeout: SLOW }, async () => {
    await initTwice(pgliteTarget());
  });

  it('PR1: an unknown preset fails, lists the five presets and creates no database', { timeout: SLOW }, async () => {
    await unknownPreset(pgliteTarget());
  });

  it('PR1: kefu presets lists the five presets with their seeds', async () => {
    const res = await runKefu(['presets'], kefuEnv());
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    PRESET_NAMES.forEach((name, i) => {
      expect(lines[i]).toMatch(new RegExp(`^${name}\\s+${PRESETS[name]!.seed}\\s`));
    });
  });

  it('init without --preset and unknown commands or options fail with the usage', async () => {
    const env = kefuEnv({ KEFU_DATA_DIR: tempDataDir() });
    for (const args of [['init'], ['frobnicate'], ['init', '--preset-name', 'ecommerce'], ['start', 'now']]) {
      const res = await runKefu(args, env);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr).toMatch(args[0] === 'init' && args.length === 1 ? /--preset NAME/ : /用法 Usage/);
      noStackTrace(res.stderr);
    }
  });
});

describe('configuration errors', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['KEFU_SESSION_TTL_HOURS', '0'],
    ['KEFU_SESSION_TTL_HOURS', 'twelve'],
    ['KEFU_SESSION_TTL_HOURS', '1e9'],
    ['KEFU_DEMO', 'maybe'],
    ['KEFU_JOB_POLL_MS', '99999999999'],
    ['KEFU_PUBLIC_URL', 'localhost:3000'],
    ['KEFU_DEMO_PASSWORD', 'short'],
    ['KEFU_LOG_LEVEL', 'loud'],
  ])('%s=%s stops the CLI with exit 1 and a one-line reason, not a stack trace', async (name, value) => {
    const dir = tempDataDir();
    const res = await runKefu(['start'], kefuEnv({ KEFU_DATA_DIR: dir, [name]: value }));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(name);
    noStackTrace(res.stderr);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('KEFU_PRESET naming no preset stops start before a database is created', async () => {
    const dir = tempDataDir();
    const res = await runKefu(['start'], kefuEnv({ KEFU_DATA_DIR: dir, KEFU_PRESET: 'callcenter' }));
    expect(res.code).toBe(1);
    for (const name of PRESET_NAMES) expect(res.stderr).toContain(name);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('an unreachable DATABASE_URL is reported in one line', async () => {
    const res = await runKefu(['migrate'], kefuEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/kefu' }));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/DATABASE_URL/);
    noStackTrace(res.stderr);
  });

  it('a port already in use is reported in one line', { timeout: SLOW }, async () => {
    const first = await startKefu(pgliteTarget().env());
    const port = new URL(first.url).port;
    const res = await runKefu(['start'], pgliteTarget().env({ PORT: port }));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PORT/);
    expect(res.stderr).toMatch(/EADDRINUSE/);
    noStackTrace(res.stderr);
    await first.kill('SIGTERM');
  });
});

describe.runIf(onPostgres)('the CLI on PostgreSQL (DATABASE_URL)', () => {
  it('X1: the first start prints the URL and the demo logins; /api/health says postgres', { timeout: SLOW }, async () => {
    const target = await postgresTarget();
    try {
      await firstStart(target);
    } finally {
      await target.drop();
    }
  });

  it('PR1: init twice changes nothing; another preset is refused; an unknown one creates nothing', { timeout: SLOW }, async () => {
    const fresh = await postgresTarget();
    try {
      await unknownPreset(fresh);
      await initTwice(fresh);
    } finally {
      await fresh.drop();
    }
  });
});
