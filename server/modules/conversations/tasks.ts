import { and, asc, eq, gt, isNull, lte, ne, not, or, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId, NO_ID } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes, type Audience } from '../../platform/events/outbox.ts';
import { cancelJobs, scheduleJob, type JobRunner } from '../../platform/jobs/runner.ts';
import { write, type Writer } from '../../platform/write.ts';
import { departments, staff } from '../org/schema.ts';
import { PARTNER_KINDS } from '../policy/document.ts';
import { ConversationError, conversationAudience, findVisible, mustOwn, updateConversation, visibleCondition } from './record.ts';
import { assign, route, RoutingError, SERVING_ROLES } from './routing.ts';
import { agentStates, conversationTasks, conversations, queues } from './schema.ts';
import { addSystemMessage } from './service.ts';
import { HandoffBrief, TaskView, conversationView, taskView, type CallbackOutcome, type ConversationRow, type TaskKind, type TaskOrigin } from './views.ts';
import type { Static } from '@sinclair/typebox';

export const TaskError = defineErrors('task', {
  not_found: [404, { 'zh-CN': '任务不存在', 'zh-TW': '任務不存在', en: 'Task not found' }],
  not_open: [409, { 'zh-CN': '任务已完成或已取消', 'zh-TW': '任務已完成或已取消', en: 'The task is already done or cancelled' }],
  not_partner_department: [400, { 'zh-CN': '只能转办给协同部门（销售、生产、财务、物流）', 'zh-TW': '只能轉辦給協同部門（銷售、生產、財務、物流）', en: 'Hand-offs go to a partner department (sales, production, finance, logistics)' }],
  due_in_past: [400, { 'zh-CN': '到期时间必须晚于当前时间', 'zh-TW': '到期時間必須晚於目前時間', en: 'The due time must be in the future' }],
  no_target: [400, { 'zh-CN': '请指定转交的坐席或队列', 'zh-TW': '請指定轉交的坐席或佇列', en: 'Name an agent or a queue to transfer to' }],
  no_escalation_target: [409, { 'zh-CN': '没有可接手升级的高级支持人员', 'zh-TW': '沒有可接手升級的高級支援人員', en: 'Nobody is available to take the escalation' }],
  outcome_required: [422, { 'zh-CN': '结案回访须记录回访结果（已联系上、未接通、满意或不满意）后完成', 'zh-TW': '結案回訪須記錄回訪結果（已聯繫上、未接通、滿意或不滿意）後完成', en: 'A closure callback is completed by recording its outcome (reached, unreached, satisfied or not satisfied)' }],
});

declareEventTypes({
  'task.created': '转办、升级或跟进任务已创建',
  'task.completed': '任务已完成',
  'task.cancelled': '任务已取消（如迟到的接听事件表明未接来电其实已接通）',
  'task.due': '跟进或转办任务到期',
});

export const FOLLOW_UP_JOB = 'conversation.follow_up_due';
/** The dedupe key of a task's due-time job: cancelled when the task ends. */
export const taskDueKey = (taskId: string) => `task-due:${taskId}`;

function taskAudience(t: { assigneeId: string | null; departmentId: string | null; createdBy: string | null }, conv: ConversationRow, partnerStaff: string[] = []): Audience {
  const base = conversationAudience(conv);
  return { ...base, staffIds: [...new Set([...(base.staffIds ?? []), ...(t.assigneeId ? [t.assigneeId] : []), ...partnerStaff])] };
}

async function departmentStaff(db: Executor, departmentId: string | null): Promise<string[]> {
  if (!departmentId) return [];
  const rows = await db.select({ id: staff.id }).from(staff).where(and(eq(staff.departmentId, departmentId), eq(staff.status, 'active')));
  return rows.map((r) => r.id);
}

