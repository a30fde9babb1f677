import { and, asc, eq } from 'drizzle-orm';
import { newId } from '../../db/columns.ts';
import type { Executor } from '../../db/client.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { cancelJobs, scheduleJob, type JobRunner } from '../../platform/jobs/runner.ts';
import type { Writer } from '../../platform/write.ts';
import { onConversationChange, conversationAudience, mergeAudience } from '../conversations/record.ts';
import { conversations } from '../conversations/schema.ts';
import type { ConversationRow } from '../conversations/views.ts';
import { customerBrief } from '../customers/lookup.ts';
import { notify } from '../notifications/service.ts';
import { staff, teams } from '../org/schema.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { AROUND_THE_CLOCK, addOpenSeconds, calendarOf, openSecondsBetween, type BusinessCalendar } from './calendar.ts';
import { slaTargets } from './schema.ts';
import { METRIC_LABELS, slaTargetView, type SlaMetric, type TargetRow } from './views.ts';

export { SLA_METRICS, type SlaMetric } from './views.ts';

declareEventTypes({
  'sla.warning': 'SLA 即将超时（达到目标时长的预警比例）',
  'sla.breached': 'SLA 已超时，已通知主管',
});

interface Spec {
  seconds: number;
  calendar: 'business' | 'calendar';
}

type Override = NonNullable<PolicyDocument['sla']['overrides']>[number];

/** S1: the target for one metric on this conversation, or null where the policy sets none. */
export function specFor(policy: PolicyDocument, conv: Pick<ConversationRow, 'channel' | 'problemType' | 'priority'>, tier: string | null, metric: SlaMetric): Spec | null {
  const { sla } = policy;
  const rules = (sla.overrides ?? []).filter((o) => matches(o, conv, tier));
  // Field by field, the first matching rule that sets it wins over the default.
  const pick = <K extends 'firstResponseSeconds' | 'nextResponseSeconds' | 'resolutionHours'>(k: K): number | undefined => rules.find((o) => o[k] !== undefined)?.[k];
  const phone = conv.channel === 'phone';
  switch (metric) {
    case 'first_response':
      // Phone: answered within N rings, in the call's own time.
      if (phone) return { seconds: sla.phone.answerWithinRings.value * sla.phone.ringSeconds.value, calendar: 'calendar' };
      return { seconds: pick('firstResponseSeconds') ?? (conv.channel === 'chat' ? sla.chat.firstResponseSeconds.value : sla.email.firstResponseMinutes.value * 60), calendar: 'business' };
    case 'next_response': {
      if (phone) return null;
      const seconds = pick('nextResponseSeconds') ?? (conv.channel === 'chat' ? sla.chat.nextResponseSeconds.value : undefined);
      return seconds === undefined ? null : { seconds, calendar: 'business' };
    }
    case 'greeting':
      return phone ? { seconds: sla.phone.greetingSeconds.value, calendar: 'calendar' } : null;
    case 'problem_understood':
      return phone ? { seconds: sla.phone.problemUnderstoodSeconds.value, calendar: 'calendar' } : null;
    case 'resolution':
      return { seconds: (pick('resolutionHours') ?? sla.resolutionHours.value) * 3600, calendar: 'business' };
    case 'callback':
      return policy.callbacks.autoOnClosure.value ? { seconds: policy.callbacks.withinHours.value * 3600, calendar: 'business' } : null;
  }
}

function matches(o: Override, conv: Pick<ConversationRow, 'channel' | 'problemType' | 'priority'>, tier: string | null): boolean {
  const w = o.when;
  return (
    (!w.channels || (w.channels as string[]).includes(conv.channel)) &&
    (!w.problemTypes || (conv.problemType !== null && w.problemTypes.includes(conv.problemType))) &&
    (!w.tiers || (tier !== null && w.tiers.includes(tier))) &&
    (!w.priorities || (w.priorities as string[]).includes(conv.priority))
  );
}

