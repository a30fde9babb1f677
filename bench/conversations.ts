/**
 * bench/conversations.ts — the conversation hot paths with 100k conversations in the table:
 * create a conversation (customer's first message, routing), add an agent reply, and a filtered
 * cursor listing (first page and a deep page), against a bare Fastify hello-world in the same run.
 *
 *   npx tsx bench/conversations.ts [--rows 100000] [--duration 10] [--connections 20] [--pglite-only|--postgres-only]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { migrate, openDatabase } from '../server/db/client.ts';
import { newId } from '../server/db/columns.ts';
import { conversations, customers, messages, queues, staff } from '../server/db/schema.ts';
import { systemClock } from '../server/platform/clock.ts';
import { initOrganisation } from '../server/presets/load.ts';
import { benchDataDir, freshPostgres, json, measure, startBaseline, startKefu, table, type Measure, type Server } from './support.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
    'pglite-only': { type: 'boolean', default: false },
    'postgres-only': { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const duration = Number(values.duration);
const connections = Number(values.connections);

const CHANNELS = ['chat', 'chat', 'chat', 'email', 'phone', 'form'];
const STATUSES = ['closed', 'closed', 'closed', 'closed', 'resolved', 'open', 'pending_customer', 'new'];

/** Loads the preset and `rows` conversations (one customer message each) straight into the database. */
async function seed(target: { dataDir?: string; databaseUrl?: string }): Promise<void> {
  const database = await openDatabase(target);
  try {
    await migrate(database);
    await initOrganisation(database.db, systemClock, { preset: 'call-center', demo: true, demoPassword: 'kefu-demo', adminPassword: null });
    const db = database.db;
    const agents = (await db.select({ id: staff.id, role: staff.role, teamId: staff.teamId }).from(staff)).filter((s) => s.role === 'agent' || s.role === 'team_lead');
    const queueIds = (await db.select({ id: queues.id }).from(queues)).map((q) => q.id);
    const start = Date.now() - 90 * 86_400_000;
    const customerIds: string[] = [];
    const now = new Date();
    for (let i = 0; i < 2000; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, k) => ({
        id: newId(),
        kind: 'person',
        name: `客户${i + k}`,
        phones: [`138${String(10_000_000 + i + k).slice(-8)}`],
        emails: [],
        addresses: [],
        tags: [],
        createdAt: now,
        updatedAt: now,
      }));
      customerIds.push(...batch.map((c) => c.id));
      await db.insert(customers).values(batch);
    }
    const BATCH = 2000;
    for (let i = 0; i < rows; i += BATCH) {
      const convs = Array.from({ length: Math.min(BATCH, rows - i) }, (_, k) => {
        const n = i + k;
        const at = new Date(start + Math.floor((n / rows) * 90 * 86_400_000));
        const status = STATUSES[n % STATUSES.length]!;
        const agent = status === 'new' ? null : agents[n % agents.length]!;
        return {
          id: newId(),
          channel: CHANNELS[n % CHANNELS.length]!,
          status,
          priority: n % 10 === 0 ? 'high' : 'normal',
          subject: `咨询 ${n}`,
          customerId: customerIds[n % customerIds.length]!,
          queueId: queueIds[n % queueIds.length]!,
          assigneeId: agent?.id ?? null,
          teamId: agent?.teamId ?? null,
          tags: n % 7 === 0 ? ['售后'] : [],
          supportLevel: 1,
          intake: {},
          leftMessage: false,
          reopenCount: 0,
          handlingMs: 120_000,
          createdAt: at,
          updatedAt: at,
        };
      });
      await db.insert(conversations).values(convs);
      await db.insert(messages).values(convs.map((c) => ({ id: newId(), conversationId: c.id, author: 'customer', body: '您好，我想咨询一下订单的发货时间。', createdAt: c.createdAt })));
    }
    await db.execute('analyze');
  } finally {
    await database.close();
  }
}

async function benchKefu(label: string, server: Server, baseline: Measure): Promise<Measure[]> {
  const { token } = await json<{ token: string }>(`${server.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'kefu-demo' }) });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const page = await json<{ data: Array<{ id: string; customerId: string }> }>(`${server.url}/api/conversations?status=open&limit=200`, { headers });
  const open = page.data.map((c) => c.id);
  const customerIds = page.data.map((c) => c.customerId);
  // A cursor some way into the filtered list: the listing must stay fast on deep pages too.
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const next: { nextCursor: string | null } = await json(`${server.url}/api/conversations?status=open&status=new&channel=chat&limit=50${cursor ? `&cursor=${cursor}` : ''}`, { headers });
    cursor = next.nextCursor ?? cursor;
  }
  let n = 0;
  const results = [
    await measure(`${label}: POST /api/conversations`, {
      url: `${server.url}/api/conversations`,
      method: 'POST',
      connections,
      duration,
      headers,
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ channel: 'chat', customerId: customerIds[++n % customerIds.length], message: { body: `您好，第 ${n} 次咨询` } }) }) }],
    }),
    await measure(`${label}: POST /api/conversations/:id/messages`, {
      url: `${server.url}/api/conversations`,
      method: 'POST',
      connections,
      duration,
      headers,
      requests: [{ setupRequest: (req) => ({ ...req, path: `/api/conversations/${open[++n % open.length]}/messages`, body: JSON.stringify({ body: `您好，正在为您查询（${n}）`, internal: n % 2 === 0 }) }) }],
    }),
    await measure(`${label}: GET /api/conversations (status+channel, page 1)`, { url: `${server.url}/api/conversations?status=open&status=new&channel=chat&limit=50`, connections, duration, headers }),
    await measure(`${label}: GET /api/conversations (page 21 by cursor)`, { url: `${server.url}/api/conversations?status=open&status=new&channel=chat&limit=50&cursor=${cursor}`, connections, duration, headers }),
  ];
  return results.map((m) => ({ ...m, ratio: m.reqPerSec / baseline.reqPerSec }));
}

const baselineServer = await startBaseline();
const out: Measure[] = [];
try {
  const baseline = await measure('Fastify hello-world (baseline)', { url: baselineServer.url, connections, duration });
  out.push(baseline);

  if (!values['postgres-only']) {
    const dataDir = benchDataDir();
    await seed({ dataDir });
    const lite = await startKefu(null, dataDir);
    try {
      out.push(...(await benchKefu(`PGlite ${rows}`, lite, baseline)));
    } finally {
      await lite.stop();
    }
  }
  const pgDb = values['pglite-only'] ? null : await freshPostgres();
  if (pgDb) {
    await seed({ databaseUrl: pgDb.url });
    const server = await startKefu(pgDb.url);
    try {
      out.push(...(await benchKefu(`PostgreSQL ${rows}`, server, baseline)));
    } finally {
      await server.stop();
      await pgDb.drop();
    }
  } else if (!values['pglite-only']) {
    console.log('(PostgreSQL not reachable: skipped; set BENCH_DATABASE_URL)');
  }
} finally {
  await baselineServer.stop();
}

console.log(`\n${rows} conversations; ${connections} connections, ${duration} s each; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
console.log(table(out));
