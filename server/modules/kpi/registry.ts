import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { alias, type PgTable } from 'drizzle-orm/pg-core';
import { callRecords } from '../channels/schema.ts';
import { complaints } from '../complaints/schema.ts';
import { conversationReopens, conversationTasks as tasks, conversations } from '../conversations/schema.ts';
import { missedCallbackCondition } from '../conversations/tasks.ts';
import { staff } from '../org/schema.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { slaTargets } from '../sla/schema.ts';
import { surveys } from '../surveys/schema.ts';
import { satisfiedSql } from '../surveys/service.ts';

/**
 * R3: every KPI is defined once, here. The API, the dashboards, the exports and the appraisal all
 * compute through this registry, so one number means the same everywhere.
 *
 * Each KPI is a set of facts — one row per record that counts (a conversation, a call, an SLA
 * target, a survey, a callback task, a complaint) — with a numerator and a denominator part each;
 * the value of any group is sum(numerator) / sum(denominator) (× 100 for percentages; a count is
 * the numerator alone). A fact carries the dimensions it is grouped and filtered by:
 *
 *   id, source, conversation_id, agent_id, team_id, channel, problem_type, [metric], at, num, den
 *
 * `id` and `source` name the record (its table's id, and which kind of record), `at` places it in a period; the service filters, groups and drills down on these columns only,
 * so a KPI's whole meaning is its fact query.
 */

export const PERIODS = ['day', 'week', 'month'] as const;
export const DIMENSIONS = ['agent', 'team', 'channel', 'problem_type', 'metric', ...PERIODS] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const UNITS = ['seconds', 'percent', 'score', 'count'] as const;
export type Unit = (typeof UNITS)[number];
export type Direction = 'higher_better' | 'lower_better';
/** Which kind of record a fact is (the `source` column). */
export const SOURCES = ['conversation', 'call', 'sla_target', 'survey', 'callback_task', 'complaint'] as const;

/** What a fact query may depend on besides the tables: the clock (for "decided" windows), the policy and the period. */
export interface FactContext {
  now: Date;
  policy: PolicyDocument;
  /**
   * The period asked for, [start, end). The service keeps only facts whose `at` lies in it; a fact
   * query uses it only to bound what it reads beyond its own rows (FCR's later contacts).
   */
  start: Date;
  end: Date;
  /** A drill-down lists a page of the facts rather than summing them all: a plan per record may pay. */
  listing?: boolean;
}

export interface KpiDefinition {
  code: string;
  name: string;
  nameEn: string;
  /** Human-readable, Chinese; docs/kpis.md is rendered from it. */
  formula: string;
  unit: Unit;
  direction: Direction;
  dimensions: readonly Dimension[];
  /** The policy's target for this KPI, when the policy sets one (same unit). */
  target?: (policy: PolicyDocument) => number;
  facts: (fc: FactContext) => SQL;
  /**
   * Days after a day ends until time alone stops changing its facts (a window that must pass before
   * a conversation counts, an invitation that must expire); rollups wait for it. Default 0.
   */
  settleDays?: (policy: PolicyDocument) => number;
  /** Days after a day ends within which other records change its facts (FCR's repeat contacts). Default 0. */
  lookaheadDays?: (policy: PolicyDocument) => number;
}

const STANDARD: readonly Dimension[] = ['agent', 'team', 'channel', 'problem_type', ...PERIODS];

/** A table under a short name: the columns (rendering as `name.column`) and the FROM item (`table name`). */
function aliased<T extends PgTable>(table: T, name: string) {
  return [alias(table, name), sql`${table} ${sql.identifier(name)}`] as const;
}
const [c, C] = aliased(conversations, 'c');
const [r, R] = aliased(conversationReopens, 'r');
const [k, K] = aliased(callRecords, 'k');
const [t, T] = aliased(slaTargets, 't');
const [s, S] = aliased(surveys, 's');
const [p, P] = aliased(complaints, 'p');
const [st, ST] = aliased(staff, 'st');