/** Business hours are kept in the conversation's team's time zone, else the organisation's. */
export async function calendarFor(db: Executor, policy: PolicyDocument, teamId: string | null): Promise<BusinessCalendar> {
  if (policy.organisation.businessHours.value === '24x7') return calendarOf(policy);
  const [team] = teamId ? await db.select({ timezone: teams.timezone }).from(teams).where(eq(teams.id, teamId)).limit(1) : [];
  return calendarOf(policy, team?.timezone);
}

/** Everything one sync needs, loaded at most once and only when a clock is started or moved. */
class Env {
  private calendar: Promise<BusinessCalendar> | undefined;
  private tier: Promise<string | null> | undefined;
  constructor(
    readonly w: Writer,
    readonly policy: PolicyDocument,
    readonly conv: ConversationRow,
    readonly rows: TargetRow[],
  ) {}

  async spec(metric: SlaMetric): Promise<Spec | null> {
    const needsTier = (this.policy.sla.overrides ?? []).some((o) => o.when.tiers);
    this.tier ??= needsTier ? customerBrief(this.w.tx, this.conv.customerId).then((c) => c?.tier ?? null) : Promise.resolve(null);
    return specFor(this.policy, this.conv, await this.tier, metric);
  }

  async calendarOf(row: Pick<TargetRow, 'calendar'>): Promise<BusinessCalendar> {
    if (row.calendar === 'calendar') return AROUND_THE_CLOCK;
    this.calendar ??= calendarFor(this.w.tx, this.policy, this.conv.teamId);
    return this.calendar;
  }

  latest(metric: SlaMetric): TargetRow | undefined {
    return this.rows.filter((r) => r.metric === metric).at(-1);
  }

  live(metric: SlaMetric): TargetRow | undefined {
    const r = this.latest(metric);
    return r && r.state !== 'stopped' ? r : undefined;
  }

  private replace(row: TargetRow): TargetRow {
    const i = this.rows.findIndex((r) => r.id === row.id);
    if (i >= 0) this.rows[i] = row;
    else this.rows.push(row);
    return row;
  }

  async save(row: TargetRow, patch: Partial<TargetRow>): Promise<TargetRow> {
    const [after] = await this.w.tx.update(slaTargets).set({ ...patch, updatedAt: this.w.now }).where(eq(slaTargets.id, row.id)).returning();
    await reschedule(this.w, after!);
    return this.replace(after!);
  }

  async start(metric: SlaMetric, at: Date): Promise<void> {
    if (this.live(metric)) return;
    const latest = this.latest(metric);
    // One first response, greeting and problem check per conversation; the others repeat.
    if (latest && (metric === 'first_response' || metric === 'greeting' || metric === 'problem_understood')) return;
    const spec = await this.spec(metric);
    if (!spec) return;
    const draft = { calendar: spec.calendar, targetSeconds: spec.seconds, consumedSeconds: 0, warnedAt: null, breachedAt: null };
    const [row] = await this.w.tx
      .insert(slaTargets)
      .values({
        id: newId(),
        conversationId: this.conv.id,
        metric,
        seq: (latest?.seq ?? 0) + 1,
        ...draft,
        state: 'running',
        startedAt: at,
        runningSince: at,
        ...(await this.deadlines(draft, at)),
        createdAt: this.w.now,
        updatedAt: this.w.now,
      })
      .returning();
    await reschedule(this.w, row!);
    this.replace(row!);
  }

  /** Warning and due time of a clock that (re)starts at `from` with what it has consumed so far. */
  async deadlines(row: Pick<TargetRow, 'calendar' | 'targetSeconds' | 'consumedSeconds' | 'warnedAt' | 'breachedAt'>, from: Date): Promise<{ warnAt: Date | null; dueAt: Date }> {
    const cal = await this.calendarOf(row);
    const fraction = this.policy.sla.warningFraction.value;
    const warnSeconds = row.targetSeconds * fraction;
    const warns = !row.warnedAt && !row.breachedAt && fraction > 0 && fraction < 1;
    return {
      warnAt: warns ? addOpenSeconds(cal, from, Math.max(0, warnSeconds - row.consumedSeconds)) : null,
      dueAt: addOpenSeconds(cal, from, Math.max(0, row.targetSeconds - row.consumedSeconds)),
    };
  }

