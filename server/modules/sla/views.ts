import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import { AROUND_THE_CLOCK, openSecondsBetween, type BusinessCalendar } from './calendar.ts';
import type { slaTargets } from './schema.ts';

export const SLA_METRICS = ['first_response', 'next_response', 'greeting', 'problem_understood', 'resolution', 'callback'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];
export type TargetRow = typeof slaTargets.$inferSelect;

export const METRIC_LABELS: Record<SlaMetric, string> = {
  first_response: '首次响应',
  next_response: '后续响应',
  greeting: '接听问候',
  problem_understood: '了解问题核心',
  resolution: '问题解决',
  callback: '结案回访',
};

export const SLA_STATUSES = ['running', 'paused', 'met', 'breached', 'cancelled'] as const;

export const SlaTargetView = Type.Object(
  {
    id: Uuid,
    metric: Type.Union(SLA_METRICS.map((m) => Type.Literal(m))),
    label: Type.String(),
    seq: Type.Integer({ description: '同一指标的第几次（后续响应、重开后的解决时限会重复）' }),
    status: Type.Union(SLA_STATUSES.map((s) => Type.Literal(s)), { description: 'running 计时中 / paused 等待客户暂停 / met 达标 / breached 超时 / cancelled 不再适用' }),
    calendar: Type.Union([Type.Literal('business'), Type.Literal('calendar')], { description: 'business 按服务时间与节假日计 / calendar 连续计时' }),
    targetSeconds: Type.Integer(),
    elapsedSeconds: Type.Integer(),
    remainingSeconds: Type.Integer({ description: '负数表示已超时多久' }),
    startedAt: Timestamp,
    warnAt: Nullable(Timestamp),
    dueAt: Nullable(Timestamp),
    warnedAt: Nullable(Timestamp),
    breachedAt: Nullable(Timestamp),
    metAt: Nullable(Timestamp),
    staffId: Nullable(Uuid),
  },
  { title: 'SlaTarget' },
);
export type SlaTargetView = Static<typeof SlaTargetView>;

function statusOf(r: TargetRow): SlaTargetView['status'] {
  if (r.cancelledAt) return 'cancelled';
  if (r.breachedAt) return 'breached';
  if (r.metAt) return 'met';
  return r.state === 'paused' ? 'paused' : 'running';
}

/** Elapsed and remaining are read at `now` on the target's own calendar. */
export function slaTargetView(r: TargetRow, now: Date, cal: BusinessCalendar): SlaTargetView {
  const running = r.state === 'running' && r.runningSince !== null;
  const elapsed = Math.round(r.consumedSeconds + (running ? openSecondsBetween(r.calendar === 'calendar' ? AROUND_THE_CLOCK : cal, r.runningSince!, now) : 0));
  return {
    id: r.id,
    metric: r.metric as SlaMetric,
    label: METRIC_LABELS[r.metric as SlaMetric],
    seq: r.seq,
    status: statusOf(r),
    calendar: r.calendar as SlaTargetView['calendar'],
    targetSeconds: r.targetSeconds,
    elapsedSeconds: elapsed,
    remainingSeconds: r.targetSeconds - elapsed,
    startedAt: iso(r.startedAt),
    warnAt: isoOrNull(r.warnAt),
    dueAt: isoOrNull(r.dueAt),
    warnedAt: isoOrNull(r.warnedAt),
    breachedAt: isoOrNull(r.breachedAt),
    metAt: isoOrNull(r.metAt),
    staffId: r.staffId,
  };
}