/** The dimensions of a conversation fact: its assignee (the owner until closed), team, channel and problem type. */
const conversationDims = sql`${c.assigneeId} as agent_id, ${c.teamId} as team_id, ${c.channel} as channel, ${c.problemType} as problem_type`;
const days = (n: number) => sql`make_interval(days => ${n}::int)`;
const seconds = (end: SQLWrapper, start: SQLWrapper) => sql`extract(epoch from ${end} - ${start})::float8`;
const flag = (condition: SQL) => sql`(case when ${condition} then 1 else 0 end)::float8`;

/** Resolved at least once: resolved or closed now, or reopened since (a reopen clears `resolvedAt`). */
const resolvedOnce = sql`(${c.resolvedAt} is not null or ${c.reopenCount} > 0)`;

/** A reopen of the conversation within `windowDays` of its first contact (looked up only for the few ever reopened). */
const reopenedWithin = (windowDays: number) =>
  sql`(${c.reopenCount} > 0 and exists (select 1 from ${R} where ${r.conversationId} = ${c.id} and ${r.at} <= ${c.createdAt} + ${days(windowDays)}))`;

/*
 * Records join their conversation with a left join: every record has one (foreign key), and a left
 * join on its primary key is dropped by the planner when no conversation column is asked for
 * (grouping by agent or period), which spares those queries the join (bench/kpi.ts).
 */

/** Inbound calls that rang and were decided: answered, or abandoned by the caller. */
const offeredCalls = sql`${k.direction} = 'inbound' and ${k.ringingAt} is not null and (${k.answeredAt} is not null or ${k.status} = 'abandoned')`;
const callDims = sql`${k.id} as id, 'call' as source, ${k.conversationId} as conversation_id, ${k.agentId} as agent_id, ${c.teamId} as team_id, ${c.channel} as channel, ${c.problemType} as problem_type, ${k.ringingAt} as at`;

const surveyDims = sql`${s.id} as id, 'survey' as source, ${s.conversationId} as conversation_id, ${s.agentId} as agent_id, ${s.teamId} as team_id, ${s.channel} as channel, ${s.problemType} as problem_type, ${s.invitedAt} as at`;
/** S4: only the counted rating of a customer·agent·day enters CSAT. */
const countedRatings = sql`${s.counted} and ${s.respondedAt} is not null and ${s.csat} is not null`;