  /** Open seconds consumed up to `at`, with the running segment folded in. */
  async consumedAt(row: TargetRow, at: Date): Promise<number> {
    if (row.state !== 'running' || !row.runningSince) return row.consumedSeconds;
    return row.consumedSeconds + Math.round(openSecondsBetween(await this.calendarOf(row), row.runningSince, at));
  }

  /** A clock that ran past its due time without the timer firing yet is breached at the due time. */
  private lateBreach(row: TargetRow, at: Date): Date | null {
    return row.breachedAt ?? (row.state === 'running' && row.dueAt && at > row.dueAt ? row.dueAt : null);
  }

  async meet(metric: SlaMetric, at: Date): Promise<void> {
    const row = this.live(metric);
    if (!row) return;
    await this.save(row, { state: 'stopped', metAt: at, breachedAt: this.lateBreach(row, at), consumedSeconds: await this.consumedAt(row, at), runningSince: null, staffId: this.conv.assigneeId });
  }

  /** Stopped unmet: excluded from attainment, unless it had already breached. */
  async cancel(metric: SlaMetric, at: Date): Promise<void> {
    const row = this.live(metric);
    if (!row) return;
    const breachedAt = this.lateBreach(row, at);
    await this.save(row, { state: 'stopped', cancelledAt: breachedAt ? null : at, breachedAt, consumedSeconds: await this.consumedAt(row, at), runningSince: null, staffId: this.conv.assigneeId });
  }

  async pause(row: TargetRow, at: Date): Promise<void> {
    if (row.state !== 'running') return;
    await this.save(row, { state: 'paused', breachedAt: this.lateBreach(row, at), consumedSeconds: await this.consumedAt(row, at), runningSince: null, warnAt: null, dueAt: null });
  }

  async resume(row: TargetRow, at: Date): Promise<void> {
    if (row.state !== 'paused') return;
    await this.save(row, { state: 'running', runningSince: at, ...(await this.deadlines(row, at)) });
  }

  /** A changed priority, problem type or team moves the deadline of clocks still running. */
  async retarget(metric: SlaMetric): Promise<void> {
    const row = this.live(metric);
    const spec = row && (await this.spec(metric));
    if (!row || !spec || spec.seconds === row.targetSeconds) return;
    const at = this.w.now;
    const consumed = await this.consumedAt(row, at);
    const next = { ...row, targetSeconds: spec.seconds, consumedSeconds: consumed };
    if (row.state === 'paused') await this.save(row, { targetSeconds: spec.seconds });
    else await this.save(row, { targetSeconds: spec.seconds, consumedSeconds: consumed, runningSince: at, ...(await this.deadlines(next, at)) });
  }
}

const IN_CALL: readonly SlaMetric[] = ['greeting', 'problem_understood'];
const CONTACT: readonly SlaMetric[] = ['first_response', 'next_response', ...IN_CALL];
const finished = (s: string) => s === 'resolved' || s === 'closed';
const later = (a: Date | null, b: Date | null) => a !== null && (b === null || a > b);

async function loadEnv(w: Writer, conv: ConversationRow): Promise<Env> {
  const [policy, rows] = await Promise.all([
    currentPolicy(w.tx),
    w.tx.select().from(slaTargets).where(eq(slaTargets.conversationId, conv.id)).orderBy(asc(slaTargets.metric), asc(slaTargets.seq)),
  ]);
  return new Env(w, policy, conv, rows);
}

/**
 * S1/S2: follows one conversation change — starts, meets, pauses, resumes and re-targets the
 * clocks. Every decision reads the before and after rows, so the same change applied twice
 * does nothing the second time.
 */
