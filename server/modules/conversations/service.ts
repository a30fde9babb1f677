import { and, arrayContains, asc, desc, eq, gt, ilike, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import type { FileStore } from '../../platform/files/store.ts';
import { sanitiseFileName } from '../../platform/files/upload.ts';
import { write, type Writer } from '../../platform/write.ts';
import { customerBrief } from '../customers/lookup.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { sendOutbound, type MessageRow } from './outbound.ts';
import { ConversationError, conversationAudience, conversationChanged, findVisible, updateConversation, visibleCondition } from './record.ts';
import { assign, drainQueues, matchQueue, route } from './routing.ts';
import { assignments, attachments, conversationReopens, conversations, messages, type Intake } from './schema.ts';
import {
  ConversationView,
  attachmentView,
  assignmentView,
  conversationView,
  messageView,
  reopenView,
  type AttachmentView,
  type Author,
  type ConversationRow,
  type MessageView,
  type Priority,
  type ReopenView,
  type Status,
} from './views.ts';

/** CH1: the status machine, enforced here and nowhere else. Reopen goes back to open. */
const TRANSITIONS: Record<Status, readonly Status[]> = {
  new: ['open', 'pending_customer', 'pending_internal', 'resolved', 'closed'],
  open: ['pending_customer', 'pending_internal', 'resolved'],
  pending_customer: ['open', 'pending_internal', 'resolved'],
  pending_internal: ['open', 'pending_customer', 'resolved'],
  resolved: ['open', 'closed'],
  closed: ['open'],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export function checkIntake(policy: PolicyDocument, conv: Pick<ConversationRow, 'problemType' | 'intake'>): void {
  if (!conv.problemType) throw ConversationError('problem_type_required', { field: 'problemType' });
  const type = policy.problemTypes.find((t) => t.code === conv.problemType);
  if (!type) throw ConversationError('unknown_problem_type', { field: 'problemType', params: { code: conv.problemType } });
  const missing = type.requiredFields.filter((f) => !conv.intake[f]);
  if (missing.length > 0) {
    throw ConversationError('intake_incomplete', { field: `intake.${missing[0]}`, params: { problemType: type.name, fields: missing.join(', ') } });
  }
}

function checkCatalogue(policy: PolicyDocument, input: { problemType?: string | null; businessDomain?: string | null }): void {
  if (input.problemType && !policy.problemTypes.some((t) => t.code === input.problemType)) {
    throw ConversationError('unknown_problem_type', { field: 'problemType', params: { code: input.problemType } });
  }
  if (input.businessDomain && !policy.businessDomains.some((d) => d.code === input.businessDomain)) {
    throw ConversationError('unknown_business_domain', { field: 'businessDomain', params: { code: input.businessDomain } });
  }
}

/** The domain follows the problem type unless given. */
function domainOf(policy: PolicyDocument, problemType: string | null | undefined, given: string | null | undefined): string | null {
  if (given) return given;
  return policy.problemTypes.find((t) => t.code === problemType)?.domain ?? null;
}

// ---------- create ----------

/** What an agent may change on a conversation; a new one takes the same fields. */
export interface ConversationPatchInput {
  subject?: string | null;
  priority?: Priority;
  tags?: string[];
  skill?: string | null;
  problemType?: string | null;
  businessDomain?: string | null;
  intake?: Intake;
}

export interface NewConversation extends ConversationPatchInput {
  channel: string;
  customerId: string;
  leftMessage?: boolean;
  visitorId?: string | null;
  /** The customer's first words, if the contact started with a message. */
  message?: { body: string; clientId?: string | null; emailMessageId?: string | null; emailInReplyTo?: string | null; attachmentIds?: string[] };
  /** An agent opening a conversation on a customer's behalf takes it. */
  assignToSelf?: boolean;
  /** False where the contact is routed elsewhere (the PBX rings an agent): the conversation only joins its queue. */
  route?: boolean;
}

export interface MessageLimits {
  maxChars: number;
}

function checkBody(body: string, limits: MessageLimits): string {
  if (body.trim().length === 0) throw ConversationError('message_empty', { field: 'body' });
  if ([...body].length > limits.maxChars) throw ConversationError('message_too_long', { field: 'body', params: { limit: limits.maxChars } });
  return body;
}

/** Runs in the caller's transaction, so a channel can find the customer, open the case and route it atomically. */
export async function insertConversation(w: Writer, input: NewConversation, limits: MessageLimits): Promise<{ conversation: ConversationRow; message: MessageRow | null }> {
  const policy = await currentPolicy(w.tx);
  checkCatalogue(policy, input);
  if (input.message) checkBody(input.message.body, limits);
  if (!(await customerBrief(w.tx, input.customerId))) throw ConversationError('customer_not_found', { field: 'customerId' });
  const [row] = await w.tx
    .insert(conversations)
    .values({
      id: newId(),
      channel: input.channel,
      status: 'new',
      priority: input.priority ?? 'normal',
      subject: input.subject ?? null,
      customerId: input.customerId,
      tags: [...new Set(input.tags ?? [])],
      skill: input.skill ?? null,
      supportLevel: 1,
      problemType: input.problemType ?? null,
      businessDomain: domainOf(policy, input.problemType, input.businessDomain),
      intake: input.intake ?? {},
      leftMessage: input.leftMessage ?? false,
      visitorId: input.visitorId ?? null,
      createdAt: w.now,
      updatedAt: w.now,
      lastCustomerMessageAt: input.message ? w.now : null,
      reopenCount: 0,
      handlingMs: 0,
    })
    .returning();
  let conv = row!;
  await conversationChanged(w, null, conv);
  await w.changed({
    entityType: 'conversation',
    entityId: conv.id,
    schema: ConversationView,
    before: null,
    after: conversationView(conv),
    event: 'conversation.created',
    audience: conversationAudience(conv),
  });
  const message = input.message ? await insertMessage(w, conv, { author: 'customer', ...input.message }) : null;
  if (input.assignToSelf && w.ctx.actor.id) {
    conv = await assign(w, conv, w.ctx.actor.id, { code: 'created_by_agent', text: `${w.ctx.actor.name} 代客户创建并接待` });
  } else if (input.route === false) {
    const queueId = await matchQueue(w.tx, conv);
    if (queueId) conv = await updateConversation(w, conv, { queueId }, { quiet: true });
  } else {
    // A left message (留言) is routed like any other: it waits in its queue until someone is online.
    conv = await route(w, conv);
  }
  return { conversation: conv, message };
}

export async function createConversation(ctx: Ctx, input: NewConversation, limits: MessageLimits): Promise<ConversationView> {
  const { conversation } = await write(ctx, (w) => insertConversation(w, input, limits));
  return conversationView(conversation, ctx.clock.now());
}

// ---------- messages ----------

interface MessageInput {
  author: Author;
  body: string;
  clientId?: string | null;
  emailMessageId?: string | null;
  emailInReplyTo?: string | null;
  attachmentIds?: string[];
}

/** Stores one message and its attachments and announces it; the conversation's timestamps are the caller's. */
async function insertMessage(w: Writer, conv: ConversationRow, input: MessageInput): Promise<MessageRow> {
  const [row] = await w.tx
    .insert(messages)
    .values({
      id: newId(),
      conversationId: conv.id,
      author: input.author,
      staffId: input.author === 'agent' || input.author === 'note' ? w.ctx.actor.id : null,
      body: input.body,
      clientId: input.clientId ?? null,
      emailMessageId: input.emailMessageId ?? null,
      emailInReplyTo: input.emailInReplyTo ?? null,
      delivery: null,
      createdAt: w.now,
    })
    .returning();
  const message = row!;
  let files: AttachmentView[] = [];
  if (input.attachmentIds?.length) {
    const ids = [...new Set(input.attachmentIds)];
    const found = await w.tx.select().from(attachments).where(and(inArray(attachments.id, ids), eq(attachments.conversationId, conv.id)));
    if (found.length !== ids.length) throw ConversationError('attachment_not_found', { field: 'attachmentIds' });
    if (found.some((a) => a.messageId !== null)) throw ConversationError('attachment_in_use', { field: 'attachmentIds' });
    const linked = await w.tx.update(attachments).set({ messageId: message.id }).where(inArray(attachments.id, ids)).returning();
    files = linked.map(attachmentView);
  }
  // Internal notes reach staff only; the chat gateway forwards the rest to the visitor.
  await w.emit({
    type: 'message.created',
    entityType: 'message',
    entityId: message.id,
    data: { ...messageView(message, files), conversationNumber: conv.number, channel: conv.channel, visitorId: input.author === 'note' ? null : conv.visitorId },
    audience: conversationAudience(conv),
  });
  return message;
}

export interface CustomerMessageInput {
  body: string;
  clientId?: string | null;
  emailMessageId?: string | null;
  emailInReplyTo?: string | null;
  attachmentIds?: string[];
}

/**
 * A customer writes (chat, email, API). A resend with a known client id returns the stored message
 * (`duplicate`), so a lost acknowledgement never makes a second message. A reply to a resolved
 * case reopens it; to a pending one, brings it back to open.
 */
export async function addCustomerMessage(w: Writer, given: ConversationRow, input: CustomerMessageInput, limits: MessageLimits): Promise<{ message: MessageRow; duplicate: boolean; conversation: ConversationRow }> {
  checkBody(input.body, limits);
  // The row lock orders concurrent sends of one conversation, so a resend racing its original finds it stored.
  const [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, given.id)).for('update');
  if (!conv) throw ConversationError('not_found');
  if (input.clientId) {
    const [seen] = await w.tx.select().from(messages).where(and(eq(messages.conversationId, conv.id), eq(messages.clientId, input.clientId))).limit(1);
    if (seen) {
      if (seen.body !== input.body) throw ConversationError('client_id_conflict', { field: 'clientId', params: { clientId: input.clientId } });
      return { message: seen, duplicate: true, conversation: conv };
    }
  }
  if (conv.status === 'closed') throw ConversationError('closed');
  const message = await insertMessage(w, conv, { author: 'customer', ...input });
  const patch: Partial<ConversationRow> = { lastCustomerMessageAt: w.now };
  let event: string | undefined;
  if (conv.status === 'resolved') {
    patch.status = 'open';
    event = 'conversation.updated';
  } else if (conv.status === 'pending_customer') {
    patch.status = conv.assigneeId ? 'open' : 'new';
    patch.pendingSince = null;
    event = 'conversation.updated';
  }
  const after = await updateConversation(w, conv, patch, event ? { event, reopen: { source: 'customer_message', reason: input.body.slice(0, 200) } } : { quiet: true });
  return { message, duplicate: false, conversation: after };
}

export interface AgentMessageInput {
  body: string;
  internal?: boolean;
  clientId?: string | null;
  attachmentIds?: string[];
  /** Submit-as: the status the conversation takes with this reply (e.g. pending_customer). */
  status?: Status;
}

/**
 * An agent replies or writes an internal note. Replying to unassigned work takes it; the first
 * public reply stamps the first response; the reply leaves on the conversation's channel.
 */
export async function addAgentMessage(ctx: Ctx, conversationId: string, input: AgentMessageInput, limits: MessageLimits): Promise<MessageView> {
  checkBody(input.body, limits);
  return write(ctx, async (w) => {
    let conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (input.clientId) {
      const [seen] = await w.tx.select().from(messages).where(and(eq(messages.conversationId, conv.id), eq(messages.clientId, input.clientId))).limit(1);
      if (seen) return messageViewWithFiles(w.tx, seen);
    }
    if (conv.status === 'closed') throw ConversationError('closed');
    if (input.status && input.status !== conv.status && !canTransition(conv.status as Status, input.status)) {
      throw ConversationError('invalid_transition', { field: 'status', params: { from: conv.status, to: input.status } });
    }
    if (input.status === 'resolved') checkIntake(await currentPolicy(w.tx), conv);
    const internal = input.internal === true;
    if (!internal && !conv.assigneeId && ctx.actor.id) {
      conv = await assign(w, conv, ctx.actor.id, { code: 'claimed', text: `${ctx.actor.name} 回复时接手` });
    }
    const message = await insertMessage(w, conv, { author: internal ? 'note' : 'agent', body: input.body, clientId: input.clientId, attachmentIds: input.attachmentIds });
    if (!internal) {
      const patch: Partial<ConversationRow> = { lastAgentMessageAt: w.now };
      if (!conv.firstResponseAt) patch.firstResponseAt = w.now;
      let target = input.status ?? (conv.status === 'new' ? 'open' : (conv.status as Status));
      if (conv.status === 'new' && target === 'new') target = 'open';
      if (target !== conv.status) Object.assign(patch, transitionPatch(target, w.now));
      conv = await updateConversation(w, conv, patch, target !== conv.status ? {} : { quiet: true });
      const [withDelivery] = await w.tx
        .update(messages)
        .set({ delivery: conv.channel === 'chat' || conv.channel === 'api' || conv.channel === 'form' ? null : { state: 'pending', attempts: 0, error: null, at: null } })
        .where(eq(messages.id, message.id))
        .returning();
      await sendOutbound(w, conv, withDelivery!);
      return messageViewWithFiles(w.tx, withDelivery!);
    } else if (input.status && input.status !== conv.status) {
      conv = await updateConversation(w, conv, transitionPatch(input.status, w.now));
    }
    return messageViewWithFiles(w.tx, message);
  });
}

/** A system line on the conversation (transfer notes, follow-up progress, call summaries). */
export async function addSystemMessage(w: Writer, conv: ConversationRow, body: string, opts: { toCustomer?: boolean } = {}): Promise<MessageRow> {
  const message = await insertMessage(w, conv, { author: opts.toCustomer ? 'system' : 'note', body });
  if (opts.toCustomer) await sendOutbound(w, conv, message);
  return message;
}

async function messageViewWithFiles(db: Executor, m: MessageRow): Promise<MessageView> {
  const files = await db.select().from(attachments).where(eq(attachments.messageId, m.id)).orderBy(asc(attachments.id));
  return messageView(m, files.map(attachmentView));
}

export async function listMessages(ctx: Ctx, conversationId: string, f: { afterId?: string; limit: number; includeNotes?: boolean }): Promise<MessageView[]> {
  await findVisible(ctx.db, ctx.actor, conversationId);
  return pageMessages(ctx.db, conversationId, f);
}

/** What the customer said last, for suggestions (K2); null before they said anything. */
export async function lastCustomerMessage(ctx: Ctx, conversationId: string): Promise<string | null> {
  await findVisible(ctx.db, ctx.actor, conversationId);
  const [row] = await ctx.db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.author, 'customer')))
    .orderBy(desc(messages.id))
    .limit(1);
  return row?.body ?? null;
}