export async function insertTask(
  w: Writer,
  conv: ConversationRow,
  t: { kind: TaskKind; title: string; note?: string | null; departmentId?: string | null; assigneeId?: string | null; dueAt?: Date | null; customerMessage?: string | null; origin?: TaskOrigin },
): Promise<TaskView> {
  const [row] = await w.tx
    .insert(conversationTasks)
    .values({
      id: newId(),
      conversationId: conv.id,
      kind: t.kind,
      status: 'open',
      title: t.title,
      note: t.note ?? null,
      departmentId: t.departmentId ?? null,
      assigneeId: t.assigneeId ?? null,
      dueAt: t.dueAt ?? null,
      customerMessage: t.customerMessage ?? null,
      origin: t.origin ?? 'agent',
      createdBy: w.ctx.actor.id,
      createdAt: w.now,
      updatedAt: w.now,
    })
    .returning();
  const view = taskView(row!, conv.number, w.now);
  await w.changed({
    entityType: 'task',
    entityId: row!.id,
    schema: TaskView,
    before: null,
    after: view,
    event: 'task.created',
    audience: taskAudience(row!, conv, await departmentStaff(w.tx, row!.departmentId)),
  });
  if (row!.dueAt) await scheduleJob(w, { kind: FOLLOW_UP_JOB, payload: { taskId: row!.id }, runAt: row!.dueAt, dedupeKey: taskDueKey(row!.id) });
  return view;
}

function checkDue(w: Writer, dueAt: string | undefined | null): Date | null {
  if (!dueAt) return null;
  const d = new Date(dueAt);
  if (d <= w.now) throw TaskError('due_in_past', { field: 'dueAt' });
  return d;
}

/** Only the assignee, or a supervisor, hands a conversation on. */
// ---------- transfer (CH7) ----------

export async function transfer(ctx: Ctx, conversationId: string, input: { toStaffId?: string; toQueueId?: string; note: string }) {
  if (!input.toStaffId && !input.toQueueId) throw TaskError('no_target', { field: 'toStaffId' });
  const after = await write(ctx, async (w) => {
    let conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (conv.status === 'closed') throw ConversationError('closed');
    mustOwn(ctx.actor, conv);
    const from = ctx.actor.name ?? '系统';
    if (input.toStaffId) {
      const [target] = await w.tx.select().from(staff).where(eq(staff.id, input.toStaffId)).limit(1);
      if (!target || !(SERVING_ROLES as readonly string[]).includes(target.role) || target.status !== 'active') throw RoutingError('agent_not_found', { field: 'toStaffId' });
      conv = await assign(w, conv, target.id, { code: 'transfer', text: `由 ${from} 转交：${input.note}` }, { queueId: input.toQueueId ?? conv.queueId, endReason: 'transferred' });
      await addSystemMessage(w, conv, `${from} 将会话转交给 ${target.displayName}：${input.note}`);
    } else {
      const [q] = await w.tx.select().from(queues).where(eq(queues.id, input.toQueueId!)).limit(1);
      if (!q) throw RoutingError('queue_not_found', { field: 'toQueueId' });
      conv = await assign(w, conv, null, { code: 'transfer', text: `由 ${from} 转入队列「${q.name}」：${input.note}` }, { queueId: q.id, endReason: 'transferred' });
      await addSystemMessage(w, conv, `${from} 将会话转入队列「${q.name}」：${input.note}`);
      if (conv.status === 'open') conv = await updateConversation(w, conv, { status: 'new' });
      conv = await route(w, conv);
    }
    return conv;
  });
  return conversationView(after, ctx.clock.now());
}

// ---------- escalation (CH7, 高级支持请求) ----------

/**
 * Raises the support level and gives an engineer (or the named person) a task; the agent keeps
 * the conversation (首问负责): the customer keeps one point of contact until it closes.
 */
