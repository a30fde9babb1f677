/**
 * bench/sla.ts — the SLA timer engine (S2) with 100k open conversations, each with a running
 * resolution clock whose breach timer waits in the job table. A burst of first-response clocks
 * then falls due over a window; the job runner fires them (warning-free breaches: target update,
 * event, notifications to agent and team lead). Reported: the lag from due time to firing
 * (p50/p99/max) and CPU per 1k timers, against the same number of no-op jobs through the same
 * runner, same poll interval, in the same run.
 *
 *   npx tsx bench/sla.ts [--open 100000] [--due 3000] [--window 30] [--pglite]
 */
import { parseArgs } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'drizzle-orm';
import { migrate, openDatabase, type Database } from '../server/db/client.ts';
import { staff } from '../server/db/schema.ts';
import { systemClock } from '../server/platform/clock.ts';
import { JobRunner } from '../server/platform/jobs/runner.ts';
import { registerSlaJobs } from '../server/modules/sla/engine.ts';
import { initOrganisation } from '../server/presets/load.ts';
import { benchDataDir, freshPostgres } from './support.ts';

const { values } = parseArgs({
  options: {
    open: { type: 'string', default: '100000' },
    due: { type: 'string', default: '3000' },
    window: { type: 'string', default: '30' },
    pglite: { type: 'boolean', default: false },
  },
});
const OPEN = Number(values.open);
const DUE = Number(values.due);
const WINDOW_S = Number(values.window);
const POLL_MS = 1000; // KEFU_JOB_POLL_MS default: what a production node does between NOTIFYs

const quiet = { level: 'silent', fatal() {}, error() {}, warn() {}, info() {}, debug() {}, trace() {}, child: () => quiet } as unknown as FastifyBaseLogger;

async function seed(database: Database): Promise<void> {
  const db = database.db;
  await initOrganisation(db, systemClock, { preset: 'call-center', demo: true, demoPassword: 'kefu-demo', adminPassword: null });
  const [agent] = await db.select({ id: staff.id, teamId: staff.teamId }).from(staff).where(sql`${staff.username} = 'agent1'`);
  await db.execute(sql`
    insert into customers (id, kind, name, phones, emails, addresses, tags, created_at, updated_at)
    select gen_random_uuid(), 'person', '客户' || g, array['138' || lpad(g::text, 8, '0')], '{}', '[]'::jsonb, '{}', now(), now() from generate_series(1, 2000) g`);
  await db.execute(sql`
    insert into conversations (id, channel, status, priority, customer_id, assignee_id, team_id, tags, support_level, intake, left_message, reopen_count, handling_ms, created_at, updated_at)
    select gen_random_uuid(), 'chat', 'open', 'normal', ids[1 + g % 2000], ${agent!.id}, ${agent!.teamId}, '{}', 1, '{}'::jsonb, false, 0, 0, now(), now()
    from generate_series(1, ${OPEN}) g, (select array_agg(id) as ids from customers) c`);
  // Every open conversation has a running resolution clock whose breach timer waits two days ahead.
  await db.execute(sql`
    insert into sla_targets (id, conversation_id, metric, seq, calendar, target_seconds, state, started_at, consumed_seconds, running_since, due_at, created_at, updated_at)
    select gen_random_uuid(), id, 'resolution', 1, 'business', 172800, 'running', now(), 0, now(), now() + interval '2 days', now(), now() from conversations`);
  await db.execute(sql`
    insert into jobs (kind, payload, run_at, status, max_attempts, dedupe_key, created_at)
    select 'sla.breach', jsonb_build_object('targetId', id), due_at, 'pending', 8, 'sla:' || id || ':breach', now() from sla_targets`);
  await db.execute(sql`analyze`);
}

