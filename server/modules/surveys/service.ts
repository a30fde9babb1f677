import { and, desc, eq, gte, isNotNull, isNull, lt, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Executor } from '../../db/client.ts';
import { newId, NO_ID } from '../../db/columns.ts';
import type { Actor, Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { cancelJobs, scheduleJob, type JobRunner } from '../../platform/jobs/runner.ts';
import { signLink, verifyLink } from '../../platform/signing.ts';
import { write, type Writer } from '../../platform/write.ts';
import { conversationAudience, onConversationChange, updateConversation, visibleCondition, type Reopen } from '../conversations/record.ts';
import { conversations } from '../conversations/schema.ts';
import { addSystemMessage, transitionPatch } from '../conversations/service.ts';
import type { ConversationRow } from '../conversations/views.ts';
import { customerReach } from '../customers/lookup.ts';
import { orgToday } from '../customers/service.ts';
import { notify } from '../notifications/service.ts';
import { organisationSigningKey } from '../org/service.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { surveys } from './schema.ts';
import { SurveyView, surveyView, type Effect, type FeedbackView, type SurveyAnswer, type SurveyRow, type SurveyStatistics, type SurveyVia } from './views.ts';

export const SurveyError = defineErrors('survey', {
  not_found: [404, { 'zh-CN': '满意度调查不存在', 'zh-TW': '滿意度調查不存在', en: 'Survey not found' }],
  invalid_link: [404, { 'zh-CN': '评价链接无效，请使用邮件中的完整链接', 'zh-TW': '評價連結無效，請使用郵件中的完整連結', en: 'The feedback link is not valid; use the complete link from the email' }],
  expired: [410, { 'zh-CN': '评价已于 {expiresAt} 截止，不能再提交', 'zh-TW': '評價已於 {expiresAt} 截止，不能再提交', en: 'Feedback closed at {expiresAt}; it can no longer be given' }],
  empty_answer: [400, { 'zh-CN': '请至少回答问题是否解决、是否满意或给出 1–5 分评分', 'zh-TW': '請至少回答問題是否解決、是否滿意或給出 1–5 分評分', en: 'Answer at least whether the problem was solved, whether you are satisfied, or give a 1–5 rating' }],
  nps_disabled: [400, { 'zh-CN': '当前制度未启用推荐意愿（NPS）评分', 'zh-TW': '目前制度未啟用推薦意願（NPS）評分', en: 'The policy does not ask for a recommendation (NPS) score' }],
  not_on_callback: [409, { 'zh-CN': '当前制度未规定回访时记录满意度', 'zh-TW': '目前制度未規定回訪時記錄滿意度', en: 'The policy does not record ratings on callbacks' }],
});

declareEventTypes({
  'survey.invited': '已邀请客户确认结果并评价（会话解决时）',
  'survey.responded': '客户（或回访坐席代录）提交了结果确认与满意度评价',
});

export const AUTO_CLOSE_JOB = 'surveys.auto_close';
/** closedLoop.autoCloseHours when the policy leaves it out. */
export const DEFAULT_AUTO_CLOSE_HOURS = 72;
const SURVEY_LINK = 'survey';
const DAY_MS = 86_400_000;

const autoCloseKey = (conversationId: string) => `auto-close:${conversationId}`;

/** Where survey links point; set from the configuration when the routes are built. */
let publicUrl = 'http://localhost:3000';

export function configureSurveys(opts: { publicUrl: string }): void {
  publicUrl = opts.publicUrl.replace(/\/+$/, '');
}

export const feedbackUrl = (token: string) => `${publicUrl}/feedback/${token}`;

const zoneOf = (policy: PolicyDocument) => policy.organisation.timezone.value;
const localTime = (d: Date, policy: PolicyDocument) => DateTime.fromJSDate(d, { zone: zoneOf(policy) }).toFormat('yyyy年M月d日 HH:mm');

// ---------- invitation (S3, S4) ----------

const CHAT_INVITATION = '您的问题已处理完毕。请告诉我们：问题是否已解决？您对本次服务是否满意？您的评价将帮助我们改进服务。';
const REOPENED_NOTICE = '很抱歉问题还没有让您满意。我们已重新处理您的问题，客服会尽快与您联系。';

function emailInvitation(conv: ConversationRow, link: string, expiresAt: Date, policy: PolicyDocument): string {
  return [
    `您好，您咨询的问题（会话编号 #${conv.number}）已处理完毕。`,
    '',
    '请花一分钟告诉我们问题是否已解决、您对本次服务是否满意：',
    link,
    '',
    `此链接无需登录，${localTime(expiresAt, policy)} 前有效。如问题仍未解决，也可以直接回复本邮件，我们会继续为您处理。`,
  ].join('\n');
}

/**
 * How this customer is asked, or null when they are not: on the channel they wrote on when it can
 * reach them again — the chat widget, their email address, the phone (the callback agent asks).
 */
async function invitationVia(db: Executor, conv: ConversationRow, policy: PolicyDocument): Promise<SurveyVia | null> {
  const ask = (channelSetting: boolean) => policy.closedLoop.confirmOnResolve.value || channelSetting;
  if (conv.channel === 'chat') return ask(policy.survey.onChatEnd.value) && conv.visitorId ? 'chat' : null;
  if (conv.channel === 'email') return ask(policy.survey.emailLink.value) && (await customerReach(db, conv.customerId)).email ? 'email' : null;
  if (conv.channel === 'phone') return ask(policy.survey.onCallback.value) && ((await customerReach(db, conv.customerId)).phone || Boolean(conv.intake.contact)) ? 'callback' : null;
  return null;
}

/** The survey of one resolution (cycle) of a conversation; there is at most one. */
async function surveyOfCycle(db: Executor, conversationId: string, cycle: number): Promise<SurveyRow | null> {
  const [row] = await db.select().from(surveys).where(and(eq(surveys.conversationId, conversationId), eq(surveys.cycle, cycle))).orderBy(desc(surveys.id)).limit(1);
  return row ?? null;
}

/** A survey row for the conversation's current resolution, copying who resolved it (agent, team) and what it was about. */
async function insertSurvey(w: Writer, conv: ConversationRow, via: SurveyVia, policy: PolicyDocument): Promise<SurveyRow> {
  const [row] = await w.tx
    .insert(surveys)
    .values({
      id: newId(),
      conversationId: conv.id,
      customerId: conv.customerId,
      agentId: conv.assigneeId,
      teamId: conv.teamId,
      channel: conv.channel,
      problemType: conv.problemType,
      cycle: conv.reopenCount,
      via,
      invitedAt: w.now,
      expiresAt: new Date(w.now.getTime() + policy.survey.validityDays.value * DAY_MS),
      counted: false,
      createdAt: w.now,
      updatedAt: w.now,
    })
    .returning();
  await w.changed({ entityType: 'survey', entityId: row!.id, schema: SurveyView, before: null, after: surveyView(row!, conv.number), event: 'survey.invited', audience: conversationAudience(conv) });
  return row!;
}

/** The link an emailed invitation carries: the survey id and its expiry, signed with the organisation's key. */
export async function surveyToken(db: Executor, survey: Pick<SurveyRow, 'id' | 'expiresAt'>): Promise<string> {
  return signLink(await organisationSigningKey(db), SURVEY_LINK, { subject: survey.id, expiresAt: survey.expiresAt });
}

async function invite(w: Writer, conv: ConversationRow, policy: PolicyDocument): Promise<void> {
  const via = await invitationVia(w.tx, conv, policy);
  if (!via || (await surveyOfCycle(w.tx, conv.id, conv.reopenCount))) return;
  const survey = await insertSurvey(w, conv, via, policy);
  // The phone customer is asked by the callback agent, who records the answer.
  if (via === 'chat') await addSystemMessage(w, conv, CHAT_INVITATION, { toCustomer: true });
  if (via === 'email') await addSystemMessage(w, conv, emailInvitation(conv, feedbackUrl(await surveyToken(w.tx, survey)), survey.expiresAt, policy), { toCustomer: true });
}

/**
 * S3: resolving asks the customer and starts the clock that closes the case if nobody objects;
 * leaving `resolved` (reopened, or closed) stops that clock.
 */
onConversationChange(async (w, before, after) => {
  if (!before || before.status === after.status) return;
  if (after.status === 'resolved') {
    const policy = await currentPolicy(w.tx);
    const hours = policy.closedLoop.autoCloseHours?.value ?? DEFAULT_AUTO_CLOSE_HOURS;
    await scheduleJob(
      w,
      { kind: AUTO_CLOSE_JOB, payload: { conversationId: after.id, cycle: after.reopenCount, hours }, runAt: new Date(w.now.getTime() + hours * 3_600_000), dedupeKey: autoCloseKey(after.id) },
      'replace',
    );
    await invite(w, after, policy);
  } else if (before.status === 'resolved') {
    await cancelJobs(w.tx, autoCloseKey(after.id), w.now);
  }
});

export function registerSurveyJobs(jobs: JobRunner): void {
  jobs.register(AUTO_CLOSE_JOB, async (payload, jc) => {
    await jc.complete(async (w) => {
      const [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, String(payload.conversationId))).for('update');
      // Reopened and resolved again since: that resolution has its own job.
      if (!conv || conv.status !== 'resolved' || conv.reopenCount !== Number(payload.cycle)) return;
      const closed = await updateConversation(w, conv, transitionPatch('closed', w.now));
      await addSystemMessage(w, closed, `问题解决后 ${String(payload.hours)} 小时内客户未提出异议，系统自动结案`);
    });
  });
}