export async function escalate(ctx: Ctx, conversationId: string, input: { toStaffId?: string; note: string; dueAt?: string | null }) {
  return write(ctx, async (w) => {
    let conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (conv.status === 'closed') throw ConversationError('closed');
    mustOwn(ctx.actor, conv);
    const dueAt = checkDue(w, input.dueAt);
    let targetId = input.toStaffId ?? null;
    if (targetId) {
      const [t] = await w.tx.select({ id: staff.id, role: staff.role }).from(staff).where(and(eq(staff.id, targetId), eq(staff.status, 'active'))).limit(1);
      if (!t || t.role === 'partner') throw RoutingError('agent_not_found', { field: 'toStaffId' });
    } else {
      // The least-loaded engineer who is online, else any active engineer.
      const engineers = await w.tx
        .select({ id: staff.id, status: agentStates.status })
        .from(staff)
        .leftJoin(agentStates, eq(agentStates.staffId, staff.id))
        .where(and(eq(staff.role, 'engineer'), eq(staff.status, 'active')))
        .orderBy(asc(staff.id));
      targetId = (engineers.find((e) => e.status === 'online') ?? engineers[0])?.id ?? null;
      if (!targetId) throw TaskError('no_escalation_target');
    }
    conv = await updateConversation(w, conv, { supportLevel: conv.supportLevel + 1, escalationCount: conv.escalationCount + 1, status: conv.status === 'new' ? 'open' : conv.status });
    const task = await insertTask(w, conv, { kind: 'escalation', title: `升级至 ${conv.supportLevel} 级支持`, note: input.note, assigneeId: targetId, dueAt });
    await addSystemMessage(w, conv, `${ctx.actor.name} 升级至 ${conv.supportLevel} 级支持：${input.note}`);
    return task;
  });
}

// ---------- partner hand-off (CH7, 复杂问题升级流程) ----------

export async function handOff(ctx: Ctx, conversationId: string, input: { departmentId: string; title: string; note?: string | null; dueAt: string }) {
  return write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (conv.status === 'closed') throw ConversationError('closed');
    mustOwn(ctx.actor, conv);
    const [dept] = await w.tx.select().from(departments).where(eq(departments.id, input.departmentId)).limit(1);
    if (!dept || !(PARTNER_KINDS as readonly string[]).includes(dept.kind)) throw TaskError('not_partner_department', { field: 'departmentId' });
    const dueAt = checkDue(w, input.dueAt);
    const task = await insertTask(w, conv, { kind: 'handoff', title: input.title, note: input.note, departmentId: dept.id, dueAt });
    await addSystemMessage(w, conv, `${ctx.actor.name} 转办${dept.name}：${input.title}（到期 ${input.dueAt}）`);
    // A partner's help means the first contact did not resolve it alone (S6): counted as an escalation.
    const waiting = conv.status === 'open' || conv.status === 'new';
    await updateConversation(w, conv, { escalationCount: conv.escalationCount + 1, ...(waiting ? { status: 'pending_internal', pendingSince: w.now } : {}) }, { quiet: !waiting });
    return task;
  });
}

// ---------- follow-ups (CH9) ----------

export async function scheduleFollowUp(ctx: Ctx, conversationId: string, input: { dueAt: string; note: string; customerMessage?: string | null }) {
  return write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (conv.status === 'closed') throw ConversationError('closed');
    const dueAt = checkDue(w, input.dueAt);
    return insertTask(w, conv, { kind: 'follow_up', title: '跟进', note: input.note, assigneeId: conv.assigneeId ?? ctx.actor.id, dueAt, customerMessage: input.customerMessage });
  });
}

/**
 * At the due time: the conversation is flagged, the owner told — or their team when the owner is
 * not online — and, for a follow-up with a progress message, the customer hears from us.
 */
