import { and, eq, sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateKpiData } from '../../../bench/kpi-data.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { query } from '../../db/client.ts';
import { systemCtx, type Ctx } from '../../platform/context.ts';
import { jobs } from '../../platform/jobs/schema.ts';
import { conversations } from '../conversations/schema.ts';
import { currentPolicy } from '../policy/service.ts';
import { KPIS, type Dimension } from './registry.ts';
import { ROLLUP_JOB, refreshRollups, rolledSpans, scheduleRollups } from './rollup.ts';
import { kpiDaily, kpiRollupDays } from './schema.ts';
import { kpiConversations, kpiValues, type DrillCursor, type KpiQuery, type KpiValues } from './service.ts';

/**
 * R3 at scale: daily rollups answer exactly what the fact queries answer. A random service season
 * (1 April – 29 July 2025, the bench's generator) is asked every KPI by every dimension before and
 * after the rollup; then writes, policy changes and unsettled days must never let a stale sum show.
 */

let h: Harness;
let ctx: Ctx;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const SEASON = { from: '2025-04-01', to: '2025-07-31' };
/** Ends in the days the clock has not settled yet, so part of it is always computed from facts. */
const RECENT = { from: '2025-07-01', to: '2025-08-10' };

beforeEach(async () => {
  await h.reset();
  const db = h.kefu.database.db;
  await generateKpiData(async (text) => query(db, sql.raw(text)).then((rows) => ({ rows: rows as Record<string, unknown>[] })), {
    rows: 1500,
    agents: 6,
    customers: 200,
    days: 120,
  });
  h.clock.set('2025-08-10T12:00:00+08:00');
  ctx = systemCtx(db, h.clock);
});

const figures = (v: KpiValues) => ({ rows: v.rows.map((x) => ({ group: x.group, value: x.value, numerator: x.numerator, denominator: x.denominator })), total: v.total.value });
/** Sums of seconds added in another order differ in the last bits; anything beyond that is a wrong figure. */
const approx = (value: unknown): unknown => {
  if (typeof value === 'number') return expect.closeTo(value, 6);
  if (Array.isArray(value)) return value.map(approx);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, approx(v)]));
  return value;
};

/** Every KPI by every dimension it has, and with the filters scoped users get (agent, team) plus channel and metric. */
async function everyFigure(period: { from: string; to: string }): Promise<Record<string, unknown>> {
  const [agent] = await query<{ id: string; team_id: string }>(h.kefu.database.db, sql`select id, team_id from staff where username = 'bench_agent_1'`);
  const out: Record<string, unknown> = {};
  for (const def of KPIS) {
    const asks: KpiQuery[] = [
      {},
      ...def.dimensions.map((groupBy: Dimension) => ({ groupBy })),
      { teamId: agent!.team_id, groupBy: 'agent' },
      { agentId: agent!.id, groupBy: 'channel' },
      { channel: 'chat', groupBy: 'problem_type' },
      { agentId: agent!.id, channel: 'phone', groupBy: 'problem_type' },
      ...(def.dimensions.includes('metric') ? [{ metric: 'resolution', groupBy: 'team' as const }] : []),
    ];
    for (const ask of asks) out[`${def.code} ${JSON.stringify(ask)}`] = figures(await kpiValues(ctx, def.code, { ...period, ...ask }));
  }
  return out;
}

async function readyDays(kpi: string): Promise<number> {
  const [row] = await query<{ n: number }>(h.kefu.database.db, sql`select count(*)::int as n from ${kpiRollupDays} where kpi = ${kpi} and ready`);
  return Number(row!.n);
}