/** Messages in order, with attachments; the chat gateway uses it without notes for the visitor. */
export async function pageMessages(db: Executor, conversationId: string, f: { afterId?: string; limit: number; includeNotes?: boolean }): Promise<MessageView[]> {
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        f.afterId ? gt(messages.id, f.afterId) : undefined,
        f.includeNotes === false ? sql`${messages.author} <> 'note'` : undefined,
      ),
    )
    .orderBy(asc(messages.id))
    .limit(f.limit + 1);
  const ids = rows.map((r) => r.id);
  const files = ids.length ? await db.select().from(attachments).where(inArray(attachments.messageId, ids)).orderBy(asc(attachments.id)) : [];
  return rows.map((r) => messageView(r, files.filter((a) => a.messageId === r.id).map(attachmentView)));
}

// ---------- status ----------

export function transitionPatch(to: Status, now: Date): Partial<ConversationRow> {
  const patch: Partial<ConversationRow> = { status: to };
  patch.pendingSince = to === 'pending_customer' || to === 'pending_internal' ? now : null;
  if (to === 'resolved') patch.resolvedAt = now;
  if (to === 'closed') patch.closedAt = now;
  return patch;
}

export async function transition(ctx: Ctx, conversationId: string, to: Status): Promise<ConversationView> {
  const after = await write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (conv.status === to) return conv;
    if (!canTransition(conv.status as Status, to)) throw ConversationError('invalid_transition', { field: 'status', params: { from: conv.status, to } });
    if (to === 'resolved') checkIntake(await currentPolicy(w.tx), conv);
    const next = await updateConversation(w, conv, transitionPatch(to, w.now));
    // Resolving or closing frees a slot: the next waiting customer may be routed now.
    if ((to === 'resolved' || to === 'closed') && conv.queueId) await drainQueues(w, [conv.queueId]);
    return next;
  });
  return conversationView(after, ctx.clock.now());
}