export const KPIS: readonly KpiDefinition[] = [
  {
    code: 'first_response_time',
    name: '首次响应时长',
    nameEn: 'First response time',
    formula: '平均值（首次回复时间 − 会话创建时间），单位秒；计入已有首次回复的文字渠道会话（电话看「平均应答速度」），按会话创建时间归入周期，归属会话负责人',
    unit: 'seconds',
    direction: 'lower_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${c.id} as id, 'conversation' as source, ${c.id} as conversation_id, ${conversationDims}, ${c.createdAt} as at,
        ${seconds(c.firstResponseAt, c.createdAt)} as num, 1::float8 as den
      from ${C}
      where ${c.firstResponseAt} is not null and ${c.channel} <> 'phone'`,
  },
  {
    code: 'answer_delay',
    name: '平均应答速度',
    nameEn: 'Average speed of answer (ASA)',
    formula: '平均值（接听时间 − 振铃开始时间），单位秒；计入已接听的呼入电话，按振铃时间归入周期，归属接听坐席',
    unit: 'seconds',
    direction: 'lower_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${callDims}, ${seconds(k.answeredAt, k.ringingAt)} as num, 1::float8 as den
      from ${K} left join ${C} on ${c.id} = ${k.conversationId}
      where ${k.direction} = 'inbound' and ${k.ringingAt} is not null and ${k.answeredAt} is not null`,
  },
  {
    code: 'service_level',
    name: '服务水平',
    nameEn: 'Service level',
    formula: '在 Y 秒内接听的呼入电话数 / （已接听 + 客户放弃的呼入电话数）× 100%；Y 为政策 sla.serviceLevel.withinSeconds，目标 X% 为 sla.serviceLevel.percent；按振铃时间归入周期',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    target: (policy) => policy.sla.serviceLevel.percent.value,
    facts: ({ policy }) => sql`
      select ${callDims},
        ${flag(sql`${k.answeredAt} is not null and ${seconds(k.answeredAt, k.ringingAt)} <= ${policy.sla.serviceLevel.withinSeconds.value}`)} as num,
        1::float8 as den
      from ${K} left join ${C} on ${c.id} = ${k.conversationId}
      where ${offeredCalls}`,
  },
  {
    code: 'abandonment_rate',
    name: '呼损率（放弃率）',
    nameEn: 'Abandonment rate',
    formula: '客户在接听前挂断的呼入电话数 / （已接听 + 客户放弃的呼入电话数）× 100%；按振铃时间归入周期；放弃的电话没有接听坐席，按坐席分组时归入「未分配」',
    unit: 'percent',
    direction: 'lower_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${callDims}, ${flag(sql`${k.status} = 'abandoned'`)} as num, 1::float8 as den
      from ${K} left join ${C} on ${c.id} = ${k.conversationId}
      where ${offeredCalls}`,
  },
  {
    code: 'sla_attainment',
    name: 'SLA 达成率',
    nameEn: 'SLA attainment',
    formula: '按时达成的 SLA 目标数 / 已判定的 SLA 目标数 × 100%；按时达成 = 已达成且未超时，已判定 = 已达成或已超时（已取消、仍在计时且未超时的不计）；可按目标类型（metric）筛选或分组；按目标开始时间归入周期，归属目标所属员工',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: ['agent', 'team', 'channel', 'problem_type', 'metric', ...PERIODS],
    facts: () => sql`
      select ${t.id} as id, 'sla_target' as source, ${t.conversationId} as conversation_id, ${t.staffId} as agent_id, ${c.teamId} as team_id,
        ${c.channel} as channel, ${c.problemType} as problem_type, ${t.metric} as metric, ${t.startedAt} as at,
        ${flag(sql`${t.metAt} is not null and ${t.breachedAt} is null`)} as num, 1::float8 as den
      from ${T} left join ${C} on ${c.id} = ${t.conversationId}
      where ${t.cancelledAt} is null and (${t.metAt} is not null or ${t.breachedAt} is not null)`,
  },
  {
    code: 'aht',
    name: '平均处理时长',
    nameEn: 'Average handling time (AHT)',
    formula: '平均值（处理时长），单位秒；文字渠道为坐席处理中的时长（不含等待客户），电话为通话 + 保持 + 话后处理；计入已解决的会话，按解决时间归入周期',
    unit: 'seconds',
    direction: 'lower_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${c.id} as id, 'conversation' as source, ${c.id} as conversation_id, ${conversationDims}, ${c.resolvedAt} as at,
        (${c.handlingMs} / 1000.0)::float8 as num, 1::float8 as den
      from ${C}
      where ${c.resolvedAt} is not null`,
  },
  {
    code: 'workload',
    name: '工作量（解决会话数）',
    nameEn: 'Workload (conversations resolved)',
    formula: '已解决的会话数；按解决时间归入周期，归属会话负责人',
    unit: 'count',
    direction: 'higher_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${c.id} as id, 'conversation' as source, ${c.id} as conversation_id, ${conversationDims}, ${c.resolvedAt} as at, 1::float8 as num, 1::float8 as den
      from ${C}
      where ${c.resolvedAt} is not null`,
  },
  {
    code: 'fcr',
    name: '首问解决率',
    nameEn: 'First-contact resolution (FCR)',
    formula:
      '首问解决的会话数 / 已判定的会话数 × 100%。首问解决 = 已解决，且无转接、无升级（含转协同部门），首次接触后 N 天内未重开，同一客户 N 天内未就同一问题类型再次来访；N 为政策 closedLoop.fcrWindowDays，自会话创建起算。已判定 = 至少解决过一次且创建已满 N 天；按会话创建时间归入周期',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    target: (policy) => policy.targets.fcrPercent.value,
    settleDays: (policy) => policy.closedLoop.fcrWindowDays.value,
    lookaheadDays: (policy) => policy.closedLoop.fcrWindowDays.value,
    facts: ({ now, policy, start, end, listing }) => {
      const window = policy.closedLoop.fcrWindowDays.value;
      const fcr = (repeated: SQL) => flag(sql`${c.transferCount} = 0 and ${c.escalationCount} = 0 and not ${reopenedWithin(window)} and not coalesce(${repeated}, false)`);
      if (listing) {
        // A page of a drill-down: look up each listed conversation's repeat contact on the customer index.
        const [later, LATER] = aliased(conversations, 'later');
        const repeated = sql`exists (select 1 from ${LATER} where ${later.customerId} = ${c.customerId} and ${later.problemType} = ${c.problemType}
          and ${later.createdAt} > ${c.createdAt} and ${later.createdAt} <= ${c.createdAt} + ${days(window)})`;
        return sql`
          select ${c.id} as id, 'conversation' as source, ${c.id} as conversation_id, ${conversationDims}, ${c.createdAt} as at, ${fcr(repeated)} as num, 1::float8 as den
          from ${C}
          where ${resolvedOnce} and ${c.createdAt} <= ${now.toISOString()}::timestamptz - ${days(window)}`;
      }
      // Summing: the customer's next conversation on the same problem type, by one sort of the period
      // (and the window after it) rather than a lookup per conversation: 5× faster for a month (bench/kpi.ts).
      const nextSame = sql`lead(${c.createdAt}) over (partition by ${c.customerId}, ${c.problemType} order by ${c.createdAt})`;
      const repeated = sql`${c.problemType} is not null and next_same <= ${c.createdAt} + ${days(window)}`;
      return sql`
        select ${c.id} as id, 'conversation' as source, ${c.id} as conversation_id, ${conversationDims}, ${c.createdAt} as at,
          ${fcr(repeated)} as num, 1::float8 as den
        from (
          select ${c.id}, ${c.customerId}, ${c.assigneeId}, ${c.teamId}, ${c.channel}, ${c.problemType}, ${c.createdAt}, ${c.resolvedAt},
            ${c.reopenCount}, ${c.transferCount}, ${c.escalationCount}, ${nextSame} as next_same
          from ${C}
          where ${c.createdAt} >= ${start.toISOString()}::timestamptz and ${c.createdAt} < ${end.toISOString()}::timestamptz + ${days(window)}
        ) c
        where ${resolvedOnce} and ${c.createdAt} <= ${now.toISOString()}::timestamptz - ${days(window)}`;
    },
  },
  {
    code: 'reopen_rate',
    name: '重开率',
    nameEn: 'Reopen rate',
    formula: '首次接触后 N 天内被重开的会话数 / 已判定的会话数 × 100%；N 为政策 closedLoop.reopenWindowDays，自会话创建起算；已判定 = 至少解决过一次且创建已满 N 天；按会话创建时间归入周期',
    unit: 'percent',
    direction: 'lower_better',
    dimensions: STANDARD,
    settleDays: (policy) => policy.closedLoop.reopenWindowDays.value,
    facts: ({ now, policy }) => {
      const window = policy.closedLoop.reopenWindowDays.value;
      return sql`
        select ${c.id} as id, 'conversation' as source, ${c.id} as conversation_id, ${conversationDims}, ${c.createdAt} as at,
          ${flag(reopenedWithin(window))} as num, 1::float8 as den
        from ${C}
        where ${resolvedOnce} and ${c.createdAt} <= ${now.toISOString()}::timestamptz - ${days(window)}`;
    },
  },
  {
    code: 'csat',
    name: '客户满意度（平均分）',
    nameEn: 'CSAT (mean score)',
    formula: '有效评价的满意度平均分（1–5 分）；同一客户对同一坐席同一天只计最后一次评价；按邀评时间（即解决时间）归入周期，归属邀评时的坐席、班组、渠道和问题类型',
    unit: 'score',
    direction: 'higher_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${surveyDims}, ${s.csat}::float8 as num, 1::float8 as den
      from ${S}
      where ${countedRatings}`,
  },
  {
    code: 'csat_top2',
    name: '满意率（前两档）',
    nameEn: 'CSAT top-2-box',
    formula: '评 4 分或 5 分（5 分制的前两档）的有效评价数 / 有效评价数 × 100%；有效评价与归属同「客户满意度（平均分）」；目标为政策 targets.csatPercent',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    target: (policy) => policy.targets.csatPercent.value,
    facts: () => sql`
      select ${surveyDims}, ${flag(sql`${s.csat} >= 4`)} as num, 1::float8 as den
      from ${S}
      where ${countedRatings}`,
  },
  {
    code: 'satisfied_rate',
    name: '满意占比',
    nameEn: 'Satisfied share',
    formula:
      '表示满意的有效评价数 / 表明了满意与否的有效评价数 × 100%；表示满意 = 客户答「满意」，未回答是否满意时评分不低于政策 survey.satisfiedMinScore（答「不满意」即不满意，不论评分）；表明了满意与否 = 回答了是否满意或给了 1–5 分评分；有效评价 = 同一客户对同一坐席同一天的最后一次评价；按邀评时间（即解决时间）归入周期，归属邀评时的坐席、班组、渠道和问题类型',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    // The survey module's own line: the same answer that reopens a case as unsatisfied counts here as not satisfied.
    facts: ({ policy }) => sql`
      select ${surveyDims}, ${flag(satisfiedSql(s, policy))} as num, 1::float8 as den
      from ${S}
      where ${s.counted} and ${s.respondedAt} is not null and (${s.satisfied} is not null or ${s.csat} is not null)`,
  },
  {
    code: 'solved_rate',
    name: '解决率（客户确认）',
    nameEn: 'Solved rate (customer-confirmed)',
    formula:
      '客户答「问题已解决」的有效评价数 / 回答了是否解决的有效评价数 × 100%；未回答是否解决的评价不计；有效评价 = 同一客户对同一坐席同一天的最后一次评价；按邀评时间（即解决时间）归入周期，归属邀评时的坐席、班组、渠道和问题类型；这是客户自己的回答，与系统判定的「首问解决率」不同',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${surveyDims}, ${flag(sql`${s.solved}`)} as num, 1::float8 as den
      from ${S}
      where ${s.counted} and ${s.respondedAt} is not null and ${s.solved} is not null`,
  },
  {
    code: 'nps',
    name: '净推荐值（NPS）',
    nameEn: 'Net Promoter Score (NPS)',
    formula:
      '（推荐者数 − 贬损者数）/ 给了推荐意愿评分（0–10 分）的有效评价数 × 100，取值 −100 至 100（单位记为 %，即推荐者占比减贬损者占比的百分点）；推荐者 = 9–10 分，被动者 = 7–8 分，贬损者 = 0–6 分；每条评价的分子推荐者为 +1、被动者为 0、贬损者为 −1，分母为 1；政策 survey.npsEnabled 开启时才收集；有效评价 = 同一客户对同一坐席同一天的最后一次评价；按邀评时间（即解决时间）归入周期，归属邀评时的坐席、班组、渠道和问题类型',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${surveyDims}, (case when ${s.nps} >= 9 then 1 when ${s.nps} <= 6 then -1 else 0 end)::float8 as num, 1::float8 as den
      from ${S}
      where ${s.counted} and ${s.respondedAt} is not null and ${s.nps} is not null`,
  },
  {
    code: 'survey_response_rate',
    name: '评价回收率',
    nameEn: 'Survey response rate',
    formula: '已回复的满意度邀请数 / 已判定的邀请数 × 100%；已判定 = 已回复或已过有效期；按邀评时间归入周期',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    settleDays: (policy) => policy.survey.validityDays.value,
    facts: ({ now }) => sql`
      select ${surveyDims}, ${flag(sql`${s.respondedAt} is not null`)} as num, 1::float8 as den
      from ${S}
      where ${s.respondedAt} is not null or ${s.expiresAt} <= ${now.toISOString()}::timestamptz`,
  },
  {
    code: 'callback_rate',
    name: '回访及时率',
    nameEn: 'Callback within deadline rate',
    formula:
      '按时回访的结案回访数 / 已判定的结案回访数 × 100%；结案回访 = 结案时自动生成的回访任务（政策 callbacks.withinHours 小时内，预设 24 小时）；按时 = 截止时间前完成且联系上客户（未接通不算）；已判定 = 已按时完成或已过截止时间，取消的不计；按截止时间归入周期，归属回访负责人（未指派的归入「未分配」）',
    unit: 'percent',
    direction: 'higher_better',
    dimensions: STANDARD,
    // "Missed" is the tasks module's own definition (its callback statistics use it too).
    facts: ({ now }) => sql`
      select ${tasks.id} as id, 'callback_task' as source, ${tasks.conversationId} as conversation_id, ${tasks.assigneeId} as agent_id, ${c.teamId} as team_id,
        ${c.channel} as channel, ${c.problemType} as problem_type, ${tasks.dueAt} as at,
        ${flag(sql`not ${missedCallbackCondition(now)}`)} as num, 1::float8 as den
      from ${tasks} left join ${C} on ${c.id} = ${tasks.conversationId}
      where ${tasks.kind} = 'callback' and ${tasks.origin} = 'closure' and ${tasks.dueAt} is not null and ${tasks.status} <> 'cancelled'
        and (${tasks.status} = 'done' or ${tasks.dueAt} <= ${now.toISOString()}::timestamptz)`,
  },
  {
    code: 'complaint_rate',
    name: '投诉率',
    nameEn: 'Complaint rate',
    formula:
      '期间受理的投诉数 / 期间新建的会话数 × 100%；投诉按受理时间、会话按创建时间归入周期；投诉归属被归责员工，班组、问题类型取关联会话（无关联会话时班组取被归责员工所在班组），渠道为投诉受理渠道',
    unit: 'percent',
    direction: 'lower_better',
    dimensions: STANDARD,
    facts: () => sql`
      select ${p.id} as id, 'complaint' as source, ${p.conversationId} as conversation_id, ${p.attributedStaffId} as agent_id, coalesce(${c.teamId}, ${st.teamId}) as team_id,
        ${p.channel} as channel, ${c.problemType} as problem_type, ${p.receivedAt} as at, 1::float8 as num, 0::float8 as den
      from ${P} left join ${C} on ${c.id} = ${p.conversationId} left join ${ST} on ${st.id} = ${p.attributedStaffId}
      union all
      select ${c.id}, 'conversation', ${c.id}, ${c.assigneeId}, ${c.teamId}, ${c.channel}, ${c.problemType}, ${c.createdAt}, 0::float8, 1::float8
      from ${C}`,
  },
];

