import { createHash, randomBytes } from 'node:crypto';
import { and, asc, desc, eq, ne, sql } from 'drizzle-orm';
import type { Executor } from '../../../db/client.ts';
import { ANONYMOUS_ACTOR, type Actor, type Ctx } from '../../../platform/context.ts';
import { defineErrors } from '../../../platform/errors.ts';
import type { FileStore } from '../../../platform/files/store.ts';
import { write, type Writer } from '../../../platform/write.ts';
import { findOrCreateCustomer } from '../../customers/lookup.ts';
import { ConversationError, updateConversation } from '../../conversations/record.ts';
import { matchQueue, waitInfo, type WaitInfo } from '../../conversations/routing.ts';
import { attachments, conversations, messages } from '../../conversations/schema.ts';
import { addCustomerMessage, insertConversation, pageMessages, storeAttachment, type MessageLimits } from '../../conversations/service.ts';
import type { ConversationRow, MessageView } from '../../conversations/views.ts';

export const ChatError = defineErrors('chat', {
  upgrade_required: [426, { 'zh-CN': '请使用 WebSocket 连接此地址', 'zh-TW': '請使用 WebSocket 連線此位址', en: 'Connect to this address with a WebSocket' }],
  invalid_frame: [400, { 'zh-CN': '消息格式不正确：{detail}', 'zh-TW': '訊息格式不正確：{detail}', en: 'Malformed frame: {detail}' }],
  hello_required: [400, { 'zh-CN': '请先发送 hello', 'zh-TW': '請先傳送 hello', en: 'Send hello first' }],
  already_greeted: [409, { 'zh-CN': '此连接已发送过 hello', 'zh-TW': '此連線已傳送過 hello', en: 'This connection has already sent hello' }],
  visitor_required: [401, { 'zh-CN': '缺少或无效的访客令牌（请求头 X-Kefu-Visitor）', 'zh-TW': '缺少或無效的訪客權杖（請求標頭 X-Kefu-Visitor）', en: 'Missing or invalid visitor token (header X-Kefu-Visitor)' }],
  conversation_not_found: [404, { 'zh-CN': '会话不存在', 'zh-TW': '會話不存在', en: 'Conversation not found' }],
  no_conversation: [409, { 'zh-CN': '请先发送一条消息，再上传附件', 'zh-TW': '請先傳送一則訊息，再上傳附件', en: 'Send a message before uploading an attachment' }],
  rate_limited: [429, { 'zh-CN': '发送过于频繁，请稍后再试', 'zh-TW': '傳送過於頻繁，請稍後再試', en: 'Too many messages; try again shortly' }],
  too_many_connections: [429, { 'zh-CN': '来自此地址的连接过多', 'zh-TW': '來自此位址的連線過多', en: 'Too many connections from this address' }],
});

// ---------- visitors ----------

const TOKEN = /^kfv_[A-Za-z0-9_-]{43}$/;

/** A visitor token is 256 random bits; the server keeps only a hash of it, so no stored value lets anyone act as the visitor. */
export function issueVisitorToken(): string {
  return `kfv_${randomBytes(32).toString('base64url')}`;
}

/** The visitor id stored on conversations (conversations.visitor_id); null for a malformed token. */
export function visitorIdOf(token: string | null | undefined): string | null {
  if (!token || !TOKEN.test(token)) return null;
  return `v_${createHash('sha256').update(token).digest('base64url').slice(0, 32)}`;
}

export interface Contact {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
}

export interface Visitor {
  id: string;
  contact: Contact;
}

/** Audit entries name the visitor; a visitor holds no permission. */
function visitorActor(visitorId: string): Actor {
  return { ...ANONYMOUS_ACTOR, name: `访客 ${visitorId}` };
}

export function visitorCtx(base: Pick<Ctx, 'db' | 'clock' | 'locale' | 'ip'>, visitorId: string): Ctx {
  return { actor: visitorActor(visitorId), db: base.db, clock: base.clock, locale: base.locale, requestId: null, ip: base.ip };
}

// ---------- what a visitor sees ----------