// ---------- read ----------

export async function getConversation(ctx: Ctx, id: string): Promise<ConversationView> {
  return conversationView(await findVisible(ctx.db, ctx.actor, id), ctx.clock.now());
}

export interface ConversationFilter {
  status?: Status[];
  channel?: string;
  assigneeId?: string | 'me' | 'none';
  queueId?: string;
  customerId?: string;
  tag?: string;
  priority?: Priority;
  problemType?: string;
  flagged?: boolean;
  /** The conversation number, or words of the subject or the order number. */
  q?: string;
  /** Newest first, by id (time-ordered). */
  beforeId?: string;
  limit: number;
}

export async function listConversations(ctx: Ctx, f: ConversationFilter): Promise<ConversationRow[]> {
  const cond: (SQL | undefined)[] = [visibleCondition(ctx.actor)];
  if (f.status?.length) cond.push(inArray(conversations.status, f.status));
  if (f.channel) cond.push(eq(conversations.channel, f.channel));
  if (f.assigneeId === 'none') cond.push(isNull(conversations.assigneeId));
  else if (f.assigneeId) cond.push(eq(conversations.assigneeId, f.assigneeId === 'me' ? (ctx.actor.id ?? '') : f.assigneeId));
  if (f.queueId) cond.push(eq(conversations.queueId, f.queueId));
  if (f.customerId) cond.push(eq(conversations.customerId, f.customerId));
  if (f.tag) cond.push(arrayContains(conversations.tags, [f.tag]));
  if (f.priority) cond.push(eq(conversations.priority, f.priority));
  if (f.problemType) cond.push(eq(conversations.problemType, f.problemType));
  if (f.flagged) cond.push(sql`${conversations.followUpDueAt} is not null`);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    cond.push(
      or(
        /^\d{1,9}$/.test(f.q) ? eq(conversations.number, Number(f.q)) : undefined,
        ilike(conversations.subject, like),
        sql`${conversations.intake}->>'orderNumber' ilike ${like}`,
      ),
    );
  }
  if (f.beforeId) cond.push(lt(conversations.id, f.beforeId));
  return ctx.db
    .select()
    .from(conversations)
    .where(and(...cond))
    .orderBy(desc(conversations.id))
    .limit(f.limit + 1);
}