export function registerTaskJobs(jobs: JobRunner): void {
  jobs.register(FOLLOW_UP_JOB, async (payload, jc) => {
    await jc.complete(async (w) => {
      const [task] = await w.tx.select().from(conversationTasks).where(eq(conversationTasks.id, String(payload.taskId))).for('update');
      if (!task || task.status !== 'open') return;
      const [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, task.conversationId)).for('update');
      if (!conv) return;
      const ownerId = conv.assigneeId ?? task.assigneeId;
      const [state] = ownerId ? await w.tx.select({ status: agentStates.status }).from(agentStates).where(eq(agentStates.staffId, ownerId)) : [];
      const [owner] = ownerId ? await w.tx.select({ teamId: staff.teamId, name: staff.displayName }).from(staff).where(eq(staff.id, ownerId)) : [];
      const ownerOnline = state?.status === 'online' || state?.status === 'busy';
      const audience: Audience =
        ownerId && ownerOnline
          ? { staffIds: [ownerId], permissions: ['conversations.read_all'] }
          : { staffIds: ownerId ? [ownerId] : [], teamIds: owner?.teamId ? [owner.teamId] : conv.teamId ? [conv.teamId] : [], permissions: ['conversations.read_all'] };
      let flagged = conv;
      if (task.kind === 'follow_up' || !conv.followUpDueAt) flagged = await updateConversation(w, conv, { followUpDueAt: task.dueAt ?? w.now }, { quiet: true });
      await w.emit({
        type: 'task.due',
        entityType: 'task',
        entityId: task.id,
        data: { ...taskView(task, conv.number, w.now), conversation: conversationView(flagged, w.now), ownerId, ownerOnline, notifiedTeam: !ownerOnline },
        audience: { ...audience, staffIds: [...new Set([...(audience.staffIds ?? []), ...(await departmentStaff(w.tx, task.departmentId))])] },
      });
      if (task.kind === 'follow_up' && task.customerMessage && conv.status !== 'closed') await addSystemMessage(w, flagged, task.customerMessage, { toCustomer: true });
    });
  });
}

// ---------- reading and completing tasks ----------

/** Partners see their department's hand-offs; staff the tasks on conversations they can see or assigned to them. */
export function taskScope(ctx: Ctx): SQL | undefined {
  const { actor } = ctx;
  if (actor.role === 'partner') return actor.departmentId ? eq(conversationTasks.departmentId, actor.departmentId) : eq(conversationTasks.id, NO_ID);
  const visible = visibleCondition(actor);
  if (!visible) return undefined;
  return or(eq(conversationTasks.assigneeId, actor.id ?? ''), visible);
}

/** S5, the SQL twin of `callbackMissed`: a callback due by `now` and not reached by its due time. */
export function missedCallbackCondition(now: Date): SQL {
  const reachedInTime = and(
    eq(conversationTasks.status, 'done'),
    or(isNull(conversationTasks.outcome), ne(conversationTasks.outcome, 'unreached')),
    lte(conversationTasks.completedAt, conversationTasks.dueAt),
  )!;
  return and(eq(conversationTasks.kind, 'callback'), ne(conversationTasks.status, 'cancelled'), lte(conversationTasks.dueAt, now), not(reachedInTime))!;
}

export async function listTasks(
  ctx: Ctx,
  f: { status?: string; kind?: string; origin?: string; missed?: boolean; conversationId?: string; mine?: boolean; limit: number; afterId?: string },
) {
  const rows = await ctx.db
    .select({ task: conversationTasks, number: conversations.number })
    .from(conversationTasks)
    .innerJoin(conversations, eq(conversations.id, conversationTasks.conversationId))
    .where(
      and(
        taskScope(ctx),
        f.status ? eq(conversationTasks.status, f.status) : undefined,
        f.kind ? eq(conversationTasks.kind, f.kind) : undefined,
        f.origin ? eq(conversationTasks.origin, f.origin) : undefined,
        f.missed === undefined ? undefined : f.missed ? missedCallbackCondition(ctx.clock.now()) : not(missedCallbackCondition(ctx.clock.now())),
        f.conversationId ? eq(conversationTasks.conversationId, f.conversationId) : undefined,
        f.mine ? eq(conversationTasks.assigneeId, ctx.actor.id ?? '') : undefined,
        f.afterId ? gt(conversationTasks.id, f.afterId) : undefined,
      ),
    )
    .orderBy(asc(conversationTasks.id))
    .limit(f.limit + 1);
  return rows.map((r) => ({ ...r.task, conversationNumber: r.number }));
}

export async function findTask(ctx: Ctx, db: Executor, id: string, lock = false) {
  const q = db
    .select({ task: conversationTasks, number: conversations.number })
    .from(conversationTasks)
    .innerJoin(conversations, eq(conversations.id, conversationTasks.conversationId))
    .where(and(eq(conversationTasks.id, id), taskScope(ctx)))
    .limit(1);
  const [row] = lock ? await q.for('update', { of: conversationTasks }) : await q;
  if (!row) throw TaskError('not_found');
  return row;
}