async function follow(w: Writer, before: ConversationRow | null, after: ConversationRow): Promise<void> {
  const env = await loadEnv(w, after);
  if (!before) {
    await env.start('first_response', after.createdAt);
    await env.start('resolution', after.createdAt);
    return;
  }
  const now = w.now;
  if (after.firstResponseAt && !before.firstResponseAt) {
    await env.meet('first_response', after.firstResponseAt);
    // The answer starts the in-call promises: greet within 30 s, understand the problem within a minute.
    if (after.channel === 'phone') for (const m of IN_CALL) await env.start(m, after.firstResponseAt);
  }
  if (after.greetedAt && !before.greetedAt) await env.meet('greeting', after.greetedAt);
  if (after.problemConfirmedAt && !before.problemConfirmedAt) await env.meet('problem_understood', after.problemConfirmedAt);
  if (later(after.lastAgentMessageAt, before.lastAgentMessageAt)) await env.meet('next_response', after.lastAgentMessageAt!);
  if (later(after.lastCustomerMessageAt, before.lastCustomerMessageAt) && before.firstResponseAt && !finished(after.status)) {
    await env.start('next_response', after.lastCustomerMessageAt!);
  }

  if (after.status !== before.status) {
    if (finished(after.status) && !finished(before.status)) await env.meet('resolution', now);
    if (finished(before.status) && !finished(after.status)) {
      await env.cancel('callback', now);
      await env.start('resolution', now);
    }
    // The callback clock starts with the closure callback itself (surveys/callbacks.ts), which only some closures get.
    if (after.status === 'closed') for (const m of CONTACT) await env.cancel(m, now);
    // S1: clocks wait while the customer owes us an answer.
    if (after.status === 'pending_customer') for (const r of [...env.rows]) if (r.metric !== 'callback') await env.pause(r, now);
    if (before.status === 'pending_customer') for (const r of [...env.rows]) await env.resume(r, now);
  }

  if (after.priority !== before.priority || after.problemType !== before.problemType || after.teamId !== before.teamId) {
    for (const m of ['first_response', 'next_response', 'resolution'] as const) await env.retarget(m);
  }
}

onConversationChange(follow);

/** Starts a clock outside the conversation's own changes (the closure callback); returns its due time. */
export async function startSlaTarget(w: Writer, conversationId: string, metric: SlaMetric, at: Date): Promise<Date | null> {
  const env = await envOf(w, conversationId);
  if (!env) return null;
  await env.start(metric, at);
  return env.live(metric)?.dueAt ?? null;
}

/** Stops the latest running clock of this metric as met (e.g. the closure callback was made). */
export async function meetSlaTarget(w: Writer, conversationId: string, metric: SlaMetric): Promise<void> {
  const env = await envOf(w, conversationId);
  if (env) await env.meet(metric, w.now);
}

/** Stops a clock that no longer applies (an outbound call has no answer time; a caller hung up before it was due). */
export async function cancelSlaTarget(w: Writer, conversationId: string, metric: SlaMetric, at: Date = w.now): Promise<void> {
  const env = await envOf(w, conversationId);
  if (env) await env.cancel(metric, at);
}

async function envOf(w: Writer, conversationId: string): Promise<Env | null> {
  const [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, conversationId)).limit(1);
  return conv ? loadEnv(w, conv) : null;
}

// ---------- timers (S2) ----------

const jobKey = (row: TargetRow, kind: 'warn' | 'breach') => `sla:${row.id}:${kind}`;

/** Timers are jobs: they survive restarts, and the job table hands each to exactly one node. */
async function reschedule(w: Writer, row: TargetRow): Promise<void> {
  const running = row.state === 'running';
  if (running && row.warnAt && !row.warnedAt) await scheduleJob(w, { kind: 'sla.warn', payload: { targetId: row.id }, runAt: row.warnAt, dedupeKey: jobKey(row, 'warn') }, 'replace');
  else await cancelJobs(w.tx, jobKey(row, 'warn'), w.now);
  if (running && row.dueAt && !row.breachedAt) await scheduleJob(w, { kind: 'sla.breach', payload: { targetId: row.id }, runAt: row.dueAt, dedupeKey: jobKey(row, 'breach') }, 'replace');
  else await cancelJobs(w.tx, jobKey(row, 'breach'), w.now);
}