export interface VisitorAttachment {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface VisitorMessage {
  id: string;
  conversationId: string;
  author: 'customer' | 'agent' | 'system';
  body: string;
  clientId: string | null;
  attachments: VisitorAttachment[];
  createdAt: string;
}

export interface VisitorConversation {
  id: string;
  number: number;
  status: string;
  /** An agent has taken it. */
  assigned: boolean;
  leftMessage: boolean;
  createdAt: string;
}

/** Internal notes never leave the server; staff ids and delivery details are not the visitor's business. */
export function visitorMessage(m: Pick<MessageView, 'id' | 'conversationId' | 'author' | 'body' | 'clientId' | 'attachments' | 'createdAt'>): VisitorMessage | null {
  if (m.author === 'note') return null;
  return {
    id: m.id,
    conversationId: m.conversationId,
    author: m.author,
    body: m.body,
    clientId: m.author === 'customer' ? m.clientId : null,
    attachments: m.attachments.map((a) => ({ id: a.id, fileName: a.fileName, contentType: a.contentType, size: a.size })),
    createdAt: m.createdAt,
  };
}

export function visitorConversation(c: Pick<ConversationRow, 'id' | 'number' | 'status' | 'assigneeId' | 'leftMessage' | 'createdAt'>): VisitorConversation {
  return { id: c.id, number: c.number, status: c.status, assigned: c.assigneeId !== null, leftMessage: c.leftMessage, createdAt: c.createdAt.toISOString() };
}

// ---------- reads ----------

/** The visitor's conversation in progress: the newest one not closed. A resolved one is reopened by the next message. */
export async function currentConversation(db: Executor, visitorId: string, opts: { lock?: boolean } = {}): Promise<ConversationRow | null> {
  const q = db
    .select()
    .from(conversations)
    .where(and(eq(conversations.visitorId, visitorId), ne(conversations.status, 'closed')))
    .orderBy(desc(conversations.id))
    .limit(1);
  const [row] = opts.lock ? await q.for('update') : await q;
  return row ?? null;
}

/** One of the visitor's own conversations; any other id is "not found", whether it exists or not. */
export async function visitorConversationById(db: Executor, visitorId: string, conversationId: string): Promise<ConversationRow> {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, conversationId), eq(conversations.visitorId, visitorId)))
    .limit(1);
  if (!row) throw ChatError('conversation_not_found', { field: 'conversationId' });
  return row;
}

/** Messages the visitor may see, oldest first, after `afterId` (message ids are time-ordered). */
export async function visitorMessages(db: Executor, conversationId: string, f: { afterId?: string; limit: number }): Promise<{ messages: VisitorMessage[]; hasMore: boolean }> {
  const page = await pageMessages(db, conversationId, { afterId: f.afterId, limit: f.limit, includeNotes: false });
  const hasMore = page.length > f.limit;
  return { messages: page.slice(0, f.limit).flatMap((m) => visitorMessage(m) ?? []), hasMore };
}

export interface QueueStatus extends WaitInfo {
  /** Null before the visitor has a conversation: the wait they would have if they wrote now. */
  conversationId: string | null;
}

const NO_CUSTOMER = '00000000-0000-0000-0000-000000000000';

/**
 * CH6: the visitor's place in the queue, or null when an agent has the conversation. Without a
 * conversation, the estimate for a newcomer, so "nobody online" is told before the first message.
 */
export async function queueStatus(db: Executor, visitorId: string, now: Date): Promise<QueueStatus | null> {
  const conv = await currentConversation(db, visitorId);
  if (conv) {
    if (conv.assigneeId || !['new', 'open'].includes(conv.status)) return null;
    return { conversationId: conv.id, ...(await waitInfo(db, conv)) };
  }
  // Arriving now means behind everyone already waiting, even those who came in this very millisecond.
  const probe = { channel: 'chat', skill: null, customerId: NO_CUSTOMER, priority: 'normal', assigneeId: null, createdAt: new Date(now.getTime() + 1) } as const;
  const queueId = await matchQueue(db, probe);
  return { conversationId: null, ...(await waitInfo(db, { ...probe, queueId } as unknown as ConversationRow)) };
}

// ---------- writes ----------

