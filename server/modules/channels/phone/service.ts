import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { and, asc, desc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.ts';
import { newId } from '../../../db/columns.ts';
import { SYSTEM_ACTOR, type Ctx } from '../../../platform/context.ts';
import { defineErrors } from '../../../platform/errors.ts';
import { declareEventTypes } from '../../../platform/events/outbox.ts';
import type { FileStore } from '../../../platform/files/store.ts';
import { Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../../platform/http/schemas.ts';
import { registerRevealable } from '../../../platform/pii/reveal.ts';
import { Pii } from '../../../platform/pii/schema-mask.ts';
import { write, type Writer } from '../../../platform/write.ts';
import { findOrCreateCustomer, normalisePhone } from '../../customers/lookup.ts';
import { customers } from '../../customers/schema.ts';
import { staff } from '../../org/schema.ts';
import type { PolicyDocument } from '../../policy/document.ts';
import { currentPolicy } from '../../policy/service.ts';
import { conversationAudience, findVisible, updateConversation } from '../../conversations/record.ts';
import { assign } from '../../conversations/routing.ts';
import { attachments, conversationTasks, conversations } from '../../conversations/schema.ts';
import { cancelSlaTarget } from '../../sla/engine.ts';
import { addSystemMessage, insertConversation, storeAttachment, type MessageLimits } from '../../conversations/service.ts';
import { TaskError, finishTask, insertTask } from '../../conversations/tasks.ts';
import { AttachmentView, TaskView, attachmentView, type ConversationRow } from '../../conversations/views.ts';
import { callRecords } from '../schema.ts';
import {
  CALL_STATUSES,
  CallEventView,
  CtiError,
  byTime,
  callSummary,
  callbackCallId,
  callbackTaskOf,
  deriveCall,
  duration,
  eventKey,
  sameEvent,
  type CtiEventInput,
  type DerivedCall,
  type Direction,
  type StoredEvent,
} from './cti.ts';

export const PhoneError = defineErrors('phone', {
  no_phone_number: [422, { 'zh-CN': '该客户没有可拨打的电话号码', 'zh-TW': '該客戶沒有可撥打的電話號碼', en: 'The customer has no number to dial' }],
  not_callback: [409, { 'zh-CN': '只有电话回拨任务可以拨号', 'zh-TW': '只有電話回撥任務可以撥號', en: 'Only callback tasks can be dialled' }],
});

declareEventTypes({
  'call.created': '新通话（来电或去电）',
  'call.updated': '通话进展：接听、保持、转接、挂断、话后处理或录音',
});

export const CallRecordView = Type.Object(
  {
    id: Uuid,
    conversationId: Uuid,
    callId: Type.String({ description: 'PBX 的通话编号' }),
    direction: Type.Union([Type.Literal('inbound'), Type.Literal('outbound')], { description: 'inbound 来电 / outbound 去电' }),
    fromNumber: Pii('phone', { description: '主叫号码' }),
    toNumber: Pii('phone', { description: '被叫号码' }),
    agentId: Nullable(Uuid),
    status: Type.Union(
      CALL_STATUSES.map((s) => Type.Literal(s)),
      { description: 'ringing 振铃 / talking 通话中 / on_hold 保持中 / ended 已挂断 / wrapped_up 话后处理完成 / abandoned 未接（客户挂断） / no_answer 去电未接通' },
    ),
    ringingAt: Nullable(Timestamp),
    answeredAt: Nullable(Timestamp),
    endedAt: Nullable(Timestamp),
    wrappedUpAt: Nullable(Timestamp),
    ringSeconds: Nullable(Type.Integer({ description: '振铃时长：接听（未接时为挂断）减振铃' })),
    rings: Nullable(Type.Integer({ description: '振铃声数：振铃时长 ÷ 制度中一声铃响的秒数，向上取整' })),
    talkSeconds: Nullable(Type.Integer({ description: '通话时长，不含保持' })),
    holdSeconds: Type.Integer(),
    wrapSeconds: Nullable(Type.Integer({ description: '话后处理时长' })),
    handlingSeconds: Nullable(Type.Integer({ description: '处理时长（AHT）= 通话 + 保持 + 话后处理；挂断后才有' })),
    recordingId: Nullable(Uuid),
    events: Type.Array(CallEventView),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'CallRecord' },
);
export type CallRecordView = Static<typeof CallRecordView>;
type CallRow = typeof callRecords.$inferSelect;

const storedEvents = (r: CallRow) => r.events as StoredEvent[];

export function callView(r: CallRow): CallRecordView {
  return {
    id: r.id,
    conversationId: r.conversationId,
    callId: r.callId,
    direction: r.direction as Direction,
    fromNumber: r.fromNumber,
    toNumber: r.toNumber,
    agentId: r.agentId,
    status: r.status as CallRecordView['status'],
    ringingAt: isoOrNull(r.ringingAt),
    answeredAt: isoOrNull(r.answeredAt),
    endedAt: isoOrNull(r.endedAt),
    wrappedUpAt: isoOrNull(r.wrappedUpAt),
    ringSeconds: r.ringSeconds,
    rings: r.rings,
    talkSeconds: r.talkSeconds,
    holdSeconds: r.holdSeconds,
    wrapSeconds: r.wrapSeconds,
    handlingSeconds: r.endedAt ? (r.talkSeconds ?? 0) + r.holdSeconds + (r.wrapSeconds ?? 0) : null,
    recordingId: r.recordingId,
    events: [...storedEvents(r)]
      .sort(byTime)
      .map((e) => ({ type: e.type, at: e.at, agent: e.agent, target: e.target, eventId: e.eventId, receivedAt: e.receivedAt })),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A caller's number is revealed like any personal field: by pii.reveal holders who can see the conversation.
registerRevealable('call', {
  schema: CallRecordView,
  async load(ctx, id) {
    if (!UUID.test(id)) return null;
    const [row] = await ctx.db.select().from(callRecords).where(eq(callRecords.id, id)).limit(1);
    if (!row) return null;
    return findVisible(ctx.db, ctx.actor, row.conversationId).then(
      () => row,
      () => null,
    );
  },
});

/** Whom the audit log names for what the PBX reports. */
export function ctiCtx(base: Ctx): Ctx {
  return { ...base, actor: { ...SYSTEM_ACTOR, name: '电话系统 CTI' } };
}

// ---------- CTI events ----------

/** The PBX names agents by username or employee number. */
async function staffIdOf(db: Executor, handle: string, field: string): Promise<string> {
  const rows = await db
    .select({ id: staff.id, username: staff.username })
    .from(staff)
    .where(and(or(eq(staff.username, handle), eq(staff.employeeNo, handle)), eq(staff.status, 'active'), ne(staff.role, 'partner')))
    .orderBy(asc(staff.id));
  const found = rows.find((r) => r.username === handle) ?? rows[0];
  if (!found) throw CtiError('unknown_agent', { field, params: { handle } });
  return found.id;
}

async function nameOf(db: Executor, id: string | null): Promise<string> {
  if (!id) return '坐席';
  const [row] = await db.select({ name: staff.displayName }).from(staff).where(eq(staff.id, id)).limit(1);
  return row?.name ?? '坐席';
}

async function lockConversation(w: Writer, id: string): Promise<ConversationRow> {
  const [row] = await w.tx.select().from(conversations).where(eq(conversations.id, id)).for('update');
  return row!;
}

// "anonymous" and other withheld-number words compare as words.
const sameNumber = (a: string, b: string) => (normalisePhone(a) || a.trim().toLowerCase()) === (normalisePhone(b) || b.trim().toLowerCase());

/**
 * The first event of a call opens it: the customer is found (or created) by their number and a
 * phone conversation opened, unless the call is a dialled callback, which belongs to its task's case.
 */
async function openCall(w: Writer, input: CtiEventInput, limits: MessageLimits): Promise<{ row: CallRow; conv: ConversationRow }> {
  let conv: ConversationRow | null = null;
  const taskId = input.direction === 'outbound' ? callbackTaskOf(input.callId) : null;
  if (taskId) {
    const [task] = await w.tx
      .select({ conversationId: conversationTasks.conversationId })
      .from(conversationTasks)
      .where(and(eq(conversationTasks.id, taskId), eq(conversationTasks.kind, 'callback')));
    if (task) conv = await lockConversation(w, task.conversationId);
  }
  if (!conv) {
    const customer = await findOrCreateCustomer(w, { phone: input.direction === 'inbound' ? input.from : input.to }, 'phone');
    ({ conversation: conv } = await insertConversation(w, { channel: 'phone', customerId: customer.id, subject: input.direction === 'inbound' ? '电话来电' : '电话去电', route: false }, limits));
    // We placed the call: there is no ringing customer waiting for an answer (S1).
    if (input.direction === 'outbound') await cancelSlaTarget(w, conv.id, 'first_response');
  }
  const [row] = await w.tx
    .insert(callRecords)
    .values({
      id: newId(),
      conversationId: conv.id,
      callId: input.callId,
      direction: input.direction,
      fromNumber: input.from,
      toNumber: input.to,
      agentId: null,
      status: 'ringing',
      holdSeconds: 0,
      events: [],
      createdAt: w.now,
      updatedAt: w.now,
    })
    .returning();
  return { row: row!, conv };
}

/**
 * Applies one PBX event. Idempotent (a known event changes nothing and answers `duplicate`) and
 * order-free: the call is recomputed from all its events by their timestamps, and the conversation
 * follows the difference between the call before and after.
 */
export async function applyCallEvent(ctx: Ctx, input: CtiEventInput, limits: MessageLimits): Promise<{ duplicate: boolean; call: CallRecordView }> {
  if (input.type === 'transferred' && !input.target) throw CtiError('target_required', { field: 'target' });
  return write(ctx, async (w) => {
    // One call's events apply one at a time, on whichever node they arrive.
    await w.tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`call:${input.callId}`}))`);
    const [existing] = await w.tx.select().from(callRecords).where(eq(callRecords.callId, input.callId)).for('update');
    const event: StoredEvent = {
      type: input.type,
      at: new Date(input.at).toISOString(),
      agent: input.agent ?? null,
      target: input.target ?? null,
      eventId: input.eventId ?? null,
      agentId: null,
      targetId: null,
      receivedAt: w.now.toISOString(),
    };
    if (existing) {
      if (existing.direction !== input.direction || !sameNumber(existing.fromNumber, input.from) || !sameNumber(existing.toNumber, input.to)) {
        throw CtiError('call_mismatch', { field: 'callId', params: { callId: input.callId } });
      }
      const seen = storedEvents(existing).find((e) => eventKey(e) === eventKey(event));
      if (seen) {
        if (!sameEvent(seen, event)) throw CtiError('event_conflict', { field: 'eventId', params: { eventId: event.eventId } });
        return { duplicate: true, call: callView(existing) };
      }
    }
    if (event.agent) event.agentId = await staffIdOf(w.tx, event.agent, 'agent');
    if (event.target) event.targetId = await staffIdOf(w.tx, event.target, 'target');

    const policy = await currentPolicy(w.tx);
    const ringLength = policy.sla.phone.ringSeconds.value;
    const opened = existing ? { row: existing, conv: await lockConversation(w, existing.conversationId) } : await openCall(w, input, limits);
    const direction = input.direction;
    const before = deriveCall(storedEvents(opened.row), direction, ringLength);
    const events = [...storedEvents(opened.row), event];
    const after = deriveCall(events, direction, ringLength);
    const [row] = await w.tx
      .update(callRecords)
      .set({
        events,
        status: after.status,
        agentId: after.agentId,
        ringingAt: after.ringingAt,
        answeredAt: after.answeredAt,
        endedAt: after.endedAt,
        wrappedUpAt: after.wrappedUpAt,
        holdStartedAt: after.holdStartedAt,
        ringSeconds: after.ringSeconds,
        rings: after.rings,
        talkSeconds: after.talkSeconds,
        holdSeconds: after.holdSeconds,
        wrapSeconds: after.wrapSeconds,
        updatedAt: w.now,
      })
      .where(eq(callRecords.id, opened.row.id))
      .returning();
    const conv = await followCall(w, opened.conv, row!, before, after, policy);
    await w.changed({
      entityType: 'call',
      entityId: row!.id,
      schema: CallRecordView,
      before: existing ? callView(existing) : null,
      after: callView(row!),
      event: existing ? 'call.updated' : 'call.created',
      audience: conversationAudience(conv),
    });
    return { duplicate: false, call: callView(row!) };
  });
}

/** What a change in the call means for its conversation. */
async function followCall(w: Writer, conv: ConversationRow, call: CallRow, before: DerivedCall, after: DerivedCall, policy: PolicyDocument): Promise<ConversationRow> {
  const direction = call.direction as Direction;

  // Who has the call has the conversation, with the reason shown in its assignment history; a
  // closed case (a callback after closure) keeps its owner, and the call record names the caller.
  if (after.agentId && after.agentId !== before.agentId) {
    const by = after.agentEvent!;
    const name = await nameOf(w.tx, after.agentId);
    if (by.type === 'transferred') {
      const from = await nameOf(w.tx, before.agentId ?? conv.assigneeId);
      if (after.agentId !== conv.assigneeId && conv.status !== 'closed') conv = await assign(w, conv, after.agentId, { code: 'transfer', text: `电话由 ${from} 转接给 ${name}` }, { endReason: 'transferred' });
      await addSystemMessage(w, conv, `电话由 ${from} 转接给 ${name}`);
    } else if (after.agentId !== conv.assigneeId && conv.status !== 'closed') {
      const reason = by.type === 'ringing' ? { code: 'dialed', text: `${name} 拨出电话` } : { code: 'answered', text: `${name} 接听电话` };
      conv = await assign(w, conv, after.agentId, reason);
    }
  }

  // The answer is the phone's first response; the case is now being worked.
  if (after.answeredAt && !before.answeredAt) {
    const patch: Partial<ConversationRow> = {};
    if (conv.status === 'new') patch.status = 'open';
    if (!conv.firstResponseAt) patch.firstResponseAt = after.answeredAt;
    if (Object.keys(patch).length > 0) conv = await updateConversation(w, conv, patch);
    const taskId = direction === 'outbound' ? callbackTaskOf(call.callId) : null;
    if (taskId) {
      const [task] = await w.tx
        .select()
        .from(conversationTasks)
        .where(and(eq(conversationTasks.id, taskId), eq(conversationTasks.conversationId, conv.id), eq(conversationTasks.status, 'open')))
        .for('update');
      // A 回访 after closure ends with what the customer said (satisfied or not), recorded by the agent after the call.
      if (task && task.origin !== 'closure') {
        conv = (await finishTask(w, task, conv, { status: 'done', result: `回拨已接通（呼叫编号 ${call.callId}）`, by: after.agentId ?? task.assigneeId, outcome: 'reached' })).conversation;
      }
    }
  }

  // A missed call is called back within the policy's callback time; a late answer event undoes it.
  if (after.status === 'abandoned' && before.status !== 'abandoned') {
    // A caller who hung up before the rings ran out is abandonment, not a missed answer target.
    await cancelSlaTarget(w, conv.id, 'first_response', after.endedAt ?? w.now);
    const hours = policy.callbacks.withinHours.value;
    await insertTask(w, conv, {
      kind: 'callback',
      title: '未接来电回拨',
      note: `来电未接通${after.rings !== null ? `（振铃 ${after.rings} 声后客户挂断）` : ''}，请在 ${hours} 小时内回拨`,
      assigneeId: conv.assigneeId,
      dueAt: new Date(after.endedAt!.getTime() + hours * 3_600_000),
      origin: 'missed_call',
    });
  } else if (before.status === 'abandoned' && after.status !== 'abandoned') {
    const open = await w.tx
      .select()
      .from(conversationTasks)
      .where(and(eq(conversationTasks.conversationId, conv.id), eq(conversationTasks.kind, 'callback'), eq(conversationTasks.origin, 'missed_call'), eq(conversationTasks.status, 'open'), isNull(conversationTasks.createdBy)))
      .for('update');
    for (const task of open) conv = (await finishTask(w, task, conv, { status: 'cancelled', result: '迟到的接听事件表明来电已接通，无需回拨', by: null })).conversation;
  }

  const was = callSummary(before, direction);
  const now = callSummary(after, direction);
  if (now && now !== was) await addSystemMessage(w, conv, was ? `更正：${now}` : now);

  // Phone AHT is the calls' talk + hold + wrap-up; the text channels' clock does not run for phone.
  if (after.handlingSeconds !== before.handlingSeconds) {
    const [sum] = await w.tx
      .select({ s: sql<string>`coalesce(sum(coalesce(${callRecords.talkSeconds}, 0) + ${callRecords.holdSeconds} + coalesce(${callRecords.wrapSeconds}, 0)), 0)` })
      .from(callRecords)
      .where(and(eq(callRecords.conversationId, conv.id), sql`${callRecords.endedAt} is not null`));
    const handlingMs = Number(sum?.s ?? 0) * 1000;
    if (handlingMs !== conv.handlingMs) conv = await updateConversation(w, conv, { handlingMs });
  }
  return conv;
}

// ---------- recordings ----------

/** Recordings are audio whatever the uploader calls them: the type is sniffed from the bytes. */
export const RECORDING_TYPES = [/^audio\//];

/**
 * Attaches a call's recording to its conversation as evidence (CP2, Q3). The same file again is a
 * no-op (`duplicate`), so the PBX may retry; a different file for the same call is refused.
 */
export async function attachRecording(
  ctx: Ctx,
  files: FileStore,
  callId: string,
  file: { fileName: string; bytes: Buffer; sha256: string },
): Promise<{ duplicate: boolean; call: CallRecordView; attachment: AttachmentView }> {
  const known = async (db: Executor, call: CallRow) => {
    if (!call.recordingId) return null;
    const [current] = await db.select().from(attachments).where(eq(attachments.id, call.recordingId)).limit(1);
    if (current?.sha256 !== file.sha256) throw CtiError('recording_exists', { field: 'file' });
    return { duplicate: true, call: callView(call), attachment: attachmentView(current) };
  };
  const [call] = await ctx.db.select().from(callRecords).where(eq(callRecords.callId, callId)).limit(1);
  if (!call) throw CtiError('call_not_found', { field: 'callId', params: { callId } });
  const same = await known(ctx.db, call);
  if (same) return same;
  const attachment = await storeAttachment(ctx, files, call.conversationId, file, RECORDING_TYPES);
  return write(ctx, async (w) => {
    const [locked] = await w.tx.select().from(callRecords).where(eq(callRecords.id, call.id)).for('update');
    const raced = await known(w.tx, locked!);
    if (raced) return raced;
    const [row] = await w.tx.update(callRecords).set({ recordingId: attachment.id, updatedAt: w.now }).where(eq(callRecords.id, call.id)).returning();
    const conv = await lockConversation(w, call.conversationId);
    const seconds = row!.endedAt && row!.answeredAt ? `，通话 ${duration((row!.talkSeconds ?? 0) + row!.holdSeconds)}` : '';
    await addSystemMessage(w, conv, `通话录音已保存：${attachment.fileName}（${Math.ceil(attachment.size / 1024)} KB${seconds}）`);
    await w.changed({ entityType: 'call', entityId: call.id, schema: CallRecordView, before: callView(locked!), after: callView(row!), event: 'call.updated', audience: conversationAudience(conv) });
    return { duplicate: false, call: callView(row!), attachment };
  });
}

// ---------- staff side ----------

export async function listCalls(ctx: Ctx, conversationId: string): Promise<CallRecordView[]> {
  await findVisible(ctx.db, ctx.actor, conversationId);
  const rows = await ctx.db.select().from(callRecords).where(eq(callRecords.conversationId, conversationId)).orderBy(asc(callRecords.createdAt), asc(callRecords.id));
  return rows.map(callView);
}

/** The number a callback dials: the one that called in, else the first of the customer's archive. */
async function numberToDial(db: Executor, conv: ConversationRow): Promise<string> {
  const [inbound] = await db
    .select({ number: callRecords.fromNumber })
    .from(callRecords)
    .where(and(eq(callRecords.conversationId, conv.id), eq(callRecords.direction, 'inbound')))
    .orderBy(desc(callRecords.createdAt))
    .limit(1);
  const [customer] = await db.select({ phones: customers.phones }).from(customers).where(eq(customers.id, conv.customerId)).limit(1);
  const dialable = [inbound?.number, ...(customer?.phones ?? [])].map((n) => (n ? normalisePhone(n) : '')).find((n) => /\d{3,}/.test(n));
  if (!dialable) throw PhoneError('no_phone_number');
  return dialable;
}

/** CH4/S5: an outbound callback, due at a set time, for the conversation's owner. */
export async function scheduleCallback(ctx: Ctx, conversationId: string, input: { dueAt: string; note: string }): Promise<TaskView> {
  return write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    const dueAt = new Date(input.dueAt);
    if (dueAt <= w.now) throw TaskError('due_in_past', { field: 'dueAt' });
    await numberToDial(w.tx, conv);
    return insertTask(w, conv, { kind: 'callback', title: '电话回拨', note: input.note, assigneeId: conv.assigneeId ?? ctx.actor.id, dueAt });
  });
}

export interface Dial {
  callId: string;
  dialNumber: string;
  taskId: string;
  conversationId: string;
}

/**
 * Click-to-call: hands the agent the number and a call id for the PBX to echo in its events, which
 * then land on this conversation and close the task once answered. The clear number is a reveal,
 * audited like POST /api/reveals.
 */
export async function dialCallback(ctx: Ctx, taskId: string): Promise<Dial> {
  return write(ctx, async (w) => {
    const [task] = await w.tx.select().from(conversationTasks).where(eq(conversationTasks.id, taskId)).for('update');
    if (!task) throw TaskError('not_found');
    const conv =
      task.assigneeId === ctx.actor.id
        ? await lockConversation(w, task.conversationId)
        : await findVisible(w.tx, ctx.actor, task.conversationId, { lock: true }).catch(() => Promise.reject(TaskError('not_found')));
    if (task.kind !== 'callback') throw PhoneError('not_callback');
    if (task.status !== 'open') throw TaskError('not_open');
    const dialNumber = await numberToDial(w.tx, conv);
    const callId = callbackCallId(task.id, randomBytes(4).toString('hex'));
    await w.audit({ action: 'reveal', entityType: 'customer', entityId: conv.customerId, after: { field: 'phones', taskId: task.id, callId }, reason: '电话回拨' });
    await addSystemMessage(w, conv, `${ctx.actor.name ?? '坐席'} 发起电话回拨（呼叫编号 ${callId}）`);
    return { callId, dialNumber, taskId: task.id, conversationId: conv.id };
  });
}

