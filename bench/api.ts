/**
 * bench/api.ts — Kefu's API against a bare Fastify hello-world measured in the same run.
 * An authenticated read (GET /api/staff/:id: session lookup, permission check, masking) and a
 * small write (PATCH /api/departments/:id: transaction with audit entry, outbox event, NOTIFY),
 * on PGlite and, when the local PostgreSQL answers, on PostgreSQL.
 *
 *   npx tsx bench/api.ts [--duration 10] [--connections 50]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { freshPostgres, json, measure, startBaseline, startKefu, table, type Measure, type Server } from './support.ts';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' } } });
const duration = Number(values.duration);
const connections = Number(values.connections);

async function benchKefu(label: string, server: Server, baseline: Measure): Promise<Measure[]> {
  const { token } = await json<{ token: string }>(`${server.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'kefu-demo' }) });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const staff = await json<{ data: Array<{ id: string }> }>(`${server.url}/api/staff?limit=1`, { headers });
  const depts = await json<{ data: Array<{ id: string }> }>(`${server.url}/api/departments?limit=1`, { headers });
  let n = 0;
  const read = await measure(`${label}: GET /api/staff/:id`, { url: `${server.url}/api/staff/${staff.data[0]!.id}`, connections, duration, headers });
  const write = await measure(`${label}: PATCH /api/departments/:id`, {
    url: `${server.url}/api/departments/${depts.data[0]!.id}`,
    connections,
    duration,
    headers,
    method: 'PATCH',
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ description: `bench ${++n}` }) }) }],
  });
  return [read, write].map((m) => ({ ...m, ratio: m.reqPerSec / baseline.reqPerSec }));
}

const baselineServer = await startBaseline();
const rows: Measure[] = [];
try {
  const baseline = await measure('Fastify hello-world (baseline)', { url: baselineServer.url, connections, duration });
  rows.push(baseline);

  const lite = await startKefu(null);
  try {
    rows.push(...(await benchKefu('PGlite', lite, baseline)));
  } finally {
    await lite.stop();
  }

  const pgDb = await freshPostgres();
  if (pgDb) {
    const server = await startKefu(pgDb.url);
    try {
      rows.push(...(await benchKefu('PostgreSQL', server, baseline)));
    } finally {
      await server.stop();
      await pgDb.drop();
    }
  } else {
    console.log('(PostgreSQL not reachable: skipped; set BENCH_DATABASE_URL)');
  }
} finally {
  await baselineServer.stop();
}

console.log(`\n${connections} connections, ${duration} s each; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
console.log(table(rows));