/** Active = not resolved or closed: the work still on someone's desk or waiting for one. */
const ACTIVE: readonly Status[] = ['new', 'open', 'pending_customer', 'pending_internal'];

export interface ConversationCounts {
  mine: number;
  unassigned: number;
  /** Every active conversation the caller may see (a team lead: their team's and the unrouted). */
  active: number;
  /** Mine, waiting for the customer or for colleagues. */
  pending: number;
  /** Mine with a follow-up due. */
  followUps: number;
  /** Visible conversations per status. */
  byStatus: Record<Status, number>;
  /** Per queue id: its unresolved visible conversations, and of those the ones waiting for an agent. */
  byQueue: Record<string, { waiting: number; active: number }>;
}

/** The inbox's view counts in one pass over what the caller may see. */
export async function countConversations(ctx: Ctx): Promise<ConversationCounts> {
  const me = ctx.actor.id ?? '';
  const rows = await ctx.db
    .select({
      status: conversations.status,
      mine: sql<boolean>`coalesce(${conversations.assigneeId} = ${me}, false)`,
      unassigned: sql<boolean>`${conversations.assigneeId} is null`,
      flagged: sql<boolean>`${conversations.followUpDueAt} is not null`,
      queueId: conversations.queueId,
      n: sql<number>`count(*)::int`,
    })
    .from(conversations)
    .where(visibleCondition(ctx.actor))
    .groupBy(sql`1`, sql`2`, sql`3`, sql`4`, sql`5`);
  const counts: ConversationCounts = {
    mine: 0,
    unassigned: 0,
    active: 0,
    pending: 0,
    followUps: 0,
    byStatus: { new: 0, open: 0, pending_customer: 0, pending_internal: 0, resolved: 0, closed: 0 },
    byQueue: {},
  };
  for (const r of rows) {
    const status = r.status as Status;
    const n = Number(r.n);
    counts.byStatus[status] += n;
    if (!ACTIVE.includes(status)) continue;
    counts.active += n;
    if (r.unassigned) counts.unassigned += n;
    if (r.queueId) {
      const queue = (counts.byQueue[r.queueId] ??= { waiting: 0, active: 0 });
      queue.active += n;
      if (r.unassigned) queue.waiting += n;
    }
    if (r.mine) {
      counts.mine += n;
      if (status === 'pending_customer' || status === 'pending_internal') counts.pending += n;
      if (r.flagged) counts.followUps += n;
    }
  }
  return counts;
}

