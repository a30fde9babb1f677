/**
 * The synthetic service year behind bench/kpi.ts and the rollup tests (server/modules/kpi/rollup.test.ts):
 * conversations from 1 April 2025 (Asia/Shanghai) over `days` days on the call-center preset's teams,
 * with proportional calls, SLA targets, reopens, surveys, closure callbacks and complaints, generated
 * inside the database with generate_series (random, so only relations between figures are stable).
 */
export interface KpiDataOptions {
  rows: number;
  agents: number;
  customers: number;
  days: number;
}

type Run = (text: string) => Promise<{ rows: Record<string, unknown>[]; rowCount?: number | null; affectedRows?: number }>;

export async function generateKpiData(run: Run, { rows, agents, customers, days }: KpiDataOptions, log: (line: string) => void = () => {}): Promise<void> {
  const step = async (label: string, text: string) => {
    const started = performance.now();
    const res = await run(text);
    log(`  ${label}: ${res.rowCount ?? res.affectedRows ?? 0} rows, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  const teams = (await run(`select id from teams where code in ('hotline_1', 'hotline_2', 'online') order by code`)).rows.map((r) => `'${String(r.id)}'`);
    await step(
    'agents',
    `insert into staff (id, username, display_name, role, team_id, status, locale, is_demo, created_at, updated_at)
     select md5('agent' || a)::uuid, 'bench_agent_' || a, '坐席' || a, 'agent', (array[${teams.join(',')}]::uuid[])[1 + a % 3], 'active', 'zh-CN', false, now(), now()
     from generate_series(0, ${agents - 1}) a`,
  );
  await step(
    'customers',
    `insert into customers (id, kind, name, phones, emails, addresses, tags, created_at, updated_at)
     select md5('cust' || n)::uuid, 'person', '客户' || n, '{}', '{}', '[]', '{}', now(), now() from generate_series(0, ${customers - 1}) n`,
  );
  // 1/2 chat, 1/6 email, 1/3 phone; 92 % resolved; 4 % reopened, 5 % transferred, 3 % escalated.
  await step(
    'conversations',
    `insert into conversations (id, channel, status, priority, customer_id, assignee_id, team_id, tags, support_level, problem_type, intake, left_message,
        created_at, updated_at, assigned_at, first_response_at, resolved_at, closed_at, reopen_count, transfer_count, escalation_count, handling_ms)
     select md5('conv' || i)::uuid, channel, case when resolved then 'closed' else 'open' end, 'normal',
       md5('cust' || ((i::bigint * 7919) % ${customers}))::uuid, md5('agent' || agent)::uuid, (array[${teams.join(',')}]::uuid[])[1 + agent % 3], '{}', 1,
       (array['consultation','complaint','business','technical_support','suggestion'])[1 + i % 5], '{}', false,
       created, created, created, created + make_interval(secs => case when channel = 'phone' then r1 * 40 else 5 + r1 * 300 end),
       case when resolved then created + make_interval(secs => 120 + r2 * 3600) end, case when resolved then created + make_interval(secs => 7200 + r2 * 3600) end,
       (r3 < 0.04)::int, (i % 20 = 0)::int, (i % 33 = 0)::int, (60000 + r1 * 1200000)::bigint
     from (
       select i, (array['chat','chat','chat','email','phone','phone'])[1 + i % 6] as channel, (i * 7) % ${agents} as agent,
         timestamptz '2025-04-01 00:00:00+08' + make_interval(secs => (i::float8 / ${rows}) * ${days} * 86400) as created,
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
    `insert into surveys (id, conversation_id, customer_id, agent_id, team_id, channel, problem_type, cycle, via, invited_at, expires_at, responded_at, csat, solved, nps, counted, rating_day, created_at, updated_at)
     select gen_random_uuid(), id, customer_id, assignee_id, team_id, channel, problem_type, 0, 'chat', resolved_at, resolved_at + interval '7 days',
       case when answered then resolved_at + interval '1 hour' end, case when answered then 1 + floor(random() * 5)::int end,
       case when answered then random() < 0.9 end, case when answered and random() < 0.5 then floor(random() * 11)::int end, answered and random() < 0.95,
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
}
