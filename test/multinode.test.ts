import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sql } from 'drizzle-orm';
import { openDatabase, query, type Database } from '../server/db/client.ts';
import { createPgDatabase, onPostgres } from './support/db.ts';
import { http, kefuEnv, killAll, loginOver, startKefu, waitFor, type Server } from './support/process.ts';

interface Received {
  delivery: string;
  event: string;
  body: { type: string; entity: { type: string; id: string | null } };
}

/** A webhook receiver that can hold its answers, so that jobs stay claimed while we look at them. */
class Receiver {
  readonly received: Received[] = [];
  private held: ServerResponse[] = [];
  private holding = false;
  private server: HttpServer = createServer((req, res) => this.onRequest(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) res.end('ok');
  }

  count(pred: (r: Received) => boolean): number {
    return this.received.filter(pred).length;
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      this.received.push({ delivery: String(req.headers['x-kefu-delivery']), event: String(req.headers['x-kefu-event']), body: JSON.parse(text) });
      if (this.holding) this.held.push(res);
      else res.end('ok');
    });
  }
}

describe.runIf(onPostgres)('acceptance 9: two nodes on one PostgreSQL', () => {
  let drop: () => Promise<void>;
  let database: Database;
  let a: Server;
  let b: Server;
  let tokenA: string;
  let tokenB: string;
  const receiver = new Receiver();

  // Recurring jobs (tier refresh, KPI rollups) always wait for their next run: only what is due counts.
  const jobsInFlight = async () =>
    (await query<{ n: number }>(database.db, sql`select count(*)::int as n from jobs where status in ('pending', 'running') and run_at <= now()`))[0]!.n;

  beforeAll(async () => {
    const pgDb = await createPgDatabase();
    drop = pgDb.drop;
    const env = (node: string) => kefuEnv({ DATABASE_URL: pgDb.url, KEFU_NODE_ID: node, KEFU_JOB_POLL_MS: '200', KEFU_WEBHOOK_TIMEOUT_MS: '60000' });
    // Started together on an empty database: both migrate and load the preset, one after the other.
    [a, b] = await Promise.all([startKefu(env('node-a')), startKefu(env('node-b'))]);
    database = await openDatabase({ databaseUrl: pgDb.url, poolSize: 2 });
    [tokenA, tokenB] = await Promise.all([loginOver(a.url, 'admin', 'kefu-demo'), loginOver(b.url, 'admin', 'kefu-demo')]);
  }, 180_000);

  afterAll(async () => {
    await killAll();
    await receiver.close();
    await database?.close();
    await drop?.();
  });

  it('X1: two nodes started at once on an empty database both come up, with one organisation and one set of demo accounts', async () => {
    for (const node of [a, b]) expect((await http(node.url, 'GET', '/api/health')).body).toMatchObject({ status: 'ok', database: 'postgres' });
    const [org] = await query<{ n: number }>(database.db, sql`select count(*)::int as n from organisation`);
    expect(org!.n).toBe(1);
    const [admins] = await query<{ n: number }>(database.db, sql`select count(*)::int as n from staff where username = 'admin'`);
    expect(admins!.n).toBe(1);
  });

  it('S2/X3: webhook jobs from events on both nodes are run by both nodes, each exactly once; a ping via node A arrives once', { timeout: 180_000 }, async () => {
    const hook = await http(a.url, 'POST', '/api/webhooks', {
      token: tokenA,
      body: { name: 'multi-node receiver', url: await receiver.start(), eventTypes: ['department.created'] },
    });
    expect(hook.status).toBe(201);

    receiver.hold();
    const create = async (node: Server, token: string, prefix: string) => {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const res = await http(node.url, 'POST', '/api/departments', { token, body: { code: `${prefix}_${i}`, name: `部门 ${prefix} ${i}`, kind: 'customer_service' } });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
      return ids;
    };
    const ids = (await Promise.all([create(a, tokenA, 'via_a'), create(b, tokenB, 'via_b')])).flat();

    // While the receiver holds its answers, claimed jobs stay `running` under their node's name:
    // each node claims a batch and waits on it, so the rest can only be taken by the other node.
    const claimers = new Set<string>();
    await waitFor('delivery jobs claimed by both nodes', async () => {
      const rows = await query<{ lockedBy: string }>(database.db, sql`select distinct locked_by as "lockedBy" from jobs where status = 'running'`);
      for (const r of rows) claimers.add(r.lockedBy);
      return claimers.has('node-a') && claimers.has('node-b');
    });
    receiver.release();

    await waitFor('every department.created delivered', () => receiver.count((r) => r.event === 'department.created') >= ids.length);
    await waitFor('no job left to run', async () => (await jobsInFlight()) === 0);

    const created = receiver.received.filter((r) => r.event === 'department.created');
    expect(created).toHaveLength(ids.length);
    expect(new Set(created.map((r) => r.delivery)).size).toBe(ids.length);
    expect(created.map((r) => r.body.entity.id).sort()).toEqual([...ids].sort());

    const ping = await http(a.url, 'POST', `/api/webhooks/${hook.body.id}/pings`, { token: tokenA });
    expect(ping.status).toBe(202);
    await waitFor('the ping delivered', () => receiver.count((r) => r.event === 'webhook.ping') >= 1);
    await waitFor('no job left to run', async () => (await jobsInFlight()) === 0);
    expect(receiver.count((r) => r.event === 'webhook.ping')).toBe(1);
    expect(receiver.received).toHaveLength(ids.length + 1);
  });

  it('X2: an event caused on node A reaches a WebSocket client connected to node B', { timeout: 120_000 }, async () => {
    // The session was opened on node A; sessions live in the database, so node B accepts it.
    const socket = new WebSocket(`${b.url.replace(/^http/, 'ws')}/api/realtime`, { headers: { authorization: `Bearer ${tokenA}` } });
    const frames: Array<{ type: string; event?: string; entity?: { id: string } }> = [];
    socket.on('message', (raw) => frames.push(JSON.parse(String(raw))));
    try {
      await waitFor('the ready frame from node B', () => frames.some((f) => f.type === 'ready'));
      const res = await http(a.url, 'POST', '/api/departments', { token: tokenA, body: { code: 'realtime_dept', name: '实时部门', kind: 'quality' } });
      expect(res.status).toBe(201);
      const frame = await waitFor('department.created on node B', () =>
        frames.find((f) => f.type === 'event' && f.event === 'department.created' && f.entity?.id === res.body.id),
      );
      expect(frame).toBeTruthy();
    } finally {
      socket.close();
    }
  });
});
