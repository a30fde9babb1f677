import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNotNull, lt } from 'drizzle-orm';
import { DateTime } from 'luxon';
import nodemailer from 'nodemailer';
import type { Config } from '../../../config.ts';
import type { Executor } from '../../../db/client.ts';
import type { Ctx } from '../../../platform/context.ts';
import { defineErrors } from '../../../platform/errors.ts';
import { declareEventTypes } from '../../../platform/events/outbox.ts';
import type { FileStore } from '../../../platform/files/store.ts';
import { scheduleJob, type JobContext, type JobRunner } from '../../../platform/jobs/runner.ts';
import { write, type Writer } from '../../../platform/write.ts';
import { registerOutbound, type MessageRow } from '../../conversations/outbound.ts';
import { conversationAudience, findVisible } from '../../conversations/record.ts';
import { attachments, conversations, messages, type MessageDelivery } from '../../conversations/schema.ts';
import { attachmentView, messageView, type ConversationRow, type MessageView } from '../../conversations/views.ts';
import { customers } from '../../customers/schema.ts';
import { currentPolicy } from '../../policy/service.ts';
import { cleanLine, maskAddresses } from './mail.ts';
import { baseSubject } from './threading.ts';

export const EmailError = defineErrors('email', {
  message_not_found: [404, { 'zh-CN': '消息不存在', 'zh-TW': '訊息不存在', en: 'Message not found' }],
  not_resendable: [409, { 'zh-CN': '只有发送失败的邮件回复可以重发', 'zh-TW': '只有傳送失敗的郵件回覆可以重送', en: 'Only an email reply whose delivery failed can be resent' }],
});

declareEventTypes({ 'message.delivery_updated': '消息投递状态变化（邮件已发出、重试中、发送失败或被退信）' });

export const SEND_JOB = 'email.send';
/** With 30 s doubling to at most 30 min, eight attempts span about an hour before a reply is marked failed. */
export const SEND_MAX_ATTEMPTS = 8;
const SEND_BACKOFF_MS = 30_000;
const SEND_MAX_BACKOFF_MS = 30 * 60_000;
/** RFC 5322 lets a long References header be trimmed to its first and latest ids. */
const MAX_REFERENCES = 20;

/** Records a delivery outcome on the message and tells the console. */
export async function recordDelivery(w: Writer, conv: ConversationRow, messageId: string, outcome: MessageDelivery): Promise<MessageRow> {
  const delivery = { ...outcome, error: outcome.error && maskAddresses(outcome.error) };
  const [row] = await w.tx.update(messages).set({ delivery }).where(eq(messages.id, messageId)).returning();
  await w.emit({
    type: 'message.delivery_updated',
    entityType: 'message',
    entityId: messageId,
    data: { id: messageId, conversationId: conv.id, conversationNumber: conv.number, channel: conv.channel, delivery },
    audience: conversationAudience(conv),
  });
  return row!;
}

async function scheduleSend(w: Writer, messageId: string): Promise<void> {
  await scheduleJob(w, { kind: SEND_JOB, payload: { messageId }, dedupeKey: `email-send:${messageId}`, maxAttempts: SEND_MAX_ATTEMPTS });
}

/**
 * Runs in the transaction that stores the reply: gives it its Message-ID (kept across retries,
 * so a receiver that saw an attempt twice keeps one copy, and a bounce can name it) and
 * schedules the delivery job. Nothing is sent from inside a transaction.
 */
async function queueReply(w: Writer, conv: ConversationRow, message: MessageRow, config: Config): Promise<void> {
  const [lastInbound] = await w.tx
    .select({ emailMessageId: messages.emailMessageId })
    .from(messages)
    .where(and(eq(messages.conversationId, conv.id), eq(messages.author, 'customer'), isNotNull(messages.emailMessageId)))
    .orderBy(desc(messages.id))
    .limit(1);
  await w.tx
    .update(messages)
    .set({
      emailMessageId: `<${randomUUID()}@${config.mailDomain}>`,
      emailInReplyTo: lastInbound?.emailMessageId ?? null,
      delivery: { state: 'pending', attempts: 0, error: null, at: null },
    })
    .where(eq(messages.id, message.id));
  await scheduleSend(w, message.id);
}

export function replySubject(conv: Pick<ConversationRow, 'subject' | 'number'>): string {
  return `Re: ${baseSubject(cleanLine(conv.subject ?? '')) || '您的咨询'} [#${conv.number}]`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const htmlLines = (s: string) => escapeHtml(s).replace(/\n/g, '<br>');

export interface ComposedReply {
  subject: string;
  to: string;
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  text: string;
  html: string;
  attachments: Array<{ filename: string; content: Buffer; contentType: string }>;
  automatic: boolean;
}

/** The reply as the customer will read it: the new words, then the customer's previous message quoted. */
export async function composeReply(db: Executor, files: FileStore, conv: ConversationRow, message: MessageRow, customer: { name: string; email: string }): Promise<ComposedReply> {
  const chain = await db
    .select({ id: messages.emailMessageId })
    .from(messages)
    .where(and(eq(messages.conversationId, conv.id), lt(messages.id, message.id), isNotNull(messages.emailMessageId), inArray(messages.author, ['customer', 'agent', 'system'])))
    .orderBy(asc(messages.id));
  const ids = chain.map((c) => c.id!);
  const references = ids.length > MAX_REFERENCES ? [ids[0]!, ...ids.slice(-(MAX_REFERENCES - 1))] : ids;
  const [previous] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.conversationId, conv.id), eq(messages.author, 'customer'), lt(messages.id, message.id)))
    .orderBy(desc(messages.id))
    .limit(1);
  let text = message.body;
  let html = `<div>${htmlLines(message.body)}</div>`;
  if (previous) {
    const zone = (await currentPolicy(db)).organisation.timezone.value;
    const when = DateTime.fromJSDate(previous.createdAt, { zone }).toFormat('yyyy年M月d日 HH:mm');
    const header = `在 ${when}，${customer.name} 写道：`;
    text += `\n\n${header}\n${previous.body
      .split('\n')
      .map((l) => `> ${l}`)
      .join('\n')}`;
    html += `<br><div>${escapeHtml(header)}</div><blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${htmlLines(previous.body)}</blockquote>`;
  }
  const attached = await db.select().from(attachments).where(eq(attachments.messageId, message.id)).orderBy(asc(attachments.id));
  return {
    subject: replySubject(conv),
    to: customer.email,
    messageId: message.emailMessageId!,
    inReplyTo: message.emailInReplyTo,
    references,
    text,
    html: `<!doctype html><html><body style="font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif">${html}</body></html>`,
    attachments: await Promise.all(attached.map(async (f) => ({ filename: f.fileName, content: await files.read(f.storageKey), contentType: f.contentType }))),
    // Follow-up notices are sent by Kefu itself; the header keeps out-of-office robots from answering them.
    automatic: message.author === 'system',
  };
}