describe('R3 rollups', () => {
  it('R3: rolled-up days give exactly the figures of the fact queries — every KPI, every grouping, scoped filters, settled and unsettled days', async () => {
    const live = { season: await everyFigure(SEASON), recent: await everyFigure(RECENT) };
    const { days } = await refreshRollups(h.kefu.database.db, h.clock);
    expect(days).toBeGreaterThan(KPIS.length * 100);
    expect({ season: await everyFigure(SEASON), recent: await everyFigure(RECENT) }).toEqual(approx(live));
  });

  it('S6/R3: every drill-down lists exactly the records its figure sums — FCR looks repeat contacts up per listed conversation', async () => {
    for (const def of KPIS) {
      const figure = await kpiValues(ctx, def.code, SEASON);
      let numerator = 0;
      let denominator = 0;
      let after: DrillCursor | undefined;
      for (;;) {
        const page = await kpiConversations(ctx, def.code, { ...SEASON, limit: 400, after });
        for (const row of page.slice(0, 400)) {
          numerator += row.numerator;
          denominator += row.denominator;
        }
        if (page.length <= 400) break;
        after = page[399]!.cursor;
      }
      expect({ code: def.code, numerator, denominator }).toEqual(approx({ code: def.code, numerator: figure.total.numerator, denominator: figure.total.denominator }));
    }
  });

  it('R3: the figures are read from the rollup once it exists', async () => {
    await refreshRollups(h.kefu.database.db, h.clock);
    const before = await kpiValues(ctx, 'workload', SEASON);
    // A sum nobody could compute from the facts: only the rollup can have produced it.
    await h.kefu.database.db.update(kpiDaily).set({ num: sql`${kpiDaily.num} + 1000` }).where(eq(kpiDaily.kpi, 'workload'));
    const after = await kpiValues(ctx, 'workload', SEASON);
    expect(after.total.value).toBeGreaterThan(before.total.value! + 1000);
  });

  it('R3: days wait for their windows — FCR and reopen rate a week, survey response until invitations expire, the rest until the day is over', async () => {
    await refreshRollups(h.kefu.database.db, h.clock);
    const policy = await currentPolicy(h.kefu.database.db);
    const lastRolled = async (kpi: string) => {
      const spans = await rolledSpans(h.kefu.database.db, KPIS.find((k) => k.code === kpi)!, policy, new Date('2025-03-01T00:00:00+08:00'), new Date('2025-08-11T00:00:00+08:00'));
      return spans.at(-1)?.end.toISOString();
    };
    expect(await lastRolled('workload')).toBe(new Date('2025-08-10T00:00:00+08:00').toISOString());
    expect(await lastRolled('fcr')).toBe(new Date('2025-08-03T00:00:00+08:00').toISOString());
    expect(await lastRolled('reopen_rate')).toBe(new Date('2025-08-03T00:00:00+08:00').toISOString());
    expect(await lastRolled('survey_response_rate')).toBe(DateTime.fromISO('2025-08-10T00:00:00+08:00').minus({ days: policy.survey.validityDays.value }).toJSDate().toISOString());
  });

  it('R3: a write to a record of a rolled-up day puts that day back on the fact queries in the same transaction, and the next refresh rolls it up again', async () => {
    const db = h.kefu.database.db;
    await refreshRollups(db, h.clock);
    const [c] = await query<{ id: string; assignee_id: string }>(
      db,
      sql`select id, assignee_id from conversations where resolved_at is not null and created_at between '2025-05-10T00:00:00+08:00' and '2025-05-10T23:00:00+08:00' order by id limit 1`,
    );
    const [other] = await query<{ id: string }>(db, sql`select id from staff where username like 'bench_agent_%' and id <> ${c!.assignee_id} order by username limit 1`);
    const byAgent = () => kpiValues(ctx, 'workload', { ...SEASON, groupBy: 'agent' });
    const count = (v: KpiValues, agent: string) => v.rows.find((r) => r.group === agent)?.value ?? 0;
    const before = await byAgent();
    const readyBefore = await readyDays('aht');

    await db.update(conversations).set({ assigneeId: other!.id }).where(eq(conversations.id, c!.id));

    const moved = await byAgent();
    expect(count(moved, c!.assignee_id)).toBe(count(before, c!.assignee_id) - 1);
    expect(count(moved, other!.id)).toBe(count(before, other!.id) + 1);
    // The day it was created and the day it was resolved (possibly the same), for every KPI.
    expect(await readyDays('aht')).toBeLessThan(readyBefore);
    expect(await readyDays('aht')).toBeGreaterThanOrEqual(readyBefore - 2);

    const { days } = await refreshRollups(db, h.clock);
    expect(days).toBeGreaterThan(0);
    expect(await readyDays('aht')).toBe(readyBefore);
    expect(figures(await byAgent())).toEqual(approx(figures(moved)));
  });

  it('R3: SLA targets, surveys, callbacks, complaints and reopens invalidate their own days; a conversation moving team takes its calls’ days along', async () => {
    const db = h.kefu.database.db;
    await refreshRollups(db, h.clock);
    const day = (kpi: string, at: string) =>
      query<{ n: number }>(db, sql`select count(*)::int as n from ${kpiRollupDays} where kpi = ${kpi} and ready and day_start <= ${at}::timestamptz and day_end > ${at}::timestamptz`).then(
        (r) => Number(r[0]!.n),
      );
    const [t] = await query<{ id: string; started_at: Date }>(db, sql`select id, started_at from sla_targets where started_at < '2025-06-01' order by id limit 1`);
    const at = new Date(t!.started_at).toISOString();
    expect(await day('sla_attainment', at)).toBe(1);
    await db.execute(sql`update sla_targets set breached_at = met_at, met_at = null where id = ${t!.id}`);
    expect(await day('sla_attainment', at)).toBe(0);

    for (const [kpi, table, column] of [
      ['survey_response_rate', 'surveys', 'invited_at'],
      ['callback_rate', 'conversation_tasks', 'due_at'],
      ['complaint_rate', 'complaints', 'received_at'],
    ] as const) {
      // An invalidation takes the day away for every KPI: roll up again before each check.
      await refreshRollups(db, h.clock);
      const [row] = await query<{ id: string; at: Date }>(db, sql`select id, ${sql.identifier(column)} as at from ${sql.identifier(table)} where ${sql.identifier(column)} < '2025-06-01' order by id limit 1`);
      const dated = new Date(row!.at).toISOString();
      expect(await day(kpi, dated), kpi).toBe(1);
      await db.execute(sql`update ${sql.identifier(table)} set updated_at = updated_at where id = ${row!.id}`);
      expect(await day(kpi, dated), kpi).toBe(0);
    }
    await refreshRollups(db, h.clock);
    const [reopened] = await query<{ id: string; created_at: Date }>(db, sql`select id, created_at from conversations where created_at < '2025-06-01' and resolved_at is not null order by id limit 1`);
    const created = new Date(reopened!.created_at).toISOString();
    expect(await day('reopen_rate', created)).toBe(1);
    await db.execute(sql`insert into conversation_reopens (id, conversation_id, from_status, source, at) values (gen_random_uuid(), ${reopened!.id}, 'resolved', 'agent', now())`);
    expect(await day('reopen_rate', created)).toBe(0);

    await refreshRollups(db, h.clock);
    const [k] = await query<{ conversation_id: string; ringing_at: Date; created_at: Date }>(
      db,
      sql`select k.conversation_id, k.ringing_at, c.created_at from call_records k join conversations c on c.id = k.conversation_id where k.ringing_at < '2025-06-01' order by k.id limit 1`,
    );
    const ringing = new Date(k!.ringing_at).toISOString();
    expect(await day('answer_delay', ringing)).toBe(1);
    const [team] = await query<{ id: string }>(db, sql`select id from teams where id <> (select team_id from conversations where id = ${k!.conversation_id}) order by code limit 1`);
    await db.update(conversations).set({ teamId: team!.id }).where(eq(conversations.id, k!.conversation_id));
    expect(await day('answer_delay', ringing)).toBe(0);
    expect(await day('service_level', ringing)).toBe(0);
  });

  it('R3: a new policy’s figures are never read from rollups computed under the old one', async () => {
    const db = h.kefu.database.db;
    await refreshRollups(db, h.clock);
    const before = await kpiValues(ctx, 'service_level', SEASON);
    await h.publishPolicy('服务水平改为 5 秒', (doc) => {
      doc.sla.serviceLevel.withinSeconds.value = 5;
    });
    const policy = await currentPolicy(db);
    const spans = (code: string) => rolledSpans(db, KPIS.find((k) => k.code === code)!, policy, new Date('2025-04-01T00:00:00+08:00'), new Date('2025-08-01T00:00:00+08:00'));
    expect(await spans('service_level')).toEqual([]);
    expect((await spans('workload')).length).toBeGreaterThan(0);
    const after = await kpiValues(ctx, 'service_level', SEASON);
    expect(after.total.value).toBeLessThan(before.total.value!);

    await refreshRollups(db, h.clock);
    expect((await spans('service_level')).length).toBeGreaterThan(0);
    expect(figures(await kpiValues(ctx, 'service_level', SEASON))).toEqual(approx(figures(after)));
  });

  it('R3: the rollup job runs and reschedules itself for the next hour', async () => {
    const db = h.kefu.database.db;
    await db.transaction((tx) => scheduleRollups({ tx, now: h.clock.now() }));
    await h.kefu.jobs.runDue();
    expect(await readyDays('fcr')).toBeGreaterThan(0);
    const pending = await db.select({ runAt: jobs.runAt }).from(jobs).where(and(eq(jobs.kind, ROLLUP_JOB), eq(jobs.status, 'pending')));
    expect(pending.map((j) => j.runAt.toISOString())).toEqual([new Date('2025-08-10T13:07:00+08:00').toISOString()]);
  });
});
