import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { NO_ID } from '../../db/columns.ts';
import { DateTime } from 'luxon';
import type { Executor } from '../../db/client.ts';
// The SLA engine's conversation hook must run before ours: importing it first registers it first.
import { meetSlaTarget, startSlaTarget } from '../sla/engine.ts';
import { AuthError } from '../../platform/auth/service.ts';
import { can, type Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { cancelJobs } from '../../platform/jobs/runner.ts';
import { write, type Writer } from '../../platform/write.ts';
import { conversationAudience, onConversationChange } from '../conversations/record.ts';
import { SERVING_ROLES } from '../conversations/routing.ts';
import { agentStates, conversationTasks, conversations, queueMembers, queues } from '../conversations/schema.ts';
import { addSystemMessage } from '../conversations/service.ts';
import { TaskError, findTask, finishTask, insertTask, missedCallbackCondition, taskDueKey, taskScope } from '../conversations/tasks.ts';
import { TaskView, taskView, type CallbackOutcome, type ConversationRow } from '../conversations/views.ts';
import { customerReach } from '../customers/lookup.ts';
import { notify } from '../notifications/service.ts';
import { staff, teams } from '../org/schema.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { reopenConversation, respondOnCallback } from './service.ts';
import type { CallbackStatistics, SurveyAnswer } from './views.ts';

export const CallbackError = defineErrors('callback', {
  not_callback: [409, { 'zh-CN': '只有回拨任务可以记录回访结果', 'zh-TW': '只有回撥任務可以記錄回訪結果', en: 'Only callback tasks have an outcome' }],
  rating_needs_contact: [400, { 'zh-CN': '未接通时不能记录客户评价', 'zh-TW': '未接通時不能記錄客戶評價', en: 'A rating cannot be recorded when the customer was not reached' }],
  outcome_conflict: [400, { 'zh-CN': '回访结果与客户评价中的“是否满意”不一致', 'zh-TW': '回訪結果與客戶評價中的「是否滿意」不一致', en: 'The outcome contradicts the rating’s “satisfied” answer' }],
});

declareEventTypes({ 'callback.unreached': '回访未接通（截止前仍可再次回访）' });

/** Outcomes of a call that reached the customer: they meet the callback promise. */
const REACHING: readonly CallbackOutcome[] = ['reached', 'satisfied', 'not_satisfied'];

const localTime = (d: Date, policy: PolicyDocument) => DateTime.fromJSDate(d, { zone: policy.organisation.timezone.value }).toFormat('M月d日 HH:mm');

// ---------- closure callbacks (S5) ----------

interface CallbackAgent {
  id: string;
  /** Why this person: shown on the task, like an assignment's reason. */
  why: string;
}

/**
 * Who calls back: the owner while they are active and not offline; else the online serving member
 * of the conversation's queue with the fewest open callbacks; else the lead of its team.
 */
async function callbackAgent(db: Executor, conv: ConversationRow): Promise<CallbackAgent | null> {
  if (conv.assigneeId) {
    const [owner] = await db
      .select({ id: staff.id, name: staff.displayName, status: agentStates.status })
      .from(staff)
      .innerJoin(agentStates, eq(agentStates.staffId, staff.id))
      .where(and(eq(staff.id, conv.assigneeId), eq(staff.status, 'active')))
      .limit(1);
    if (owner && owner.status !== 'offline') return { id: owner.id, why: `由负责人 ${owner.name} 回访` };
  }
  if (conv.queueId) {
    const openCallbacks = sql<number>`(select count(*)::int from ${conversationTasks} where ${conversationTasks.assigneeId} = ${staff.id} and ${conversationTasks.kind} = 'callback' and ${conversationTasks.status} = 'open')`;
    const [member] = await db
      .select({ id: staff.id, name: staff.displayName, load: openCallbacks })
      .from(queueMembers)
      .innerJoin(staff, eq(staff.id, queueMembers.staffId))
      .innerJoin(agentStates, eq(agentStates.staffId, staff.id))
      .where(and(eq(queueMembers.queueId, conv.queueId), eq(staff.status, 'active'), inArray(staff.role, [...SERVING_ROLES]), eq(agentStates.status, 'online')))
      .orderBy(asc(openCallbacks), asc(staff.id))
      .limit(1);
    if (member) return { id: member.id, why: `负责人不在线，由队列中回访任务最少的在线坐席 ${member.name}（当前 ${member.load} 个）回访` };
  }
  const teamId = conv.teamId ?? (conv.queueId ? ((await db.select({ teamId: queues.teamId }).from(queues).where(eq(queues.id, conv.queueId)))[0]?.teamId ?? null) : null);
  if (teamId) {
    const [lead] = await db
      .select({ id: staff.id, name: staff.displayName })
      .from(teams)
      .innerJoin(staff, eq(staff.id, teams.leadId))
      .where(and(eq(teams.id, teamId), eq(staff.status, 'active')))
      .limit(1);
    if (lead) return { id: lead.id, why: `负责人与队列坐席均不在线，由主管 ${lead.name} 安排回访` };
  }
  return null;
}

/** A callback needs a number: in the archive, given as the callback contact, or the line the customer called on. */
async function reachableByPhone(db: Executor, conv: ConversationRow): Promise<boolean> {
  return conv.channel === 'phone' || Boolean(conv.intake.contact) || (await customerReach(db, conv.customerId)).phone;
}

async function createClosureCallback(w: Writer, conv: ConversationRow): Promise<void> {
  const policy = await currentPolicy(w.tx);
  if (!policy.callbacks.autoOnClosure.value || !(await reachableByPhone(w.tx, conv))) return;
  const closedAt = conv.closedAt ?? w.now;
  // The SLA clock gives the due time in open hours (business hours, holidays); plain hours only if it set none.
  const dueAt = (await startSlaTarget(w, conv.id, 'callback', closedAt)) ?? new Date(closedAt.getTime() + policy.callbacks.withinHours.value * 3_600_000);
  const agent = await callbackAgent(w.tx, conv);
  const due = localTime(dueAt, policy);
  const task = await insertTask(w, conv, {
    kind: 'callback',
    origin: 'closure',
    title: '结案回访',
    note: `会话已结案，请于 ${due} 前回访客户，确认问题已解决并记录满意度。${agent ? agent.why : '暂无可安排的坐席，请主管指派'}`,
    assigneeId: agent?.id ?? null,
    dueAt,
  });
  if (agent) {
    await notify(w, [agent.id], {
      kind: 'callback.assigned',
      title: `结案回访：会话 #${conv.number}`,
      body: `请于 ${due} 前回访客户，确认问题已解决并记录满意度。`,
      entityType: 'task',
      entityId: task.id,
    });
  }
}

/** A closed case that reopens needs no 回访 for that closure; the next closure makes a new one. */
async function cancelClosureCallbacks(w: Writer, conv: ConversationRow): Promise<void> {
  const open = await w.tx
    .select()
    .from(conversationTasks)
    .where(and(eq(conversationTasks.conversationId, conv.id), eq(conversationTasks.kind, 'callback'), eq(conversationTasks.origin, 'closure'), eq(conversationTasks.status, 'open')))
    .for('update');
  for (const task of open) {
    // Not finishTask: it may update the conversation, which is being updated right now.
    const [row] = await w.tx
      .update(conversationTasks)
      .set({ status: 'cancelled', result: '会话已重新打开，本次结案回访取消', completedAt: w.now, updatedAt: w.now })
      .where(eq(conversationTasks.id, task.id))
      .returning();
    await cancelJobs(w.tx, taskDueKey(task.id), w.now);
    const audience = conversationAudience(conv);
    await w.changed({
      entityType: 'task',
      entityId: task.id,
      schema: TaskView,
      before: taskView(task, conv.number, w.now),
      after: taskView(row!, conv.number, w.now),
      event: 'task.cancelled',
      audience: { ...audience, staffIds: [...new Set([...(audience.staffIds ?? []), ...(task.assigneeId ? [task.assigneeId] : [])])] },
    });
  }
  if (open.length > 0) await addSystemMessage(w, conv, '会话重新打开，结案回访已取消；再次结案时将重新安排回访');
}

onConversationChange(async (w, before, after) => {
  if (!before || before.status === after.status) return;
  // Only a case that was resolved is called back: a spam or duplicate closed unanswered is not.
  if (before.status === 'resolved' && after.status === 'closed') await createClosureCallback(w, after);
  else if (before.status === 'closed' && after.status === 'open') await cancelClosureCallbacks(w, after);
});

// ---------- outcomes ----------

export interface CallbackCompletion {
  result: string;
  outcome: CallbackOutcome;
  /** The customer's answer heard on the call (needs surveys.record). */
  rating?: SurveyAnswer;
}

/**
 * S5: records what a callback achieved. Unreached before the due time keeps the task open for
 * another try; any other outcome completes it (unreached at or after the due time gives up, and
 * the callback stays missed). Not satisfied — said or rated — reopens the case.
 */
export async function completeCallback(ctx: Ctx, taskId: string, input: CallbackCompletion): Promise<TaskView> {
  if (input.rating && !can(ctx.actor, 'surveys.record')) throw AuthError('forbidden', { params: { permission: 'surveys.record' } });
  if (input.rating && input.outcome === 'unreached') throw CallbackError('rating_needs_contact', { field: 'rating' });
  const said = input.outcome === 'satisfied' ? true : input.outcome === 'not_satisfied' ? false : undefined;
  if (said !== undefined && input.rating?.satisfied !== undefined && input.rating.satisfied !== said) throw CallbackError('outcome_conflict', { field: 'rating.satisfied' });
  return write(ctx, async (w) => {
    const { task } = await findTask(ctx, w.tx, taskId, true);
    if (task.status !== 'open') throw TaskError('not_open');
    if (task.kind !== 'callback') throw CallbackError('not_callback', { field: 'outcome' });
    const [locked] = await w.tx.select().from(conversations).where(eq(conversations.id, task.conversationId)).for('update');
    let conv = locked!;
    const policy = await currentPolicy(w.tx);

    if (input.outcome === 'unreached' && task.dueAt && w.now < task.dueAt) {
      const [row] = await w.tx.update(conversationTasks).set({ outcome: 'unreached', result: input.result, updatedAt: w.now }).where(eq(conversationTasks.id, task.id)).returning();
      await addSystemMessage(w, conv, `${ctx.actor.name ?? '坐席'} 回访未接通：${input.result}（${localTime(task.dueAt, policy)} 前可再次回访）`);
      const view = taskView(row!, conv.number, w.now);
      await w.changed({ entityType: 'task', entityId: task.id, schema: TaskView, before: taskView(task, conv.number, w.now), after: view, event: 'callback.unreached', audience: conversationAudience(conv) });
      return view;
    }

    const done = await finishTask(w, task, conv, { status: 'done', result: input.result, by: ctx.actor.id, outcome: input.outcome });
    conv = done.conversation;
    if (task.origin === 'closure' && REACHING.includes(input.outcome)) await meetSlaTarget(w, conv.id, 'callback');
    if (input.rating) conv = (await respondOnCallback(w, conv, { ...input.rating, satisfied: input.rating.satisfied ?? said })).conversation;
    if (input.outcome === 'not_satisfied' && (conv.status === 'resolved' || conv.status === 'closed')) {
      await reopenConversation(w, conv, { source: 'callback', reason: `回访客户不满意：${input.rating?.comment?.trim() || input.result}` });
    }
    return done.task;
  });
}

// ---------- counting ----------

export interface CallbackFilter {
  origin?: string;
  assigneeId?: string;
  /** Created at or after. */
  from?: string;
  /** Created before. */
  to?: string;
}

/** S5: callbacks made, pending and missed (not reached by their due time), with their outcomes. */
export async function callbackStatistics(ctx: Ctx, f: CallbackFilter): Promise<CallbackStatistics> {
  const now = ctx.clock.now();
  const t = conversationTasks;
  const n = (condition: ReturnType<typeof sql>) => sql<number>`(count(*) filter (where ${condition}))::int`;
  const [r] = await ctx.db
    .select({
      created: sql<number>`count(*)::int`,
      open: n(sql`${t.status} = 'open'`),
      cancelled: n(sql`${t.status} = 'cancelled'`),
      due: n(sql`${t.status} <> 'cancelled' and ${t.dueAt} <= ${now}`),
      missed: n(sql`${missedCallbackCondition(now)}`),
      overdueOpen: n(sql`${t.status} = 'open' and ${t.dueAt} <= ${now}`),
      reached: n(sql`${t.status} = 'done' and ${t.outcome} = 'reached'`),
      unreached: n(sql`${t.status} = 'done' and ${t.outcome} = 'unreached'`),
      satisfied: n(sql`${t.status} = 'done' and ${t.outcome} = 'satisfied'`),
      notSatisfied: n(sql`${t.status} = 'done' and ${t.outcome} = 'not_satisfied'`),
    })
    .from(t)
    .innerJoin(conversations, eq(conversations.id, t.conversationId))
    .where(
      and(
        eq(t.kind, 'callback'),
        taskScope(ctx),
        f.origin ? eq(t.origin, f.origin) : undefined,
        f.assigneeId ? eq(t.assigneeId, f.assigneeId === 'me' ? (ctx.actor.id ?? NO_ID) : f.assigneeId) : undefined,
        f.from ? gte(t.createdAt, new Date(f.from)) : undefined,
        f.to ? lt(t.createdAt, new Date(f.to)) : undefined,
      ),
    );
  const s = r!;
  return {
    created: s.created,
    open: s.open,
    cancelled: s.cancelled,
    due: s.due,
    missed: s.missed,
    overdueOpen: s.overdueOpen,
    outcomes: { reached: s.reached, unreached: s.unreached, satisfied: s.satisfied, notSatisfied: s.notSatisfied },
  };
}