interface Burst {
  lagP50: number;
  lagP99: number;
  lagMax: number;
  cpuMsPer1k: number;
  fired: number;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

/** Makes `DUE` timers fall due over the window starting in 2 s, runs them, measures. */
async function burst(database: Database, kind: 'bench.noop' | 'sla.breach'): Promise<Burst> {
  const db = database.db;
  const t0 = Date.now() + 2000;
  const windowMs = WINDOW_S * 1000;
  await db.execute(sql`delete from jobs where kind = 'bench.noop'`);
  if (kind === 'sla.breach') {
    await db.execute(sql`
      with picked as (select id, row_number() over (order by id) - 1 as n from conversations where id not in (select conversation_id from sla_targets where metric = 'first_response') limit ${DUE}),
      made as (
        insert into sla_targets (id, conversation_id, metric, seq, calendar, target_seconds, state, started_at, consumed_seconds, running_since, due_at, created_at, updated_at)
        select gen_random_uuid(), id, 'first_response', 1, 'business', 30, 'running', now(), 0, now(), to_timestamp((${t0}::bigint + n * ${windowMs}::bigint / ${DUE}::bigint) / 1000.0), now(), now() from picked
        returning id, due_at)
      insert into jobs (kind, payload, run_at, status, max_attempts, dedupe_key, created_at)
      select 'sla.breach', jsonb_build_object('targetId', id), due_at, 'pending', 8, 'sla:' || id || ':breach', now() from made`);
  } else {
    await db.execute(sql`
      insert into jobs (kind, payload, run_at, status, max_attempts, created_at)
      select 'bench.noop', '{}'::jsonb, to_timestamp((${t0}::bigint + n * ${windowMs}::bigint / ${DUE}::bigint) / 1000.0), 'pending', 8, now() from generate_series(0, ${DUE - 1}) n`);
  }
  const runner = new JobRunner(database, systemClock, quiet, { nodeId: 'bench', retentionMs: 7 * 86_400_000 });
  if (kind === 'sla.breach') registerSlaJobs(runner);
  else runner.register('bench.noop', async (_p, jc) => jc.complete(async () => {}));
  const cpu = process.cpuUsage();
  await runner.start(POLL_MS);
  const kindFilter = kind === 'sla.breach' ? sql`kind = 'sla.breach' and run_at <= ${new Date(t0 + windowMs + 1)}` : sql`kind = 'bench.noop'`;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const [left] = ((await db.execute(sql`select count(*)::int as n from jobs where ${kindFilter} and status in ('pending', 'running')`)) as unknown as { rows: Array<{ n: number }> }).rows;
    if (left!.n === 0 && Date.now() > t0 + windowMs) break;
  }
  await runner.stop();
  const used = process.cpuUsage(cpu);
  const lags = (((await db.execute(sql`select extract(epoch from (finished_at - run_at)) * 1000 as lag from jobs where ${kindFilter} and status = 'done' and finished_at > ${new Date(t0 - 1)}`)) as unknown as { rows: Array<{ lag: number }> }).rows)
    .map((r) => Number(r.lag))
    .sort((a, b) => a - b);
  return { lagP50: pct(lags, 50), lagP99: pct(lags, 99), lagMax: lags.at(-1) ?? 0, cpuMsPer1k: ((used.user + used.system) / 1000 / lags.length) * 1000, fired: lags.length };
}

async function run(label: string, open: () => Promise<Database>): Promise<void> {
  const database = await open();
  try {
    await migrate(database);
    const seeded = Date.now();
    await seed(database);
    console.error(`${label}: seeded ${OPEN} open conversations with timers in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    const base = await burst(database, 'bench.noop');
    const sla = await burst(database, 'sla.breach');
    const row = (name: string, b: Burst, ratio: string) =>
      `| ${name} | ${b.fired} | ${b.lagP50.toFixed(0)} | ${b.lagP99.toFixed(0)} | ${b.lagMax.toFixed(0)} | ${b.cpuMsPer1k.toFixed(0)} | ${ratio} |`;
    console.log(`\n${label}: ${OPEN} open conversations, ${DUE} timers due over ${WINDOW_S} s, poll ${POLL_MS} ms\n`);
    console.log('| timers | fired | lag p50 ms | lag p99 ms | lag max ms | CPU ms per 1k | CPU vs baseline |\n|---|---:|---:|---:|---:|---:|---:|');
    console.log(row('no-op jobs (baseline)', base, '1.00'));
    console.log(row('SLA breaches', sla, (sla.cpuMsPer1k / base.cpuMsPer1k).toFixed(2)));
  } finally {
    await database.close();
  }
}

if (values.pglite) {
  await run('PGlite', () => openDatabase({ dataDir: benchDataDir() }));
} else {
  const pg = await freshPostgres();
  if (!pg) throw new Error('PostgreSQL is not reachable; use --pglite');
  try {
    await run('PostgreSQL', () => openDatabase({ databaseUrl: pg.url }));
  } finally {
    await pg.drop();
  }
}