const byCode = new Map(KPIS.map((d) => [d.code, d]));

export function kpiDefinition(code: string): KpiDefinition | undefined {
  return byCode.get(code);
}

export const UNIT_LABELS: Record<Unit, string> = { seconds: '秒', percent: '%', score: '分（1–5）', count: '个' };
export const DIRECTION_LABELS: Record<Direction, string> = { higher_better: '越高越好', lower_better: '越低越好' };
export const DIMENSION_LABELS: Record<Dimension, string> = {
  agent: '坐席',
  team: '班组',
  channel: '渠道',
  problem_type: '问题类型',
  metric: 'SLA 目标类型',
  day: '日',
  week: '周',
  month: '月',
};

/** The table in docs/kpis.md, rendered from the registry (a test keeps the two equal). */
export function registryMarkdown(): string {
  const head = '| 代码 code | 名称 | 单位 | 方向 | 维度 | 公式 |\n|---|---|---|---|---|---|';
  const rows = KPIS.map(
    (d) =>
      `| \`${d.code}\` | ${d.name}（${d.nameEn}） | ${UNIT_LABELS[d.unit]} | ${DIRECTION_LABELS[d.direction]} | ${d.dimensions.map((x) => DIMENSION_LABELS[x]).join('、')} | ${d.formula} |`,
  );
  return [head, ...rows].join('\n');
}
