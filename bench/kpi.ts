/**
 * bench/kpi.ts — every KPI of the registry (R3) over a year of 1M conversations on PostgreSQL,
 * with proportional calls, SLA targets, reopens, surveys, callbacks and complaints, against a
 * plain `count(*)` of the same period's conversations measured in the same run.
 *
 *   npx tsx bench/kpi.ts [--rows 1000000] [--runs 5] [--keep]
 *
 *
 * The data is generated inside PostgreSQL with generate_series (a minute or two for 1M rows); the
 * queries run through the KPI service, as the API runs them, minus HTTP.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { migrate, openDatabase, query, type Database } from '../server/db/client.ts';
import { ManualClock, systemClock } from '../server/platform/clock.ts';
import { systemCtx, type Ctx } from '../server/platform/context.ts';
import { KPIS } from '../server/modules/kpi/registry.ts';
import { refreshRollups } from '../server/modules/kpi/rollup.ts';
import { kpiConversations, kpiValues } from '../server/modules/kpi/service.ts';
import { initOrganisation } from '../server/presets/load.ts';
import { generateKpiData } from './kpi-data.ts';
import { freshPostgres } from './support.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const runs = Number(values.runs);
const AGENTS = 60;
const CUSTOMERS = Math.max(1000, Math.round(rows / 10));

/** A year of data ending with March 2026 (Asia/Shanghai), asked on 1 April. */
const YEAR = { from: '2025-04-02', to: '2026-04-01' };
const MONTH = { from: '2026-03-01', to: '2026-03-31' };

async function generate(url: string): Promise<void> {
  const database = await openDatabase({ databaseUrl: url });
  await migrate(database);
  await initOrganisation(database.db, systemClock, { preset: 'call-center', demo: true, demoPassword: 'kefu-demo', adminPassword: null });
  await database.close();

  const c = new pg.Client({ connectionString: url });
  await c.connect();
  console.log(`generating ${rows} conversations…`);
  await generateKpiData((text) => c.query(text), { rows, agents: AGENTS, customers: CUSTOMERS, days: 365 }, console.log);
  const started = performance.now();
  await c.query('vacuum analyze');
  console.log(`  vacuum analyze: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await c.end();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** p50 in milliseconds of `runs` runs after one warm-up. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function bench(database: Database): Promise<string> {
  // 1 April: March is the month just past, the last 12 months end today, and the FCR days of the
  // last week (its window) are still open, so a 12-month query always computes part from facts.
  const clock = new ManualClock('2026-04-01T12:00:00+08:00');
  const ctx: Ctx = systemCtx(database.db, clock);
  const count = (p: { from: string; to: string }) =>
    query(database.db, sql`select count(*) from conversations where created_at >= ${`${p.from}T00:00:00+08:00`}::timestamptz and created_at < (${`${p.to}T00:00:00+08:00`}::timestamptz + interval '1 day')`);
  const baseMonth = await time(() => count(MONTH));
  const baseYear = await time(() => count(YEAR));

  // The fact queries alone, before any rollup exists.
  const facts = new Map<string, number>();
  for (const k of KPIS) facts.set(k.code, await time(() => kpiValues(ctx, k.code, { ...YEAR, groupBy: 'month' })));

  let started = performance.now();
  const { days } = await refreshRollups(database.db, clock);
  const firstRefresh = performance.now() - started;
  started = performance.now();
  await refreshRollups(database.db, clock);
  const idleRefresh = performance.now() - started;

  const lines = [
    `| KPI | month | month by agent | month by team | drill-down page | 12 months by month | 12 months by agent | 12 months by month, facts only | slowest vs baseline |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|`,
    `| \`count(*)\` of the period's conversations (baseline) | ${baseMonth.toFixed(0)} | | | | ${baseYear.toFixed(0)} | | ${baseYear.toFixed(0)} | 1× |`,
  ];
  for (const k of KPIS) {
    const month = await time(() => kpiValues(ctx, k.code, MONTH));
    const byAgent = await time(() => kpiValues(ctx, k.code, { ...MONTH, groupBy: 'agent' }));
    const byTeam = await time(() => kpiValues(ctx, k.code, { ...MONTH, groupBy: 'team' }));
    const drill = await time(() => kpiConversations(ctx, k.code, { ...MONTH, limit: 50 }));
    const year = await time(() => kpiValues(ctx, k.code, { ...YEAR, groupBy: 'month' }));
    const yearByAgent = await time(() => kpiValues(ctx, k.code, { ...YEAR, groupBy: 'agent' }));
    const slowest = Math.max(month / baseMonth, byAgent / baseMonth, byTeam / baseMonth, drill / baseMonth, year / baseYear, yearByAgent / baseYear);
    lines.push(
      `| \`${k.code}\` | ${[month, byAgent, byTeam, drill, year, yearByAgent, facts.get(k.code)!].map((v) => v.toFixed(0)).join(' | ')} | ${slowest.toFixed(0)}× |`,
    );
    console.log(lines.at(-1));
  }
  const [size] = await query<{ rows: string; bytes: string }>(database.db, sql`select count(*) as rows, pg_total_relation_size('kpi_daily') as bytes from kpi_daily`);
  lines.push(
    '',
    `Rollup: first refresh ${(firstRefresh / 1000).toFixed(1)} s for ${days} KPI·days (${size!.rows} rows, ${(Number(size!.bytes) / 2 ** 20).toFixed(0)} MB); a refresh with nothing to do ${idleRefresh.toFixed(0)} ms.`,
  );
  return lines.join('\n');
}

const target = await freshPostgres();
if (!target) {
  console.log('PostgreSQL not reachable: set BENCH_DATABASE_URL');
  process.exit(1);
}
try {
  await generate(target.url);
  const database = await openDatabase({ databaseUrl: target.url });
  try {
    const [sizes] = await query<Record<string, string>>(
      database.db,
      sql`select (select count(*) from conversations) as conversations, (select count(*) from call_records) as calls, (select count(*) from sla_targets) as sla_targets,
                 (select count(*) from conversation_reopens) as reopens, (select count(*) from surveys) as surveys, (select count(*) from conversation_tasks) as callbacks,
                 (select count(*) from complaints) as complaints`,
    );
    const table = await bench(database);
    console.log(`\n${Object.entries(sizes!).map(([k, v]) => `${v} ${k}`).join(', ')}; p50 of ${runs} runs in ms; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
    console.log(table);
  } finally {
    await database.close();
  }
} finally {
  if (values.keep) console.log(`kept: ${target.url}`);
  else await target.drop();
}