// ---------- update ----------


export async function updateDetails(ctx: Ctx, id: string, input: ConversationPatchInput): Promise<ConversationView> {
  const after = await write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, id, { lock: true });
    if (conv.status === 'closed') throw ConversationError('closed');
    const policy = await currentPolicy(w.tx);
    checkCatalogue(policy, input);
    const patch: Partial<ConversationRow> = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    if (input.tags) patch.tags = [...new Set(input.tags)];
    // The intake merges: a field sent as "" is cleared, others kept.
    if (input.intake) patch.intake = Object.fromEntries(Object.entries({ ...conv.intake, ...input.intake }).filter(([, v]) => v)) as Intake;
    if (input.problemType !== undefined && input.businessDomain === undefined) patch.businessDomain = domainOf(policy, input.problemType, conv.businessDomain);
    return updateConversation(w, conv, patch);
  });
  return conversationView(after, ctx.clock.now());
}

export async function listAssignments(ctx: Ctx, id: string) {
  await findVisible(ctx.db, ctx.actor, id);
  const rows = await ctx.db.select().from(assignments).where(eq(assignments.conversationId, id)).orderBy(asc(assignments.startedAt), asc(assignments.id));
  return rows.map(assignmentView);
}

/** S3: the reopen chain, oldest first — every reopen with its source, reason, actor and time. */
export async function listReopens(ctx: Ctx, id: string): Promise<ReopenView[]> {
  await findVisible(ctx.db, ctx.actor, id);
  const rows = await ctx.db.select().from(conversationReopens).where(eq(conversationReopens.conversationId, id)).orderBy(asc(conversationReopens.at), asc(conversationReopens.id));
  return rows.map((r, i) => reopenView(r, i + 1));
}

