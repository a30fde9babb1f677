import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { NO_ID } from '../../db/columns.ts';
import { alias } from 'drizzle-orm/pg-core';
import { DateTime } from 'luxon';
import { query, type Executor } from '../../db/client.ts';
import { can, type Actor, type Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { decodeCursor } from '../../platform/http/pagination.ts';
import { conversations } from '../conversations/schema.ts';
import { staff, teams } from '../org/schema.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { METRIC_LABELS, type SlaMetric } from '../sla/views.ts';
import { KPIS, kpiDefinition, type Dimension, type KpiDefinition, type SOURCES } from './registry.ts';
import { gapsBetween, groupingFor, rolledFacts, rolledSpans } from './rollup.ts';

export const KpiError = defineErrors('kpi', {
  not_found: [404, { 'zh-CN': '指标 {code} 不存在', 'zh-TW': '指標 {code} 不存在', en: 'KPI {code} not found' }],
  invalid_period: [400, { 'zh-CN': '开始日期 {from} 晚于结束日期 {to}', 'zh-TW': '開始日期 {from} 晚於結束日期 {to}', en: 'The start date {from} is after the end date {to}' }],
  period_too_long: [400, { 'zh-CN': '统计期间最长 {max} 天', 'zh-TW': '統計期間最長 {max} 天', en: 'The period may span at most {max} days' }],
  unsupported_dimension: [400, { 'zh-CN': '指标 {code} 不能按 {dimension} 分组', 'zh-TW': '指標 {code} 不能按 {dimension} 分組', en: 'KPI {code} cannot be grouped by {dimension}' }],
  unsupported_filter: [400, { 'zh-CN': '指标 {code} 不能按 {filter} 筛选', 'zh-TW': '指標 {code} 不能按 {filter} 篩選', en: 'KPI {code} cannot be filtered by {filter}' }],
  group_needs_group_by: [400, { 'zh-CN': '指定分组（group）时须同时指定分组方式（groupBy）', 'zh-TW': '指定分組（group）時須同時指定分組方式（groupBy）', en: 'group needs groupBy' }],
  invalid_group: [400, { 'zh-CN': '分组值 {group} 不适用于按 {groupBy} 分组', 'zh-TW': '分組值 {group} 不適用於按 {groupBy} 分組', en: 'Group {group} does not fit grouping by {groupBy}' }],
  unknown_agent: [400, { 'zh-CN': '员工不存在', 'zh-TW': '員工不存在', en: 'No such staff member' }],
  unknown_team: [400, { 'zh-CN': '班组不存在', 'zh-TW': '班組不存在', en: 'No such team' }],
  unknown_problem_type: [400, { 'zh-CN': '未知问题类型 {code}', 'zh-TW': '未知問題類型 {code}', en: 'Unknown problem type {code}' }],
  out_of_scope: [403, { 'zh-CN': '只能查看本人或本班组的指标', 'zh-TW': '只能查看本人或本班組的指標', en: 'You may only see your own or your team’s figures' }],
});

/** A year and a day: a year-on-year report fits, a scan of everything ever does not. */
export const MAX_PERIOD_DAYS = 366;

export const CHANNEL_LABELS: Record<string, string> = { chat: '在线', email: '邮件', phone: '电话', form: '表单', api: '接口' };

export interface KpiFilters {
  from?: string;
  to?: string;
  agentId?: string;
  teamId?: string;
  channel?: string;
  problemType?: string;
  metric?: string;
}

export interface KpiQuery extends KpiFilters {
  groupBy?: Dimension;
}

export interface KpiNumber {
  value: number | null;
  numerator: number;
  denominator: number;
}

export interface KpiRow extends KpiNumber {
  group: string | null;
  label: string | null;
}

export interface KpiValues {
  code: string;
  unit: KpiDefinition['unit'];
  from: string;
  to: string;
  timezone: string;
  groupBy: Dimension | null;
  target: number | null;
  rows: KpiRow[];
  total: KpiNumber;
}

export interface DrillQuery extends KpiQuery {
  group?: string;
  /** numerator: only the records counted above the line; denominator: only those below it. */
  part?: 'numerator' | 'denominator';
  after?: DrillCursor;
  limit: number;
}

/** Where a drill-down page ended: the last record's time (as the database wrote it, to the microsecond) and id. */
export interface DrillCursor {
  at: string;
  id: string;
}

export interface DrillRow {
  id: string;
  source: (typeof SOURCES)[number];
  conversationId: string | null;
  number: number | null;
  status: string | null;
  agentId: string | null;
  teamId: string | null;
  channel: string | null;
  problemType: string | null;
  at: string;
  numerator: number;
  denominator: number;
  cursor: DrillCursor;
}

export function listKpis() {
  return KPIS.map((d) => ({ code: d.code, name: d.name, nameEn: d.nameEn, formula: d.formula, unit: d.unit, direction: d.direction, dimensions: [...d.dimensions] }));
}

function definitionOf(code: string): KpiDefinition {
  const def = kpiDefinition(code);
  if (!def) throw KpiError('not_found', { field: 'code', params: { code } });
  return def;
}

/**
 * R3 scoping, on the server: holders of kpi.read_all see everyone; a team lead sees their team
 * (the team filter is forced); everyone else sees their own numbers (the agent filter is forced).
 * Asking for someone else's figures is refused rather than silently answered with one's own.
 */
export function scoped(actor: Actor, q: KpiQuery): KpiQuery {
  if (actor.type === 'system' || can(actor, 'kpi.read_all')) return q;
  if (actor.role === 'team_lead' && actor.teamId) {
    if (q.teamId && q.teamId !== actor.teamId) throw KpiError('out_of_scope', { field: 'teamId' });
    return { ...q, teamId: actor.teamId };
  }
  if (q.agentId && q.agentId !== actor.id) throw KpiError('out_of_scope', { field: 'agentId' });
  return { ...q, agentId: actor.id ?? NO_ID };
}

interface Prepared {
  def: KpiDefinition;
  policy: PolicyDocument;
  zone: string;
  from: string;
  to: string;
  start: Date;
  end: Date;
  /** The rollup grouping set that holds every dimension the query filters or groups by, if one does. */
  grouping: number | null;
  facts: SQL;
  where: SQL;
  key: SQL | null;
}

/** Checks the query against the KPI and the organisation, and builds the filtered fact set. */
async function prepare(ctx: Ctx, code: string, raw: KpiQuery, listing = false): Promise<Prepared> {
  const def = definitionOf(code);
  const policy = await currentPolicy(ctx.db);
  const zone = policy.organisation.timezone.value;
  const q = scoped(ctx.actor, raw);

  const today = DateTime.fromJSDate(ctx.clock.now(), { zone });
  const from = q.from ?? today.startOf('month').toISODate()!;
  const to = q.to ?? today.toISODate()!;
  const start = DateTime.fromISO(from, { zone }).startOf('day');
  const end = DateTime.fromISO(to, { zone }).startOf('day').plus({ days: 1 });
  if (end <= start) throw KpiError('invalid_period', { field: 'to', params: { from, to } });
  if (end.diff(start, 'days').days > MAX_PERIOD_DAYS) throw KpiError('period_too_long', { field: 'from', params: { max: MAX_PERIOD_DAYS } });

  if (q.groupBy && !def.dimensions.includes(q.groupBy)) throw KpiError('unsupported_dimension', { field: 'groupBy', params: { code, dimension: q.groupBy } });
  if (q.metric !== undefined && !def.dimensions.includes('metric')) throw KpiError('unsupported_filter', { field: 'metric', params: { code, filter: 'metric' } });
  if (q.problemType !== undefined && !policy.problemTypes.some((pt) => pt.code === q.problemType)) {
    throw KpiError('unknown_problem_type', { field: 'problemType', params: { code: q.problemType } });
  }
  // Only filters the caller chose are checked; a forced scope is the caller's own id or team.
  if (raw.agentId && (await ctx.db.select({ id: staff.id }).from(staff).where(eq(staff.id, raw.agentId)).limit(1)).length === 0) {
    throw KpiError('unknown_agent', { field: 'agentId' });
  }
  if (raw.teamId && (await ctx.db.select({ id: teams.id }).from(teams).where(eq(teams.id, raw.teamId)).limit(1)).length === 0) {
    throw KpiError('unknown_team', { field: 'teamId' });
  }

  const where = and(
    sql`f.at >= ${start.toUTC().toISO()}::timestamptz`,
    sql`f.at < ${end.toUTC().toISO()}::timestamptz`,
    q.agentId ? sql`f.agent_id = ${q.agentId}::uuid` : undefined,
    q.teamId ? sql`f.team_id = ${q.teamId}::uuid` : undefined,
    q.channel ? sql`f.channel = ${q.channel}` : undefined,
    q.problemType ? sql`f.problem_type = ${q.problemType}` : undefined,
    q.metric ? sql`f.metric = ${q.metric}` : undefined,
  )!;
  const used = [q.agentId && 'agent', q.channel && 'channel', q.problemType && 'problem_type', q.metric && 'metric', q.groupBy].filter((d): d is Dimension => !!d);
  return {
    def,
    policy,
    zone,
    from,
    to,
    start: start.toJSDate(),
    end: end.toJSDate(),
    grouping: groupingFor(def, used),
    facts: def.facts({ now: ctx.clock.now(), policy, start: start.toJSDate(), end: end.toJSDate(), listing }),
    where,
    key: q.groupBy ? keyOf(q.groupBy, zone) : null,
  };
}

/** The columns values queries read from facts, the same for rolled-up rows. */
const valueColumns = (def: KpiDefinition) =>
  sql.raw(`f.agent_id, f.team_id, f.channel, f.problem_type, ${def.dimensions.includes('metric') ? 'f.metric' : 'null::text as metric'}, f.at, f.num, f.den`);

/**
 * The facts behind a number: the rolled-up days of the period (rollup.ts) and the fact queries for
 * the days between them. Read in the same snapshot as the list of rolled-up days.
 */
async function valueFacts(ctx: Ctx, tx: Executor, p: Prepared): Promise<SQL> {
  const columns = valueColumns(p.def);
  const spans = p.grouping === null ? [] : await rolledSpans(tx, p.def, p.policy, p.start, p.end);
  if (spans.length === 0) return sql`select ${columns} from (${p.facts}) f`;
  const live = gapsBetween(p.start, p.end, spans).map(
    (g) => sql`select ${columns} from (${p.def.facts({ now: ctx.clock.now(), policy: p.policy, start: g.start, end: g.end })}) f
      where f.at >= ${g.start.toISOString()}::timestamptz and f.at < ${g.end.toISOString()}::timestamptz`,
  );
  return sql.join([rolledFacts(p.def, p.policy, p.grouping!, p.start, p.end, columns), ...live], sql` union all `);
}

/** The group key of a fact, as text: ids, codes, or the period in the organisation's time zone. */
function keyOf(groupBy: Dimension, zone: string): SQL {
  switch (groupBy) {
    case 'agent':
      return sql`f.agent_id::text`;
    case 'team':
      return sql`f.team_id::text`;
    case 'channel':
      return sql`f.channel`;
    case 'problem_type':
      return sql`f.problem_type`;
    case 'metric':
      return sql`f.metric`;
    case 'day':
      return sql`to_char(f.at at time zone ${zone}, 'YYYY-MM-DD')`;
    case 'week':
      return sql`to_char(date_trunc('week', f.at at time zone ${zone}), 'IYYY-"W"IW')`;
    case 'month':
      return sql`to_char(f.at at time zone ${zone}, 'YYYY-MM')`;
  }
}

/**
 * KPI queries are short analytics over many rows, run in a read-only transaction whose settings end
 * with it. On PostgreSQL their cost estimates cross the JIT threshold, and compiling costs more than
 * it saves (≈0.5 s a query); FCR's per-customer sort fits in memory instead of spilling to disk; and
 * the records they read are mostly cached, so index lookups are priced as on SSD (the default
 * assumes spinning disks and joins calls or SLA targets to their conversations by hashing the whole
 * conversation table: 0.8 s instead of 0.2 s a month). Figures in bench/README.md.
 */
function reporting<T>(ctx: Ctx, statement: (tx: Executor) => Promise<SQL>): Promise<T[]> {
  return ctx.db.transaction(
    async (tx) => {
      await tx.execute(sql`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true), set_config('random_page_cost', '1.1', true)`);
      return query<T>(tx, await statement(tx));
    },
    // One snapshot for the list of rolled-up days and the sums read from them.
    { accessMode: 'read only', isolationLevel: 'repeatable read' },
  );
}

function numberOf(def: KpiDefinition, numerator: number, denominator: number): KpiNumber {
  let value: number | null;
  if (def.unit === 'count') value = numerator;
  else if (denominator === 0) value = null;
  else value = def.unit === 'percent' ? (100 * numerator) / denominator : numerator / denominator;
  return { value, numerator, denominator };
}

export async function kpiValues(ctx: Ctx, code: string, q: KpiQuery): Promise<KpiValues> {
  const p = await prepare(ctx, code, q);
  const head = { code: p.def.code, unit: p.def.unit, from: p.from, to: p.to, timezone: p.zone, groupBy: q.groupBy ?? null, target: p.def.target?.(p.policy) ?? null };
  if (!p.key) {
    const [row] = await reporting<{ num: number | null; den: number | null }>(
      ctx,
      async (tx) => sql`select sum(f.num)::float8 as num, sum(f.den)::float8 as den from (${await valueFacts(ctx, tx, p)}) f where ${p.where}`,
    );
    return { ...head, rows: [], total: numberOf(p.def, row?.num ?? 0, row?.den ?? 0) };
  }
  // One pass yields the groups and the total (the empty grouping set).
  const rows = await reporting<{ key: string | null; total: number; num: number | null; den: number | null }>(
    ctx,
    async (tx) => sql`select g.key, grouping(g.key) as total, sum(g.num)::float8 as num, sum(g.den)::float8 as den
        from (select ${p.key} as key, f.num, f.den from (${await valueFacts(ctx, tx, p)}) f where ${p.where}) g
        group by grouping sets ((g.key), ())
        order by grouping(g.key), g.key nulls last`,
  );
  const groups = rows.filter((r) => Number(r.total) === 0);
  const total = rows.find((r) => Number(r.total) === 1);
  const labels = await labelsOf(ctx, q.groupBy!, p.policy, groups.map((g) => g.key).filter((k): k is string => k !== null));
  return {
    ...head,
    rows: groups.map((g) => ({ group: g.key, label: g.key === null ? null : (labels.get(g.key) ?? g.key), ...numberOf(p.def, g.num ?? 0, g.den ?? 0) })),
    total: numberOf(p.def, total?.num ?? 0, total?.den ?? 0),
  };
}

async function labelsOf(ctx: Ctx, groupBy: Dimension, policy: PolicyDocument, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  switch (groupBy) {
    case 'agent':
      return new Map((await ctx.db.select({ id: staff.id, name: staff.displayName }).from(staff).where(inArray(staff.id, keys))).map((s) => [s.id, s.name]));
    case 'team':
      return new Map((await ctx.db.select({ id: teams.id, name: teams.name }).from(teams).where(inArray(teams.id, keys))).map((t) => [t.id, t.name]));
    case 'channel':
      return new Map(Object.entries(CHANNEL_LABELS));
    case 'problem_type':
      return new Map(policy.problemTypes.map((pt) => [pt.code, pt.name]));
    case 'metric':
      return new Map(Object.entries(METRIC_LABELS as Record<SlaMetric, string>));
    default:
      return new Map();
  }
}

const GROUP_FORMS: Record<Dimension, RegExp> = {
  agent: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  team: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  channel: /^[a-z][a-z0-9_]{1,47}$/,
  problem_type: /^[a-z][a-z0-9_]{1,47}$/,
  metric: /^[a-z][a-z0-9_]{1,47}$/,
  day: /^\d{4}-\d{2}-\d{2}$/,
  week: /^\d{4}-W\d{2}$/,
  month: /^\d{4}-\d{2}$/,
};
/** The group of records without an agent, team, channel or problem type (a values row with `group: null`). */
export const NO_GROUP = 'none';

const isUuid = (v: unknown): v is string => typeof v === 'string' && GROUP_FORMS.agent.test(v);

const isDrillCursor = (v: unknown): v is DrillCursor =>
  typeof v === 'object' && v !== null && isUuid((v as DrillCursor).id) && typeof (v as DrillCursor).at === 'string' && !Number.isNaN(Date.parse((v as DrillCursor).at));

export function drillCursor(cursor: string | undefined): DrillCursor | undefined {
  return decodeCursor(cursor, isDrillCursor);
}

const drilled = alias(conversations, 'drilled');

/**
 * The records behind a number (or behind one group of it), in time order, with what each
 * contributes. Time order lets every source be read along its time index and stop after a page.
 */
export async function kpiConversations(ctx: Ctx, code: string, q: DrillQuery): Promise<DrillRow[]> {
  const p = await prepare(ctx, code, q, true);
  let inGroup: SQL | undefined;
  if (q.group !== undefined) {
    if (!p.key) throw KpiError('group_needs_group_by', { field: 'groupBy' });
    if (q.group === NO_GROUP) inGroup = isNull(p.key);
    else if (!GROUP_FORMS[q.groupBy!].test(q.group)) throw KpiError('invalid_group', { field: 'group', params: { group: q.group, groupBy: q.groupBy } });
    else inGroup = sql`${p.key} = ${q.group}`;
  }
  const rows = await reporting<{
    id: string;
    source: DrillRow['source'];
    conversation_id: string | null;
    number: number | null;
    status: string | null;
    agent_id: string | null;
    team_id: string | null;
    channel: string | null;
    problem_type: string | null;
    at: Date | string;
    at_key: string;
    num: number;
    den: number;
  }>(
    ctx,
    async () => sql`select f.id, f.source, f.conversation_id, ${drilled.number} as number, ${drilled.status} as status, f.agent_id, f.team_id, f.channel, f.problem_type, f.at, f.at::text as at_key, f.num, f.den
        from (${p.facts}) f left join ${conversations} ${sql.identifier('drilled')} on ${drilled.id} = f.conversation_id
        where ${and(
          p.where,
          inGroup,
          q.part === 'numerator' ? sql`f.num <> 0` : undefined,
          q.part === 'denominator' ? sql`f.den <> 0` : undefined,
          q.after ? sql`(f.at, f.id) > (${q.after.at}::timestamptz, ${q.after.id}::uuid)` : undefined,
        )}
        order by f.at, f.id
        limit ${q.limit + 1}`,
  );
  return rows.map((r) => ({
    id: r.id,
    source: r.source,
    conversationId: r.conversation_id,
    number: r.number === null ? null : Number(r.number),
    status: r.status,
    agentId: r.agent_id,
    teamId: r.team_id,
    channel: r.channel,
    problemType: r.problem_type,
    at: new Date(r.at).toISOString(),
    numerator: Number(r.num),
    denominator: Number(r.den),
    cursor: { at: r.at_key, id: r.id },
  }));
}