/** The partner's view of the case: problem and intake, never the customer's contact data. */
export async function taskBrief(ctx: Ctx, id: string): Promise<{ task: TaskView; brief: Static<typeof HandoffBrief> }> {
  const { task, number } = await findTask(ctx, ctx.db, id);
  const [conv] = await ctx.db.select().from(conversations).where(eq(conversations.id, task.conversationId)).limit(1);
  const [owner] = conv!.assigneeId ? await ctx.db.select({ name: staff.displayName }).from(staff).where(eq(staff.id, conv!.assigneeId)) : [];
  const { contact: _contact, ...intake } = conv!.intake;
  return {
    task: taskView(task, number, ctx.clock.now()),
    brief: { number: conv!.number, channel: conv!.channel as Static<typeof HandoffBrief>['channel'], subject: conv!.subject, problemType: conv!.problemType, intake, ownerName: owner?.name ?? null },
  };
}

const TASK_LABELS: Record<TaskKind, string> = { handoff: '转办', escalation: '升级', follow_up: '跟进', callback: '回拨' };

/**
 * Ends an open task in the caller's transaction: a note on the conversation, the due job cancelled,
 * and with no open task left the flag clears and a case waiting on the inside returns to its owner.
 */
export async function finishTask(
  w: Writer,
  task: typeof conversationTasks.$inferSelect,
  conv: ConversationRow,
  o: { status: 'done' | 'cancelled'; result: string; by: string | null; outcome?: CallbackOutcome },
): Promise<{ task: TaskView; conversation: ConversationRow }> {
  const [row] = await w.tx
    .update(conversationTasks)
    .set({ status: o.status, result: o.result, completedAt: w.now, completedBy: o.by, updatedAt: w.now, ...(o.outcome ? { outcome: o.outcome } : {}) })
    .where(eq(conversationTasks.id, task.id))
    .returning();
  await cancelJobs(w.tx, taskDueKey(task.id), w.now);
  const label = TASK_LABELS[task.kind as TaskKind] ?? '任务';
  const who = o.by ? `${w.ctx.actor.name ?? '系统'} ` : '';
  await addSystemMessage(w, conv, `${who}${o.status === 'done' ? '完成' : '取消'}${label}「${task.title}」：${o.result}`);
  let c = conv;
  const open = await w.tx.select({ id: conversationTasks.id }).from(conversationTasks).where(and(eq(conversationTasks.conversationId, c.id), eq(conversationTasks.status, 'open'))).limit(1);
  if (open.length === 0) {
    const patch: Partial<ConversationRow> = { followUpDueAt: null };
    if (c.status === 'pending_internal') Object.assign(patch, { status: 'open', pendingSince: null });
    if (patch.status || c.followUpDueAt) c = await updateConversation(w, c, patch, patch.status ? {} : { quiet: true });
  }
  const view = taskView(row!, c.number, w.now);
  await w.changed({
    entityType: 'task',
    entityId: task.id,
    schema: TaskView,
    before: taskView(task, c.number, w.now),
    after: view,
    event: o.status === 'done' ? 'task.completed' : 'task.cancelled',
    audience: taskAudience(row!, c, await departmentStaff(w.tx, row!.departmentId)),
  });
  return { task: view, conversation: c };
}

export async function completeTask(ctx: Ctx, id: string, input: { result: string }): Promise<TaskView> {
  return write(ctx, async (w) => {
    const { task } = await findTask(ctx, w.tx, id, true);
    if (task.status !== 'open') throw TaskError('not_open');
    // A 回访 is judged by what it achieved (S5): without an outcome it would count as missed.
    if (task.kind === 'callback' && task.origin === 'closure') throw TaskError('outcome_required', { field: 'outcome' });
    const [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, task.conversationId)).for('update');
    return (await finishTask(w, task, conv!, { status: 'done', result: input.result, by: ctx.actor.id })).task;
  });
}