// ---------- answers ----------

export interface Responder {
  /** The agent recording the answer on a callback; null when the customer answers. */
  recordedBy: string | null;
}

export interface Answered {
  survey: SurveyRow;
  conversation: ConversationRow;
  effect: Effect;
}

/** The customer said not solved or not satisfied — or gave a score under the policy's line and said nothing else. */
function satisfactionOf(s: Pick<SurveyRow, 'satisfied' | 'csat'>, policy: PolicyDocument): boolean | null {
  return s.satisfied ?? (s.csat === null ? null : s.csat >= policy.survey.satisfiedMinScore.value);
}

/** satisfactionOf in SQL, for the statistics and the satisfied_rate KPI: null when the customer said neither. */
export function satisfiedSql(columns: { satisfied: SQLWrapper; csat: SQLWrapper }, policy: PolicyDocument): SQL {
  return sql`coalesce(${columns.satisfied}, ${columns.csat} >= ${policy.survey.satisfiedMinScore.value})`;
}

function reopenReason(s: SurveyRow, policy: PolicyDocument): string {
  const min = policy.survey.satisfiedMinScore.value;
  const what =
    s.solved === false ? '客户反馈问题未解决' : s.satisfied === false ? '客户对处理结果不满意' : `客户评分 ${s.csat} 分，低于满意分数线 ${min} 分`;
  return s.comment ? `${what}：${s.comment}` : what;
}