/** One visitor's writes run one at a time (two tabs, a resend racing its original), on every node. */
async function lockVisitor(w: Writer, visitorId: string): Promise<void> {
  await w.tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`chat-visitor:${visitorId}`}))`);
}

/** A message of this visitor with this client id, in any of their conversations (the one it went to may be closed by now). */
async function sentBefore(w: Writer, visitorId: string, clientId: string) {
  const [row] = await w.tx
    .select({ id: messages.id, conversationId: messages.conversationId, body: messages.body })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(and(eq(conversations.visitorId, visitorId), eq(messages.clientId, clientId)))
    .limit(1);
  return row ?? null;
}

/** The archive the contact details point to; without any, the visitor's earlier archive, or a new anonymous one. */
async function customerFor(w: Writer, visitorId: string, contact: Contact): Promise<string> {
  if (contact.phone || contact.email) return (await findOrCreateCustomer(w, contact, 'chat')).id;
  const [earlier] = await w.tx
    .select({ customerId: conversations.customerId })
    .from(conversations)
    .where(eq(conversations.visitorId, visitorId))
    .orderBy(desc(conversations.id))
    .limit(1);
  return earlier?.customerId ?? (await findOrCreateCustomer(w, { name: contact.name }, 'chat')).id;
}

export interface SentMessage {
  messageId: string;
  conversationId: string;
  duplicate: boolean;
  /** The conversation as it stands after the message. */
  conversation: ConversationRow | null;
}

export interface ChatMessageInput {
  clientId: string;
  body: string;
  attachmentIds?: string[];
}

async function duplicateOf(w: Writer, visitorId: string, input: ChatMessageInput): Promise<SentMessage | null> {
  const seen = await sentBefore(w, visitorId, input.clientId);
  if (!seen) return null;
  if (seen.body !== input.body) throw ConversationError('client_id_conflict', { field: 'clientId', params: { clientId: input.clientId } });
  return { messageId: seen.id, conversationId: seen.conversationId, duplicate: true, conversation: null };
}

/**
 * CH2: a visitor's message. The first opens a chat conversation (routed at once); later ones join
 * the conversation in progress. A resend with a known client id is answered as a duplicate.
 */
export function sendChatMessage(ctx: Ctx, visitor: Visitor, input: ChatMessageInput, limits: MessageLimits): Promise<SentMessage> {
  return write(ctx, async (w) => {
    await lockVisitor(w, visitor.id);
    const dup = await duplicateOf(w, visitor.id, input);
    if (dup) return dup;
    const message = { body: input.body, clientId: input.clientId, attachmentIds: input.attachmentIds };
    const conv = await currentConversation(w.tx, visitor.id, { lock: true });
    if (conv) {
      const r = await addCustomerMessage(w, conv, message, limits);
      return { messageId: r.message.id, conversationId: conv.id, duplicate: r.duplicate, conversation: r.conversation };
    }
    const customerId = await customerFor(w, visitor.id, visitor.contact);
    const { conversation, message: first } = await insertConversation(w, { channel: 'chat', customerId, visitorId: visitor.id, message }, limits);
    return { messageId: first!.id, conversationId: conversation.id, duplicate: false, conversation };
  });
}

export interface LeaveMessageInput extends ChatMessageInput, Contact {}

/**
 * 留言: when nobody can answer, the visitor leaves a message with contact details. It joins the
 * waiting conversation if there is one (so the case is not split in two), else opens one; either
 * way the conversation is marked as a left message and carries the callback number.
 */
export function leaveMessage(ctx: Ctx, visitor: Visitor, input: LeaveMessageInput, limits: MessageLimits): Promise<SentMessage> {
  return write(ctx, async (w) => {
    await lockVisitor(w, visitor.id);
    const dup = await duplicateOf(w, visitor.id, input);
    if (dup) return dup;
    const contact: Contact = { name: input.name || visitor.contact.name, phone: input.phone || visitor.contact.phone, email: input.email || visitor.contact.email };
    const message = { body: input.body, clientId: input.clientId, attachmentIds: input.attachmentIds };
    const conv = await currentConversation(w.tx, visitor.id, { lock: true });
    if (conv) {
      const r = await addCustomerMessage(w, conv, message, limits);
      let after = r.conversation;
      if (!after.assigneeId && !after.leftMessage) {
        after = await updateConversation(w, after, { leftMessage: true, intake: contact.phone && !after.intake.contact ? { ...after.intake, contact: contact.phone } : after.intake });
      }
      return { messageId: r.message.id, conversationId: conv.id, duplicate: false, conversation: after };
    }
    const customerId = await customerFor(w, visitor.id, contact);
    const { conversation, message: first } = await insertConversation(
      w,
      { channel: 'chat', customerId, visitorId: visitor.id, leftMessage: true, subject: '访客留言', intake: contact.phone ? { contact: contact.phone } : {}, message },
      limits,
    );
    return { messageId: first!.id, conversationId: conversation.id, duplicate: false, conversation };
  });
}

/** A visitor's upload goes to their conversation in progress; it becomes part of a message once a message names it. */
export async function uploadVisitorAttachment(ctx: Ctx, files: FileStore, visitorId: string, file: { fileName: string; bytes: Buffer }): Promise<VisitorAttachment> {
  const conv = await currentConversation(ctx.db, visitorId);
  if (!conv) throw ChatError('no_conversation');
  const a = await storeAttachment(ctx, files, conv.id, file);
  return { id: a.id, fileName: a.fileName, contentType: a.contentType, size: a.size };
}

/**
 * A file the visitor may download: in one of their conversations, and either in a message they can
 * see or an upload of their own not yet sent. Files of internal notes are "not found".
 */
export async function readVisitorAttachment(db: Executor, files: FileStore, visitorId: string, attachmentId: string): Promise<{ file: VisitorAttachment; bytes: Buffer }> {
  const [row] = await db
    .select({ a: attachments, author: messages.author })
    .from(attachments)
    .innerJoin(conversations, eq(conversations.id, attachments.conversationId))
    .leftJoin(messages, eq(messages.id, attachments.messageId))
    .where(and(eq(attachments.id, attachmentId), eq(conversations.visitorId, visitorId)))
    .orderBy(asc(attachments.id))
    .limit(1);
  const visible = row && (row.a.messageId ? row.author !== 'note' : row.a.uploadedBy === null);
  if (!row || !visible) throw ConversationError('attachment_not_found');
  return { file: { id: row.a.id, fileName: row.a.fileName, contentType: row.a.contentType, size: row.a.size }, bytes: await files.read(row.a.storageKey) };
}
