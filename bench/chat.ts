/**
 * bench/chat.ts — web chat at scale on one node: simulated customers on /api/chat/ws and agents on
 * /api/realtime, a sustained message rate, and the time from a customer's send to its agent's
 * receipt (p50/p99), beside a bare `ws` relay measured the same way in the same run.
 *
 *   npx tsx bench/chat.ts [--customers 2000] [--agents 50] [--rate 100] [--duration 30] [--pglite]
 *
 * Kefu runs on the local PostgreSQL when it answers (BENCH_DATABASE_URL), else on PGlite.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freshPostgres, json, startKefu, startRelay } from './support.ts';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '2000' },
    agents: { type: 'string', default: '50' },
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '30' },
    pglite: { type: 'boolean', default: false },
  },
});
const CUSTOMERS = Number(values.customers);
const AGENTS = Number(values.agents);
const RATE = Number(values.rate);
const DURATION_S = Number(values.duration);

interface Result {
  target: string;
  sent: number;
  received: number;
  acked: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
}

/** Send times by client id; the agent side takes each out when it arrives. */
class Recorder {
  private readonly started = new Map<string, number>();
  readonly latencies: number[] = [];
  acked = 0;
  sent(clientId: string): void {
    this.started.set(clientId, performance.now());
  }
  received(clientId: unknown): void {
    if (typeof clientId !== 'string') return;
    const t0 = this.started.get(clientId);
    if (t0 === undefined) return;
    this.started.delete(clientId);
    this.latencies.push(performance.now() - t0);
  }
  get outstanding(): number {
    return this.started.size;
  }
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextFrame(ws: WebSocket, want: (f: { type: string; [k: string]: unknown }) => boolean): Promise<{ type: string; [k: string]: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within 60 s')), 60_000);
    const on = (raw: WebSocket.RawData) => {
      const f = JSON.parse(String(raw)) as { type: string };
      if (want(f)) {
        clearTimeout(timer);
        ws.off('message', on);
        resolve(f);
      }
    };
    ws.on('message', on);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends at RATE messages per second, round robin over the customers, then waits for stragglers. */
async function drive(target: string, customers: WebSocket[], rec: Recorder): Promise<Result> {
  let sent = 0;
  const interval = 1000 / RATE;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.floor((performance.now() - start) / interval);
      while (sent < due && performance.now() - start < DURATION_S * 1000) {
        const ws = customers[sent % customers.length]!;
        const clientId = randomUUID();
        rec.sent(clientId);
        ws.send(JSON.stringify({ type: 'message', clientId, body: `您好，我想问一下订单的物流进度（${sent}）` }));
        sent++;
      }
      if (performance.now() - start >= DURATION_S * 1000) resolve();
      else setTimeout(tick, Math.max(1, interval / 2));
    };
    tick();
  });
  const waitUntil = performance.now() + 15_000;
  while (rec.outstanding > 0 && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 50));
  const sorted = [...rec.latencies].sort((a, b) => a - b);
  return { target, sent, received: sorted.length, acked: rec.acked, rate: sorted.length / DURATION_S, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

async function inBatches<T>(n: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, k) => make(i + k)))));
  return out;
}

async function benchRelay(): Promise<Result> {
  const relay = await startRelay();
  const sockets: WebSocket[] = [];
  try {
    const rec = new Recorder();
    for (let a = 0; a < AGENTS; a++) {
      const ws = await open(`${relay.url}/agent?agent=${a}`);
      ws.on('message', (raw) => rec.received((JSON.parse(String(raw)) as { data?: { clientId?: string } }).data?.clientId));
      sockets.push(ws);
    }
    const customers = await inBatches(CUSTOMERS, 100, async (i) => {
      const ws = await open(`${relay.url}/customer?agent=${i % AGENTS}`);
      ws.on('message', () => rec.acked++);
      return ws;
    });
    sockets.push(...customers);
    return await drive('bare ws relay (baseline)', customers, rec);
  } finally {
    for (const s of sockets) s.terminate();
    await relay.stop();
  }
}

async function benchKefu(label: string, databaseUrl: string | null): Promise<Result> {
  const server = await startKefu(databaseUrl);
  const sockets: WebSocket[] = [];
  try {
    const base = server.url;
    const wsBase = base.replace(/^http/, 'ws');
    const login = async (username: string) => (await json<{ token: string }>(`${base}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username, password: 'kefu-demo' }) })).token;
    const admin = await login('admin');
    // Agents: created, put in the chat queue, given room for their share of customers, and online.
    const perAgent = Math.ceil(CUSTOMERS / AGENTS) + 5;
    const agentIds: string[] = [];
    for (let a = 0; a < AGENTS; a++) {
      const s = await json<{ id: string }>(`${base}/api/staff`, { method: 'POST', token: admin, body: JSON.stringify({ username: `bench${a}`, password: 'kefu-demo', displayName: `压测坐席${a}`, role: 'agent' }) });
      agentIds.push(s.id);
    }
    const queues = await json<Array<{ id: string; code: string }>>(`${base}/api/queues`, { token: admin });
    const online = queues.find((q) => q.code === 'online')!;
    await json(`${base}/api/queues/${online.id}`, { method: 'PATCH', token: admin, body: JSON.stringify({ memberIds: agentIds }) });
    const rec = new Recorder();
    for (const [a, id] of agentIds.entries()) {
      const token = await login(`bench${a}`);
      const ws = await open(`${wsBase}/api/realtime`, { authorization: `Bearer ${token}` });
      ws.on('message', (raw) => {
        const f = JSON.parse(String(raw)) as { event?: string; data?: { clientId?: string; author?: string } };
        if (f.event === 'message.created' && f.data?.author === 'customer') rec.received(f.data.clientId);
      });
      sockets.push(ws);
      await json(`${base}/api/agent-states/${id}`, { method: 'PUT', token: admin, body: JSON.stringify({ status: 'online', capacity: { chat: perAgent } }) });
    }
    // Customers: each says hello and opens its conversation (routed to an agent) before the clock starts.
    const customers = await inBatches(CUSTOMERS, 50, async (i) => {
      const ws = await open(`${wsBase}/api/chat/ws`);
      const welcome = nextFrame(ws, (f) => f.type === 'welcome');
      ws.send(JSON.stringify({ type: 'hello', name: `压测客户${i}` }));
      await welcome;
      const clientId = randomUUID();
      const ack = nextFrame(ws, (f) => f.type === 'ack' && f.clientId === clientId);
      ws.send(JSON.stringify({ type: 'message', clientId, body: '您好' }));
      await ack;
      ws.on('message', (raw) => {
        if ((JSON.parse(String(raw)) as { type: string }).type === 'ack') rec.acked++;
      });
      return ws;
    });
    sockets.push(...customers);
    return await drive(`Kefu on ${label}`, customers, rec);
  } finally {
    for (const s of sockets) s.terminate();
    await server.stop();
  }
}

const results: Result[] = [await benchRelay()];
const pgDb = values.pglite ? null : await freshPostgres();
try {
  results.push(await benchKefu(pgDb ? 'PostgreSQL' : 'PGlite', pgDb?.url ?? null));
} finally {
  await pgDb?.drop();
}

const base = results[0]!;
console.log(`\n${CUSTOMERS} customers, ${AGENTS} agents, ${RATE} msg/s offered for ${DURATION_S} s; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
console.log('| target | sent | received by agent | acked | msg/s delivered | p50 ms | p99 ms | max ms | p99 vs baseline |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.target} | ${r.sent} | ${r.received} | ${r.acked} | ${r.rate.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.p99 / base.p99).toFixed(1)}× |`);
}