type DayKey = Pick<SurveyRow, 'customerId' | 'agentId' | 'ratingDay'>;
const dayKey = (k: DayKey) => `survey-day:${k.customerId}:${k.agentId ?? '-'}:${k.ratingDay}`;

/**
 * Two answers on one customer·agent·day are counted one after the other. Taken before the answer
 * is written, in a fixed order: a recount rewrites every row of its day, so writing first would
 * deadlock with a concurrent answer of the same day.
 */
async function lockDays(w: Writer, keys: DayKey[]): Promise<void> {
  for (const key of [...new Set(keys.filter((k) => k.ratingDay).map(dayKey))].sort()) {
    await w.tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
  }
}

/** One customer·agent·day: only its last rating counts (S4). */
async function recount(w: Writer, key: DayKey): Promise<void> {
  if (!key.ratingDay) return;
  const same = and(eq(surveys.customerId, key.customerId), key.agentId ? eq(surveys.agentId, key.agentId) : isNull(surveys.agentId), eq(surveys.ratingDay, key.ratingDay));
  const [last] = await w.tx.select({ id: surveys.id }).from(surveys).where(same).orderBy(desc(surveys.respondedAt), desc(surveys.id)).limit(1);
  if (last) await w.tx.update(surveys).set({ counted: sql`${surveys.id} = ${last.id}` }).where(same);
}

