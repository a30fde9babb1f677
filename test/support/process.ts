import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { query, type Executor } from '../../server/db/client.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'kefu.mjs');

/** Guards against a hung child; never a way of waiting for behaviour. */
const GUARD_MS = 90_000;

/**
 * The environment of a child `kefu`: the test runner's own KEFU_* / DATABASE_URL / PORT never
 * leak in, the port is picked by the OS and logs stay quiet.
 */
export function kefuEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('KEFU_') || k === 'DATABASE_URL' || k === 'PORT' || k === 'HOST') continue;
    env[k] = v;
  }
  return { ...env, PORT: '0', KEFU_LOG_LEVEL: 'warn', ...vars };
}

/** A fresh data directory for an embedded database; removed by `removeTempDirs()`. */
const tempDirs: string[] = [];
export function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-test-'));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Polls `check` until it returns something other than undefined/false; the timeout only guards against a hang. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = GUARD_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface KefuProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  hasExited(): boolean;
  kill(signal?: NodeJS.Signals): Promise<Exit>;
}

const running = new Set<KefuProcess>();

export function spawnKefu(args: string[], env: NodeJS.ProcessEnv): KefuProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const p: KefuProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => done,
    async kill(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
  running.add(p);
  void exited.then(() => running.delete(p));
  return p;
}

/** Kills every child still running (afterAll / finally). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')));
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a one-shot command (`init`, `presets`, …) to its end. */
export async function runKefu(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const p = spawnKefu(args, env);
  const guard = setTimeout(() => p.child.kill('SIGKILL'), GUARD_MS);
  const exit = await p.exited;
  clearTimeout(guard);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

export interface Server extends KefuProcess {
  /** The URL the banner printed. */
  url: string;
}

/** Starts `kefu start` and waits for its banner; fails with the child's output if it exits first. */
export async function startKefu(env: NodeJS.ProcessEnv): Promise<Server> {
  const p = spawnKefu(['start'], env);
  try {
    const url = await waitFor('the start-up banner', () => {
      if (p.hasExited()) throw new Error(`kefu start exited early:\n${p.stdout()}\n${p.stderr()}`);
      return /URL\s+(http:\/\/\S+)/.exec(p.stdout())?.[1];
    });
    return { ...p, url };
  } catch (err) {
    await p.kill('SIGKILL');
    throw err;
  }
}

export interface HttpReply<T = any> {
  status: number;
  body: T;
}

/** A JSON call over real HTTP. */
export async function http<T = any>(base: string, method: string, url: string, opts: { token?: string; body?: unknown } = {}): Promise<HttpReply<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T };
}

export async function loginOver(base: string, username: string, password: string): Promise<string> {
  const res = await http(base, 'POST', '/api/auth/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

export interface TableState {
  rows: number;
  /** md5 over every row's text: any insert, update or delete changes it. */
  digest: string;
}

/** The content of every table in the public schema, to prove a request changed nothing. */
export async function snapshotTables(db: Executor): Promise<Record<string, TableState>> {
  const tables = await query<{ tablename: string }>(db, sql`select tablename from pg_tables where schemaname = 'public' order by tablename`);
  const out: Record<string, TableState> = {};
  for (const { tablename } of tables) {
    const [r] = await query<{ rows: number; digest: string }>(
      db,
      sql.raw(`select count(*)::int as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest from "${tablename}" t`),
    );
    out[tablename] = r!;
  }
  return out;
}
