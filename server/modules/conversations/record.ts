import { and, eq, exists, gte, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import type { Actor } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes, type Audience } from '../../platform/events/outbox.ts';
import type { Writer } from '../../platform/write.ts';
import { newId, NO_ID } from '../../db/columns.ts';
import { conversationReopens, conversationTasks, conversations, queueMembers } from './schema.ts';
import { ConversationView, conversationView, type ConversationRow } from './views.ts';

export const ConversationError = defineErrors('conversation', {
  not_found: [404, { 'zh-CN': '会话不存在', 'zh-TW': '會話不存在', en: 'Conversation not found' }],
  invalid_transition: [409, { 'zh-CN': '会话不能从「{from}」变为「{to}」', 'zh-TW': '會話不能從「{from}」變為「{to}」', en: 'A conversation cannot go from {from} to {to}' }],
  intake_incomplete: [422, { 'zh-CN': '问题类型「{problemType}」须填写：{fields}', 'zh-TW': '問題類型「{problemType}」須填寫：{fields}', en: 'Problem type {problemType} requires: {fields}' }],
  problem_type_required: [422, { 'zh-CN': '解决前须选择问题类型', 'zh-TW': '解決前須選擇問題類型', en: 'Choose a problem type before resolving' }],
  unknown_problem_type: [400, { 'zh-CN': '未知问题类型 {code}', 'zh-TW': '未知問題類型 {code}', en: 'Unknown problem type {code}' }],
  unknown_business_domain: [400, { 'zh-CN': '未知业务领域 {code}', 'zh-TW': '未知業務領域 {code}', en: 'Unknown business domain {code}' }],
  closed: [409, { 'zh-CN': '会话已关闭，请新建会话', 'zh-TW': '會話已關閉，請新建會話', en: 'The conversation is closed; start a new one' }],
  message_too_long: [413, { 'zh-CN': '消息超过 {limit} 字', 'zh-TW': '訊息超過 {limit} 字', en: 'The message exceeds {limit} characters' }],
  message_empty: [400, { 'zh-CN': '消息不能为空', 'zh-TW': '訊息不能為空', en: 'The message is empty' }],
  customer_not_found: [404, { 'zh-CN': '客户不存在', 'zh-TW': '客戶不存在', en: 'Customer not found' }],
  attachment_not_found: [404, { 'zh-CN': '附件不存在', 'zh-TW': '附件不存在', en: 'Attachment not found' }],
  attachment_in_use: [409, { 'zh-CN': '附件已属于另一条消息', 'zh-TW': '附件已屬於另一則訊息', en: 'The attachment already belongs to another message' }],
  not_assignee: [403, { 'zh-CN': '只有当前负责人或主管可以执行此操作', 'zh-TW': '只有目前負責人或主管可以執行此操作', en: 'Only the assignee or a supervisor may do this' }],
  client_id_conflict: [409, { 'zh-CN': '客户端消息编号 {clientId} 已用于另一条内容不同的消息', 'zh-TW': '用戶端訊息編號 {clientId} 已用於另一則內容不同的訊息', en: 'Client id {clientId} was already used for a different message' }],
});

declareEventTypes({
  'conversation.created': '新会话（任意渠道）',
  'conversation.updated': '会话状态、负责人、优先级、标签或问题记录变化',
  'conversation.assigned': '会话分配给坐席（含原因）',
  'message.created': '会话新消息（客户、客服、系统或内部备注）',
});

/** Who is told about a conversation: its assignee, its team, and those who see all conversations. */
export function conversationAudience(r: Pick<ConversationRow, 'assigneeId' | 'teamId'>): Audience {
  return {
    permissions: ['conversations.read_all'],
    staffIds: r.assigneeId ? [r.assigneeId] : [],
    teamIds: r.teamId ? [r.teamId] : [],
  };
}

/**
 * The conversations a caller may see. QA, trainers and management see all; a team lead their
 * team's and the unrouted; everyone else their own, the waiting work of their queues, and the
 * cases on which they hold a task (an engineer's escalation).
 */
export function visibleCondition(actor: Actor): SQL | undefined {
  if (actor.type === 'system' || actor.permissions.has('conversations.read_all')) return undefined;
  const me = actor.id ?? NO_ID;
  const mine = eq(conversations.assigneeId, me);
  const myQueues = and(
    isNull(conversations.assigneeId),
    inArray(conversations.queueId, sql`(select ${queueMembers.queueId} from ${queueMembers} where ${queueMembers.staffId} = ${me})`),
  );
  const myTasks = exists(
    sql`(select 1 from ${conversationTasks} where ${conversationTasks.conversationId} = ${conversations.id} and ${conversationTasks.assigneeId} = ${me})`,
  );
  if (actor.role === 'team_lead') {
    return or(mine, myQueues, myTasks, isNull(conversations.queueId), actor.teamId ? eq(conversations.teamId, actor.teamId) : undefined);
  }
  return or(mine, myQueues, myTasks);
}