/**
 * Records an answer (the last one wins while the survey is open) and acts on it for the
 * resolution it asks about: not solved or not satisfied reopens the case with the reason,
 * solved and satisfied closes it.
 */
export async function respond(w: Writer, surveyId: string, answer: SurveyAnswer, by: Responder): Promise<Answered> {
  const [found] = await w.tx.select({ conversationId: surveys.conversationId }).from(surveys).where(eq(surveys.id, surveyId)).limit(1);
  if (!found) throw SurveyError('not_found');
  // Conversation first, then survey: the order every writer of both takes.
  const [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, found.conversationId)).for('update');
  const [before] = await w.tx.select().from(surveys).where(eq(surveys.id, surveyId)).for('update');
  if (!conv || !before) throw SurveyError('not_found');
  const policy = await currentPolicy(w.tx);
  if (before.expiresAt <= w.now) throw SurveyError('expired', { params: { expiresAt: localTime(before.expiresAt, policy) } });
  if (answer.nps !== undefined && !policy.survey.npsEnabled.value) throw SurveyError('nps_disabled', { field: 'nps' });
  if (answer.solved === undefined && answer.satisfied === undefined && answer.csat === undefined) throw SurveyError('empty_answer', { field: 'csat' });

  const ratingDay = orgToday(policy, w.now);
  await lockDays(w, [before, { ...before, ratingDay }]);
  const [updated] = await w.tx
    .update(surveys)
    .set({
      respondedAt: w.now,
      recordedBy: by.recordedBy,
      solved: answer.solved ?? null,
      satisfied: answer.satisfied ?? null,
      csat: answer.csat ?? null,
      nps: answer.nps ?? null,
      comment: answer.comment?.trim() || null,
      ratingDay,
      updatedAt: w.now,
    })
    .where(eq(surveys.id, surveyId))
    .returning();
  // An answer changed on a later day leaves its first day: that day's previous rating counts again.
  if (before.ratingDay && before.ratingDay !== ratingDay) await recount(w, before);
  await recount(w, updated!);
  const [survey] = await w.tx.select().from(surveys).where(eq(surveys.id, surveyId));
  await w.changed({
    entityType: 'survey',
    entityId: surveyId,
    schema: SurveyView,
    before: surveyView(before, conv.number),
    after: surveyView(survey!, conv.number),
    event: 'survey.responded',
    audience: conversationAudience(conv),
  });
  return settle(w, conv, survey!, policy, by);
}

async function settle(w: Writer, conv: ConversationRow, survey: SurveyRow, policy: PolicyDocument, by: Responder): Promise<Answered> {
  // An answer about an earlier resolution still counts as a rating but no longer steers the case.
  if (survey.cycle !== conv.reopenCount) return { survey, conversation: conv, effect: 'none' };
  const satisfied = satisfactionOf(survey, policy);
  const negative = survey.solved === false || satisfied === false;
  const positive = !negative && (survey.solved === true || satisfied === true);
  if (negative && (conv.status === 'resolved' || conv.status === 'closed')) {
    const reason = reopenReason(survey, policy);
    const reopen: Reopen = { source: by.recordedBy ? 'callback' : 'confirmation', reason };
    const reopened = await reopenConversation(w, conv, reopen);
    if (!by.recordedBy) await addSystemMessage(w, reopened, REOPENED_NOTICE, { toCustomer: true });
    return { survey, conversation: reopened, effect: 'reopened' };
  }
  if (positive && conv.status === 'resolved') {
    return { survey, conversation: await updateConversation(w, conv, transitionPatch('closed', w.now)), effect: 'closed' };
  }
  return { survey, conversation: conv, effect: 'none' };
}

