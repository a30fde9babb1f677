import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';

const root = path.resolve(import.meta.dirname, '..');

export interface Server {
  url: string;
  stop(): Promise<void>;
}

/** Starts a child process and waits until it prints a line matching `ready`. */
function startProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, cleanup: () => void = () => {}): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = out.match(ready);
      if (m) resolve({ child, match: m });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => {
      cleanup();
      reject(new Error(`process exited (${code}) before it was ready:\n${out}`));
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function startRelay(): Promise<Server> {
  const { child, match } = await startProcess(['--import', 'tsx', 'bench/ws-relay.ts'], {}, /listening (\d+)/);
  return { url: `ws://127.0.0.1:${match[1]}`, stop: () => stopProcess(child) };
}

export async function startBaseline(): Promise<Server> {
  const { child, match } = await startProcess(['--import', 'tsx', 'bench/hello-server.ts'], {}, /listening (\d+)/);
  return { url: `http://127.0.0.1:${match[1]}`, stop: () => stopProcess(child) };
}

export function benchDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'kefu-bench-'));
}

/** `dataDir` lets a benchmark fill the embedded database before the server opens it. */
export async function startKefu(databaseUrl: string | null, dataDir: string = benchDataDir()): Promise<Server> {
  const env: NodeJS.ProcessEnv = { PORT: '0', HOST: '127.0.0.1', KEFU_DATA_DIR: dataDir, KEFU_RATE_LIMIT: '0', KEFU_LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl ?? '' };
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  const { child, match } = await startProcess(['bin/kefu.mjs', 'start'], env, /地址 URL\s+(\S+)/, cleanup);
  return {
    url: match[1]!,
    async stop() {
      await stopProcess(child);
      cleanup();
    },
  };
}

/** A fresh database on the local PostgreSQL, or null when there is none. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `kefu_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

export interface Measure {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function measure(name: string, opts: autocannon.Options): Promise<Measure> {
  const r = await autocannon(opts);
  return { name, reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

export function table(rows: Array<Measure & { ratio?: number }>): string {
  const head = '| target | req/s | p50 ms | p99 ms | vs baseline (req/s) | errors / non-2xx |\n|---|---:|---:|---:|---:|---:|';
  const lines = rows.map(
    (r) => `| ${r.name} | ${r.reqPerSec.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.ratio === undefined ? '1.00' : r.ratio.toFixed(3)} | ${r.errors} / ${r.non2xx} |`,
  );
  return [head, ...lines].join('\n');
}

/** A JSON call to the server under test; `token` signs it in. */
export async function json<T>(url: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const { token, ...rest } = init;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...((rest.headers as Record<string, string>) ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { ...rest, headers });
  if (!res.ok) throw new Error(`${rest.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