/** Loads a conversation the caller may see; 404 otherwise, so ids of others' work leak nothing. */
export async function findVisible(db: Executor, actor: Actor, id: string, opts: { lock?: boolean } = {}): Promise<ConversationRow> {
  const q = db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, id), visibleCondition(actor)))
    .limit(1);
  const [row] = opts.lock ? await q.for('update', { of: conversations }) : await q;
  if (!row) throw ConversationError('not_found');
  return row;
}

/** Work on a case is its assignee's; supervisors (who may assign) may act on anyone's. */
export function mustOwn(actor: Actor, conv: ConversationRow): void {
  if (conv.assigneeId && conv.assigneeId !== actor.id && !actor.permissions.has('conversations.assign')) throw ConversationError('not_assignee');
}

/** The agent-active clock (AHT) runs while a text conversation is open with an assignee; phone time comes from the call record. */
const clockRuns = (r: Pick<ConversationRow, 'channel' | 'status' | 'assigneeId'>) => r.channel !== 'phone' && r.status === 'open' && r.assigneeId !== null;

export type ConversationPatch = Partial<Omit<ConversationRow, 'id' | 'number' | 'createdAt'>>;

/** Who or what reopened a resolved or closed conversation, and why (S3). */
export interface Reopen {
  source: 'customer_message' | 'confirmation' | 'callback' | 'agent';
  reason?: string | null;
}

export type ConversationHook = (w: Writer, before: ConversationRow | null, after: ConversationRow) => Promise<void>;
const hooks: ConversationHook[] = [];

/**
 * Modules that keep state beside a conversation (SLA clocks, surveys, callbacks) follow every
 * change in the same transaction; hooks run in registration order, `before` is null on creation.
 */
export function onConversationChange(hook: ConversationHook): void {
  hooks.push(hook);
}

export async function conversationChanged(w: Writer, before: ConversationRow | null, after: ConversationRow): Promise<void> {
  for (const hook of hooks) await hook(w, before, after);
}

const isReopen = (from: string, to: string | undefined) => (from === 'resolved' || from === 'closed') && to === 'open';

/**
 * Applies a change, keeps the AHT clock and the reopen chain, runs the hooks and records
 * audit + event. `quiet` is for bookkeeping (message timestamps) that every message would
 * otherwise turn into an audit entry.
 */
export async function updateConversation(
  w: Writer,
  before: ConversationRow,
  patch: ConversationPatch,
  opts: { event?: string; quiet?: boolean; reopen?: Reopen } = {},
): Promise<ConversationRow> {
  const next = { ...before, ...patch, updatedAt: w.now };
  const reopening = isReopen(before.status, patch.status);
  if (reopening) {
    Object.assign(next, { reopenCount: before.reopenCount + 1, resolvedAt: null, closedAt: null });
    const reopen = opts.reopen ?? { source: 'agent' };
    await w.tx.insert(conversationReopens).values({
      id: newId(),
      conversationId: before.id,
      fromStatus: before.status,
      source: reopen.source,
      reason: reopen.reason ?? null,
      actorId: w.ctx.actor.id,
      at: w.now,
    });
  }
  const wasRunning = clockRuns(before) && before.activeSince !== null;
  if (wasRunning && !clockRuns(next)) {
    next.handlingMs = before.handlingMs + Math.max(0, w.now.getTime() - before.activeSince!.getTime());
    next.activeSince = null;
  } else if (!wasRunning && clockRuns(next)) {
    next.activeSince = w.now;
  }
  const { id, number: _n, createdAt: _c, ...values } = next;
  const [after] = await w.tx.update(conversations).set(values).where(eq(conversations.id, id)).returning();
  await conversationChanged(w, before, after!);
  if (!opts.quiet || reopening) {
    await w.changed({
      entityType: 'conversation',
      entityId: id,
      schema: ConversationView,
      before: conversationView(before),
      after: conversationView(after!),
      event: opts.event ?? 'conversation.updated',
      audience: mergeAudience(conversationAudience(before), conversationAudience(after!)),
    });
  }
  return after!;
}

/** A reassignment tells both the old and the new assignee. */
export function mergeAudience(a: Audience, b: Audience): Audience {
  const union = <T>(x: T[] = [], y: T[] = []) => [...new Set([...x, ...y])];
  return { permissions: union(a.permissions, b.permissions), staffIds: union(a.staffIds, b.staffIds), teamIds: union(a.teamIds, b.teamIds) };
}

/** When the given chat visitors started conversations from `from` on (K2 deflection: who asked a person after reading). */
export async function visitorConversationStarts(db: Executor, visitorIds: string[], from: Date): Promise<Array<{ visitorId: string; at: Date }>> {
  if (visitorIds.length === 0) return [];
  const rows = await db
    .select({ visitorId: conversations.visitorId, at: conversations.createdAt })
    .from(conversations)
    .where(and(inArray(conversations.visitorId, visitorIds), gte(conversations.createdAt, from)));
  return rows.map((r) => ({ visitorId: r.visitorId!, at: r.at }));
}