/** S3: back to work "until the customer is satisfied"; the owner hears at once. */
export async function reopenConversation(w: Writer, conv: ConversationRow, reopen: Reopen): Promise<ConversationRow> {
  const reopened = await updateConversation(w, conv, transitionPatch('open', w.now), { reopen });
  if (reopened.assigneeId) {
    await notify(w, [reopened.assigneeId], {
      kind: 'conversation.reopened',
      title: `会话 #${reopened.number} 已重新打开`,
      body: reopen.reason ?? '客户反馈问题未解决',
      entityType: 'conversation',
      entityId: reopened.id,
      data: { source: reopen.source },
    });
  }
  return reopened;
}

function feedbackView(a: Answered, policy: PolicyDocument): FeedbackView {
  const s = a.survey;
  return {
    surveyId: s.id,
    conversationNumber: a.conversation.number,
    npsEnabled: policy.survey.npsEnabled.value,
    expiresAt: s.expiresAt.toISOString(),
    respondedAt: s.respondedAt?.toISOString() ?? null,
    solved: s.solved,
    satisfied: s.satisfied,
    csat: s.csat,
    nps: s.nps,
    comment: s.comment,
    effect: a.effect,
    conversationStatus: a.conversation.status as FeedbackView['conversationStatus'],
  };
}

// ---------- the customer's link ----------

/** The survey a link stands for; a malformed, forged or unknown link is "invalid", a late one "expired". */
export async function openLink(db: Executor, token: string, now: Date): Promise<{ survey: SurveyRow; conversation: ConversationRow }> {
  const link = verifyLink(await organisationSigningKey(db), SURVEY_LINK, token);
  if (!link) throw SurveyError('invalid_link', { field: 'token' });
  const [row] = await db.select({ survey: surveys, conversation: conversations }).from(surveys).innerJoin(conversations, eq(conversations.id, surveys.conversationId)).where(eq(surveys.id, link.subject)).limit(1);
  if (!row) throw SurveyError('invalid_link', { field: 'token' });
  const expiresAt = link.expiresAt < row.survey.expiresAt ? link.expiresAt : row.survey.expiresAt;
  if (expiresAt <= now) throw SurveyError('expired', { field: 'token', params: { expiresAt: localTime(expiresAt, await currentPolicy(db)) } });
  return row;
}

/** What the feedback page shows before an answer: the survey as the customer last left it, and the zone to show its times in. */
export async function feedbackByToken(ctx: Ctx, token: string): Promise<{ feedback: FeedbackView; zone: string }> {
  const { survey, conversation } = await openLink(ctx.db, token, ctx.clock.now());
  const policy = await currentPolicy(ctx.db);
  return { feedback: feedbackView({ survey, conversation, effect: 'none' }, policy), zone: zoneOf(policy) };
}

export async function answerByToken(ctx: Ctx, token: string, answer: SurveyAnswer): Promise<FeedbackView> {
  const { survey } = await openLink(ctx.db, token, ctx.clock.now());
  return write(ctx, async (w) => feedbackView(await respond(w, survey.id, answer, { recordedBy: null }), await currentPolicy(w.tx)));
}

// ---------- the chat widget ----------

export interface VisitorSurvey {
  id: string;
  conversationId: string;
  conversationNumber: number;
  npsEnabled: boolean;
  expiresAt: string;
  answered: boolean;
  answer: { solved: boolean | null; satisfied: boolean | null; csat: number | null; nps: number | null; comment: string | null } | null;
}

function visitorSurveyView(s: SurveyRow, number: number, policy: PolicyDocument): VisitorSurvey {
  return {
    id: s.id,
    conversationId: s.conversationId,
    conversationNumber: number,
    npsEnabled: policy.survey.npsEnabled.value,
    expiresAt: s.expiresAt.toISOString(),
    answered: s.respondedAt !== null,
    answer: s.respondedAt ? { solved: s.solved, satisfied: s.satisfied, csat: s.csat, nps: s.nps, comment: s.comment } : null,
  };
}