// ---------- attachments ----------

export async function uploadAttachment(ctx: Ctx, files: FileStore, conversationId: string, file: { fileName: string; bytes: Buffer }): Promise<AttachmentView> {
  await findVisible(ctx.db, ctx.actor, conversationId);
  return storeAttachment(ctx, files, conversationId, file);
}

/** Stores the bytes first (outside the transaction), then the row; an orphan file is harmless, a row without its file is not. */
export async function storeAttachment(ctx: Ctx, files: FileStore, conversationId: string, file: { fileName: string; bytes: Buffer }, allowed?: RegExp[]): Promise<AttachmentView> {
  const stored = await files.put(file.bytes, allowed);
  const row = await write(ctx, async (w) => {
    const [r] = await w.tx
      .insert(attachments)
      .values({
        id: newId(),
        conversationId,
        messageId: null,
        fileName: sanitiseFileName(file.fileName),
        contentType: stored.contentType,
        size: stored.size,
        sha256: stored.sha256,
        storageKey: stored.storageKey,
        uploadedBy: ctx.actor.id,
        createdAt: w.now,
      })
      .returning();
    await w.audit({ action: 'create', entityType: 'attachment', entityId: r!.id, after: attachmentView(r!) });
    return r!;
  });
  return attachmentView(row);
}

export async function readAttachment(ctx: Ctx, files: FileStore, attachmentId: string): Promise<{ view: AttachmentView; bytes: Buffer }> {
  const [row] = await ctx.db.select().from(attachments).where(eq(attachments.id, attachmentId)).limit(1);
  if (!row) throw ConversationError('attachment_not_found');
  await findVisible(ctx.db, ctx.actor, row.conversationId).catch(() => Promise.reject(ConversationError('attachment_not_found')));
  return { view: attachmentView(row), bytes: await files.read(row.storageKey) };
}