/** A relay's 5xx (unknown recipient, refused sender, bad credentials) will not change on retry. */
function isPermanent(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

async function deliver(payload: Record<string, unknown>, jc: JobContext, deps: { config: Config; files: FileStore }): Promise<void> {
  const db = jc.ctx.db;
  const now = () => jc.ctx.clock.now().toISOString();
  const [message] = await db.select().from(messages).where(eq(messages.id, String(payload.messageId))).limit(1);
  if (!message || message.delivery?.state === 'sent' || !message.emailMessageId) return;
  const [conv] = await db.select().from(conversations).where(eq(conversations.id, message.conversationId)).limit(1);
  const [customer] = await db.select({ name: customers.name, emails: customers.emails }).from(customers).where(eq(customers.id, conv!.customerId)).limit(1);
  const attempts = (message.delivery?.attempts ?? 0) + 1;
  const fail = (error: string) => jc.complete((w) => recordDelivery(w, conv!, message.id, { state: 'failed', attempts, error, at: now() }));

  // Neither of these mends itself: the reply is marked failed at once instead of retried for an hour.
  if (!deps.config.smtpRelayUrl) return void (await fail('未配置发信服务器（KEFU_SMTP_RELAY_URL），邮件未发送'));
  const email = customer?.emails[0];
  if (!email) return void (await fail('客户档案中没有邮箱地址'));

  const reply = await composeReply(db, deps.files, conv!, message, { name: customer.name, email });
  const transport = nodemailer.createTransport({ url: deps.config.smtpRelayUrl, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 });
  try {
    await transport.sendMail({
      from: deps.config.mailFrom,
      to: reply.to,
      subject: reply.subject,
      messageId: reply.messageId,
      ...(reply.inReplyTo ? { inReplyTo: reply.inReplyTo } : {}),
      ...(reply.references.length ? { references: reply.references } : {}),
      text: reply.text,
      html: reply.html,
      attachments: reply.attachments,
      ...(reply.automatic ? { headers: { 'Auto-Submitted': 'auto-generated' } } : {}),
    });
  } catch (err) {
    const error = cleanLine(err instanceof Error ? err.message : String(err), 500);
    if (isPermanent(err) || jc.job.attempts >= jc.job.maxAttempts) return void (await fail(error));
    // Still pending: the console shows the attempt and its error while the runner retries with backoff.
    await write(jc.ctx, (w) => recordDelivery(w, conv!, message.id, { state: 'pending', attempts, error, at: now() }));
    throw new Error(error);
  } finally {
    transport.close();
  }
  await jc.complete((w) => recordDelivery(w, conv!, message.id, { state: 'sent', attempts, error: null, at: now() }));
}

/** Wires the email channel's outbound side: replies on email conversations leave through the relay. */
export function installEmailOutbound(jobs: JobRunner, deps: { config: Config; files: FileStore }): void {
  registerOutbound('email', (w, conv, message) => queueReply(w, conv, message, deps.config));
  jobs.register(SEND_JOB, (payload, jc) => deliver(payload, jc, deps), { backoffMs: SEND_BACKOFF_MS, maxBackoffMs: SEND_MAX_BACKOFF_MS });
}

/** An agent sends a failed email reply again (after the relay or the address was fixed), with the same Message-ID. */
export async function resendEmail(ctx: Ctx, messageId: string): Promise<MessageView> {
  return write(ctx, async (w) => {
    const [message] = await w.tx.select().from(messages).where(eq(messages.id, messageId)).limit(1);
    if (!message) throw EmailError('message_not_found');
    const conv = await findVisible(w.tx, ctx.actor, message.conversationId, { lock: true }).catch(() => Promise.reject(EmailError('message_not_found')));
    if (conv.channel !== 'email' || message.delivery?.state !== 'failed' || !message.emailMessageId) throw EmailError('not_resendable');
    const before = message.delivery;
    const delivery: MessageDelivery = { state: 'pending', attempts: before.attempts, error: null, at: null };
    const row = await recordDelivery(w, conv, message.id, delivery);
    await w.audit({ action: 'update', entityType: 'message', entityId: message.id, before: { delivery: before }, after: { delivery }, reason: '重发邮件' });
    await scheduleSend(w, message.id);
    const files = await w.tx.select().from(attachments).where(eq(attachments.messageId, message.id)).orderBy(asc(attachments.id));
    return messageView(row, files.map(attachmentView));
  });
}