/** A chat survey as the visitor sees it, if it is still open for their current resolution. */
export async function visitorSurvey(db: Executor, surveyId: string, now: Date): Promise<VisitorSurvey | null> {
  const [row] = await db.select({ survey: surveys, conversation: conversations }).from(surveys).innerJoin(conversations, eq(conversations.id, surveys.conversationId)).where(eq(surveys.id, surveyId)).limit(1);
  if (!row || row.survey.via !== 'chat' || row.survey.expiresAt <= now || row.survey.cycle !== row.conversation.reopenCount) return null;
  return visitorSurveyView(row.survey, row.conversation.number, await currentPolicy(db));
}

/** The open chat survey of the visitor's conversation, shown again when the widget reconnects. */
export async function pendingVisitorSurvey(db: Executor, conv: ConversationRow, now: Date): Promise<VisitorSurvey | null> {
  const s = await surveyOfCycle(db, conv.id, conv.reopenCount);
  return s ? visitorSurvey(db, s.id, now) : null;
}

/** The visitor answers in the widget; only a survey of their own conversations is found. */
export async function answerAsVisitor(ctx: Ctx, visitorId: string, surveyId: string, answer: SurveyAnswer): Promise<FeedbackView> {
  return write(ctx, async (w) => {
    const [own] = await w.tx
      .select({ id: surveys.id })
      .from(surveys)
      .innerJoin(conversations, eq(conversations.id, surveys.conversationId))
      .where(and(eq(surveys.id, surveyId), eq(conversations.visitorId, visitorId)))
      .limit(1);
    if (!own) throw SurveyError('not_found', { field: 'surveyId' });
    return feedbackView(await respond(w, surveyId, answer, { recordedBy: null }), await currentPolicy(w.tx));
  });
}

// ---------- staff ----------

/**
 * Who sees a survey: those who see its conversation, the agent it rates (even after a transfer),
 * and a team lead their team's.
 */
function surveyScope(actor: Actor): SQL | undefined {
  const visible = visibleCondition(actor);
  if (!visible) return undefined;
  const team = actor.role === 'team_lead' && actor.teamId ? eq(surveys.teamId, actor.teamId) : undefined;
  return or(eq(surveys.agentId, actor.id ?? NO_ID), team, visible);
}

async function findSurvey(db: Executor, actor: Actor, id: string): Promise<{ survey: SurveyRow; number: number }> {
  const [row] = await db
    .select({ survey: surveys, number: conversations.number })
    .from(surveys)
    .innerJoin(conversations, eq(conversations.id, surveys.conversationId))
    .where(and(eq(surveys.id, id), surveyScope(actor)))
    .limit(1);
  if (!row) throw SurveyError('not_found');
  return row;
}

export async function getSurvey(ctx: Ctx, id: string): Promise<SurveyView> {
  const { survey, number } = await findSurvey(ctx.db, ctx.actor, id);
  return surveyView(survey, number);
}

/** An agent records the customer's answer given on a callback (S4). */
export async function recordResponse(ctx: Ctx, id: string, answer: SurveyAnswer): Promise<SurveyView> {
  return write(ctx, async (w) => {
    await findSurvey(w.tx, ctx.actor, id);
    const { survey, conversation } = await respond(w, id, answer, { recordedBy: ctx.actor.id });
    return surveyView(survey, conversation.number);
  });
}

/**
 * The rating a callback agent hears goes to the survey of the conversation's latest resolution,
 * answering the invitation the customer left open (one invitation, one answer); without one, the
 * callback itself is the invitation.
 */
export async function respondOnCallback(w: Writer, conv: ConversationRow, answer: SurveyAnswer): Promise<Answered> {
  const policy = await currentPolicy(w.tx);
  if (!policy.survey.onCallback.value) throw SurveyError('not_on_callback', { field: 'rating' });
  const survey = (await surveyOfCycle(w.tx, conv.id, conv.reopenCount)) ?? (await insertSurvey(w, conv, 'callback', policy));
  return respond(w, survey.id, answer, { recordedBy: w.ctx.actor.id });
}

export interface SurveyFilter {
  agentId?: string;
  teamId?: string;
  channel?: string;
  via?: string;
  problemType?: string;
  conversationId?: string;
  /** Invited at or after. */
  from?: string;
  /** Invited before. */
  to?: string;
  responded?: boolean;
  counted?: boolean;
}