/** The supervisors told of a breach: the lead of the conversation's team, else every active team lead. */
async function supervisorsOf(w: Writer, teamLeadId: string | null): Promise<string[]> {
  if (teamLeadId) return [teamLeadId];
  const leads = await w.tx.select({ id: staff.id }).from(staff).where(and(eq(staff.role, 'team_lead'), eq(staff.status, 'active')));
  return leads.map((l) => l.id);
}

async function fire(w: Writer, targetId: string, kind: 'warn' | 'breach'): Promise<void> {
  // One read for the clock, its conversation and team (time zone, lead): this runs for every timer.
  const [found] = await w.tx
    .select({ row: slaTargets, conv: conversations, timezone: teams.timezone, leadId: teams.leadId })
    .from(slaTargets)
    .innerJoin(conversations, eq(conversations.id, slaTargets.conversationId))
    .leftJoin(teams, eq(teams.id, conversations.teamId))
    .where(eq(slaTargets.id, targetId))
    .for('update', { of: slaTargets });
  // A timer that lost its reason (met, paused, moved) ends quietly: the replacement carries on.
  if (!found || found.row.state !== 'running') return;
  const { row, conv } = found;
  const due = kind === 'warn' ? row.warnAt : row.dueAt;
  if (!due || due > w.now || (kind === 'warn' ? row.warnedAt : row.breachedAt)) return;
  const [after] = await w.tx
    .update(slaTargets)
    .set(kind === 'warn' ? { warnedAt: w.now, updatedAt: w.now } : { breachedAt: row.dueAt, staffId: conv.assigneeId, updatedAt: w.now })
    .where(eq(slaTargets.id, row.id))
    .returning();
  const view = slaTargetView(after!, w.now, calendarOf(await currentPolicy(w.tx), found.timezone));
  const label = METRIC_LABELS[row.metric as SlaMetric];
  const supervisors = kind === 'breach' ? await supervisorsOf(w, found.leadId) : [];
  const data = { ...view, conversationId: conv.id, conversationNumber: conv.number, assigneeId: conv.assigneeId };
  await w.emit({
    type: kind === 'warn' ? 'sla.warning' : 'sla.breached',
    entityType: 'conversation',
    entityId: conv.id,
    data,
    audience: mergeAudience(conversationAudience(conv), { staffIds: supervisors }),
  });
  const text =
    kind === 'warn'
      ? { kind: 'sla_warning', title: `会话 #${conv.number} ${label}即将超时`, body: `${label}目标 ${duration(row.targetSeconds)}，将于 ${view.dueAt} 到期` }
      : { kind: 'sla_breach', title: `会话 #${conv.number} ${label}已超时`, body: `${label}目标 ${duration(row.targetSeconds)}，已于 ${view.dueAt} 超时` };
  await notify(w, [...(conv.assigneeId ? [conv.assigneeId] : []), ...supervisors], { ...text, entityType: 'conversation', entityId: conv.id, data });
}

export function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} 小时`;
  if (seconds % 60 === 0) return `${seconds / 60} 分钟`;
  return `${seconds} 秒`;
}

export function registerSlaJobs(jobs: JobRunner): void {
  jobs.register('sla.warn', async (p, jc) => jc.complete((w) => fire(w, String(p.targetId), 'warn')));
  jobs.register('sla.breach', async (p, jc) => jc.complete((w) => fire(w, String(p.targetId), 'breach')));
}

export async function listTargets(db: Executor, conversationId: string): Promise<TargetRow[]> {
  return db.select().from(slaTargets).where(eq(slaTargets.conversationId, conversationId)).orderBy(asc(slaTargets.startedAt), asc(slaTargets.metric), asc(slaTargets.seq));
}
