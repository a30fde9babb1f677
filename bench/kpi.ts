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
import { kpiConversations, kpiValues } from '../server/modules/kpi/service.ts';
import { initOrganisation } from '../server/presets/load.ts';
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

/** Range scans by the time that places a record in a period, where no index serves it yet. */
/** A year of data ending with March 2026 (Asia/Shanghai); the clock stands after every window. */
const YEAR = { from: '2025-04-01', to: '2026-03-31' };
const MONTH = { from: '2026-03-01', to: '2026-03-31' };

async function generate(url: string): Promise<void> {
  const database = await openDatabase({ databaseUrl: url });
  await migrate(database);
  await initOrganisation(database.db, systemClock, { preset: 'call-center', demo: true, demoPassword: 'kefu-demo', adminPassword: null });
  await database.close();

  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const step = async (label: string, text: string) => {
    const started = performance.now();
    const res = await c.query(text);
    console.log(`  ${label}: ${res.rowCount ?? 0} rows, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  const teams = (await c.query<{ id: string }>(`select id from teams where code in ('hotline_1', 'hotline_2', 'online') order by code`)).rows.map((r) => `'${r.id}'`);
  console.log(`generating ${rows} conversations…`);
  await step(
    'agents',
    `insert into staff (id, username, display_name, role, team_id, status, locale, is_demo, created_at, updated_at)
     select md5('agent' || a)::uuid, 'bench_agent_' || a, '坐席' || a, 'agent', (array[${teams.join(',')}]::uuid[])[1 + a % 3], 'active', 'zh-CN', false, now(), now()
     from generate_series(0, ${AGENTS - 1}) a`,
  );
  await step(
    'customers',
    `insert into customers (id, kind, name, phones, emails, addresses, tags, created_at, updated_at)
     select md5('cust' || n)::uuid, 'person', '客户' || n, '{}', '{}', '[]', '{}', now(), now() from generate_series(0, ${CUSTOMERS - 1}) n`,
  );
  // 1/2 chat, 1/6 email, 1/3 phone; 92 % resolved; 4 % reopened, 5 % transferred, 3 % escalated.
  await step(
    'conversations',
    `insert into conversations (id, channel, status, priority, customer_id, assignee_id, team_id, tags, support_level, problem_type, intake, left_message,
        created_at, updated_at, assigned_at, first_response_at, resolved_at, closed_at, reopen_count, transfer_count, escalation_count, handling_ms)
     select md5('conv' || i)::uuid, channel, case when resolved then 'closed' else 'open' end, 'normal',
       md5('cust' || ((i::bigint * 7919) % ${CUSTOMERS}))::uuid, md5('agent' || agent)::uuid, (array[${teams.join(',')}]::uuid[])[1 + agent % 3], '{}', 1,
       (array['consultation','complaint','business','technical_support','suggestion'])[1 + i % 5], '{}', false,
       created, created, created, created + make_interval(secs => case when channel = 'phone' then r1 * 40 else 5 + r1 * 300 end),
       case when resolved then created + make_interval(secs => 120 + r2 * 3600) end, case when resolved then created + make_interval(secs => 7200 + r2 * 3600) end,
       (r3 < 0.04)::int, (i % 20 = 0)::int, (i % 33 = 0)::int, (60000 + r1 * 1200000)::bigint
     from (
       select i, (array['chat','chat','chat','email','phone','phone'])[1 + i % 6] as channel, (i * 7) % ${AGENTS} as agent,
         timestamptz '2025-04-01 00:00:00+08' + make_interval(secs => (i::float8 / ${rows}) * 365 * 86400) as created,
         random() < 0.92 as resolved, random() as r1, random() as r2, random() as r3
       from generate_series(0, ${rows - 1}) i
     ) g`,
  );
  await step(
    'reopens',
    `insert into conversation_reopens (id, conversation_id, from_status, source, at)
     select gen_random_uuid(), id, 'resolved', 'customer_message', created_at + make_interval(secs => 86400 + random() * 9 * 86400) from conversations where reopen_count > 0`,
  );
  // 8 % of inbound calls are abandoned.
  await step(
    'call records',
    `insert into call_records (id, conversation_id, call_id, direction, from_number, to_number, agent_id, status, ringing_at, answered_at, ended_at, hold_seconds, events, created_at, updated_at)
     select gen_random_uuid(), id, 'bench-' || id, 'inbound', '13800000000', '4008001234', case when abandoned then null else assignee_id end,
       case when abandoned then 'abandoned' else 'wrapped_up' end, created_at, case when abandoned then null else first_response_at end,
       created_at + interval '5 minutes', 0, '[]', created_at, created_at
     from (select c.*, random() < 0.08 as abandoned from conversations c where channel = 'phone') c`,
  );
  await step(
    'sla targets',
    `insert into sla_targets (id, conversation_id, metric, seq, calendar, target_seconds, state, started_at, consumed_seconds, met_at, breached_at, cancelled_at, staff_id, created_at, updated_at)
     select gen_random_uuid(), c.id, m.metric, 1, 'calendar', 60, 'stopped', c.created_at, 0,
       case when x < 0.85 then c.created_at + interval '30 seconds' end, case when x >= 0.85 and x < 0.98 then c.created_at + interval '61 seconds' end,
       case when x >= 0.98 then c.created_at + interval '10 seconds' end, c.assignee_id, c.created_at, c.created_at
     from (select c.*, random() as x from conversations c) c cross join (values ('first_response'), ('resolution')) m(metric)`,
  );
  await step(
    'surveys',
    `insert into surveys (id, conversation_id, customer_id, agent_id, team_id, channel, problem_type, cycle, via, invited_at, expires_at, responded_at, csat, counted, rating_day, created_at, updated_at)
     select gen_random_uuid(), id, customer_id, assignee_id, team_id, channel, problem_type, 0, 'chat', resolved_at, resolved_at + interval '7 days',
       case when answered then resolved_at + interval '1 hour' end, case when answered then 1 + floor(random() * 5)::int end, answered and random() < 0.95,
       case when answered then to_char(resolved_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') end, resolved_at, resolved_at
     from (select c.*, random() < 0.4 as answered from conversations c where resolved_at is not null and random() < 0.6) c`,
  );
  await step(
    'closure callbacks',
    `insert into conversation_tasks (id, conversation_id, kind, status, title, origin, assignee_id, due_at, completed_at, outcome, created_at, updated_at)
     select gen_random_uuid(), id, 'callback', case when x < 0.85 then 'done' when x < 0.95 then 'open' else 'cancelled' end, '回访', 'closure', assignee_id,
       resolved_at + interval '24 hours', case when x < 0.85 then resolved_at + make_interval(secs => x * 30 * 3600) end, case when x < 0.85 then 'reached' end, resolved_at, resolved_at
     from (select c.*, random() as x from conversations c where resolved_at is not null and random() < 0.3) c`,
  );
  await step(
    'complaints',
    `insert into complaints (id, status, customer_id, conversation_id, received_at, complainant_name, contact, channel, matter, severity, attributed_staff_id, created_at, updated_at)
     select gen_random_uuid(), 'closed', customer_id, id, created_at + interval '1 day', '客户', '13800000000', channel, '服务态度', 'normal', assignee_id, created_at, created_at
     from conversations where random() < 0.005`,
  );
  await step('vacuum analyze', 'vacuum analyze');
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
  const clock = new ManualClock('2026-04-20T12:00:00+08:00');
  const ctx: Ctx = systemCtx(database.db, clock);
  const count = (p: { from: string; to: string }) =>
    query(database.db, sql`select count(*) from conversations where created_at >= ${`${p.from}T00:00:00+08:00`}::timestamptz and created_at < (${`${p.to}T00:00:00+08:00`}::timestamptz + interval '1 day')`);
  const baseMonth = await time(() => count(MONTH));
  const baseYear = await time(() => count(YEAR));
  const lines = [
    `| KPI | month | month by agent | month by team | year by month | drill-down page | slowest month query vs baseline | year vs baseline |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|`,
    `| \`count(*)\` of the period's conversations (baseline) | ${baseMonth.toFixed(0)} | | | ${baseYear.toFixed(0)} | | 1× | 1× |`,
  ];
  for (const k of KPIS) {
    const month = await time(() => kpiValues(ctx, k.code, MONTH));
    const byAgent = await time(() => kpiValues(ctx, k.code, { ...MONTH, groupBy: 'agent' }));
    const byTeam = await time(() => kpiValues(ctx, k.code, { ...MONTH, groupBy: 'team' }));
    const year = await time(() => kpiValues(ctx, k.code, { ...YEAR, groupBy: 'month' }));
    const drill = await time(() => kpiConversations(ctx, k.code, { ...MONTH, limit: 50 }));
    const slowest = Math.max(month, byAgent, byTeam, drill);
    lines.push(
      `| \`${k.code}\` | ${month.toFixed(0)} | ${byAgent.toFixed(0)} | ${byTeam.toFixed(0)} | ${year.toFixed(0)} | ${drill.toFixed(0)} | ${(slowest / baseMonth).toFixed(0)}× | ${(year / baseYear).toFixed(0)}× |`,
    );
    console.log(lines.at(-1));
  }
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