function filterConditions(ctx: Ctx, f: SurveyFilter): SQL[] {
  const me = ctx.actor.id ?? NO_ID;
  return [
    surveyScope(ctx.actor),
    f.agentId ? eq(surveys.agentId, f.agentId === 'me' ? me : f.agentId) : undefined,
    f.teamId ? eq(surveys.teamId, f.teamId) : undefined,
    f.channel ? eq(surveys.channel, f.channel) : undefined,
    f.via ? eq(surveys.via, f.via) : undefined,
    f.problemType ? eq(surveys.problemType, f.problemType) : undefined,
    f.conversationId ? eq(surveys.conversationId, f.conversationId) : undefined,
    f.from ? gte(surveys.invitedAt, new Date(f.from)) : undefined,
    f.to ? lt(surveys.invitedAt, new Date(f.to)) : undefined,
    f.responded === undefined ? undefined : f.responded ? isNotNull(surveys.respondedAt) : isNull(surveys.respondedAt),
    f.counted === undefined ? undefined : eq(surveys.counted, f.counted),
  ].filter((c): c is SQL => c !== undefined);
}

/** Newest first. */
export async function listSurveys(ctx: Ctx, f: SurveyFilter & { beforeId?: string; limit: number }): Promise<SurveyView[]> {
  const rows = await ctx.db
    .select({ survey: surveys, number: conversations.number })
    .from(surveys)
    .innerJoin(conversations, eq(conversations.id, surveys.conversationId))
    .where(and(...filterConditions(ctx, f), f.beforeId ? lt(surveys.id, f.beforeId) : undefined))
    .orderBy(desc(surveys.id))
    .limit(f.limit + 1);
  return rows.map((r) => surveyView(r.survey, r.number));
}

/**
 * S4: how many were invited, answered and counted, and how the counted ratings (the last of each
 * customer·agent·day) answered. Counts only: the shares built on them are KPIs defined once in the
 * registry (R3) — survey_response_rate, csat, csat_top2, satisfied_rate, solved_rate, nps.
 */
export async function surveyStatistics(ctx: Ctx, f: SurveyFilter): Promise<SurveyStatistics> {
  const policy = await currentPolicy(ctx.db);
  const now = ctx.clock.now();
  const n = (condition: SQL) => sql<number>`(count(*) filter (where ${condition}))::int`;
  const counted = sql`${surveys.counted}`;
  const satisfied = satisfiedSql(surveys, policy);
  const [r] = await ctx.db
    .select({
      invited: sql<number>`count(*)::int`,
      responded: n(sql`${surveys.respondedAt} is not null`),
      expired: n(sql`${surveys.respondedAt} is null and ${surveys.expiresAt} <= ${now}`),
      counted: n(counted),
      csatRatings: n(sql`${counted} and ${surveys.csat} is not null`),
      satisfied: n(sql`${counted} and ${satisfied}`),
      notSatisfied: n(sql`${counted} and not ${satisfied}`),
      solved: n(sql`${counted} and ${surveys.solved}`),
      notSolved: n(sql`${counted} and not ${surveys.solved}`),
      promoters: n(sql`${counted} and ${surveys.nps} >= 9`),
      passives: n(sql`${counted} and ${surveys.nps} between 7 and 8`),
      detractors: n(sql`${counted} and ${surveys.nps} <= 6`),
    })
    .from(surveys)
    .innerJoin(conversations, eq(conversations.id, surveys.conversationId))
    .where(and(...filterConditions(ctx, f)));
  const s = r!;
  return {
    invited: s.invited,
    responded: s.responded,
    expired: s.expired,
    counted: s.counted,
    csatRatings: s.csatRatings,
    satisfaction: { rated: s.satisfied + s.notSatisfied, satisfied: s.satisfied, notSatisfied: s.notSatisfied },
    solution: { answered: s.solved + s.notSolved, solved: s.solved, notSolved: s.notSolved },
    nps: { ratings: s.promoters + s.passives + s.detractors, promoters: s.promoters, passives: s.passives, detractors: s.detractors },
  };
}

