import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { eq } from 'drizzle-orm';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Config } from '../../../config.ts';
import type { Database } from '../../../db/client.ts';
import type { Clock } from '../../../platform/clock.ts';
import { systemCtx } from '../../../platform/context.ts';
import { AppError } from '../../../platform/errors.ts';
import type { FileStore } from '../../../platform/files/store.ts';
import { write, type Writer } from '../../../platform/write.ts';
import { conversations, messages } from '../../conversations/schema.ts';
import { addCustomerMessage, addSystemMessage, insertConversation, storeAttachment } from '../../conversations/service.ts';
import type { ConversationRow } from '../../conversations/views.ts';
import { findOrCreateCustomer, normaliseEmail } from '../../customers/lookup.ts';
import { MailRejected, cleanLine, maskAddresses, maxMailBytes, parseMail, type InboundMail } from './mail.ts';
import { recordDelivery } from './sender.ts';
import { baseSubject, findBounced, findThread, stripQuoted } from './threading.ts';

export interface EmailDeps {
  database: Database;
  clock: Clock;
  config: Config;
  files: FileStore;
  log: FastifyBaseLogger;
}

export type InboundOutcome =
  | { outcome: 'created' | 'threaded' | 'duplicate' | 'auto_reply' | 'bounce'; conversationId: string }
  | { outcome: 'ignored'; reason: string };

const TRUNCATED = '…（邮件过长，已截断）';

function fit(body: string, maxChars: number): string {
  const chars = [...body];
  return chars.length <= maxChars ? body : chars.slice(0, maxChars - TRUNCATED.length).join('') + TRUNCATED;
}

function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (e.code === '23505') return true;
  return false;
}

/**
 * Attachments are stored inside the mail's transaction (as a savepoint), so a failure later on
 * leaves no attachment row behind. Types the file store refuses are listed for a note instead.
 */
async function storeFiles(w: Writer, deps: EmailDeps, conversationId: string, mail: InboundMail): Promise<{ ids: string[]; refused: string[] }> {
  const ids: string[] = [];
  const refused: string[] = [];
  const ctx = { ...w.ctx, db: w.tx };
  for (const file of mail.attachments) {
    try {
      ids.push((await storeAttachment(ctx, deps.files, conversationId, file)).id);
    } catch (err) {
      if (!(err instanceof AppError) || !err.code.startsWith('file.')) throw err;
      refused.push(`${file.fileName}（${err.body('zh-CN').error.message}）`);
    }
  }
  return { ids, refused };
}

/** A system note that is also tied to the mail's Message-ID, so a second delivery of the same mail adds nothing. */
async function noteFromMail(w: Writer, conv: ConversationRow, body: string, mail: InboundMail, maxChars: number): Promise<void> {
  const note = await addSystemMessage(w, conv, fit(body, maxChars));
  await w.tx.update(messages).set({ emailMessageId: mail.messageId }).where(eq(messages.id, note.id));
}

/**
 * Stores one accepted mail in a single transaction: the SMTP answer 250 is given only after it
 * commits, so an acknowledged mail is never lost and a failed one leaves nothing behind.
 */
export async function storeInbound(deps: EmailDeps, mail: InboundMail): Promise<InboundOutcome> {
  const limits = { maxChars: deps.config.messageMaxChars };
  const ctx = systemCtx(deps.database.db, deps.clock);
  return write(ctx, async (w): Promise<InboundOutcome> => {
    const [seen] = await w.tx.select({ conversationId: messages.conversationId }).from(messages).where(eq(messages.emailMessageId, mail.messageId)).limit(1);
    if (seen) return { outcome: 'duplicate', conversationId: seen.conversationId };

    if (mail.kind === 'bounce') {
      const original = await findBounced(w, mail.bounce!);
      if (!original) return { outcome: 'ignored', reason: 'bounce for no reply of ours' };
      const [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, original.conversationId)).limit(1);
      const b = mail.bounce!;
      const reason = [b.status, b.diagnostic && maskAddresses(b.diagnostic)].filter(Boolean).join(' ');
      await recordDelivery(w, conv!, original.id, { state: 'failed', attempts: original.delivery?.attempts ?? 1, error: `退信 ${reason}`.trim(), at: w.now.toISOString() });
      const to = b.recipient ? maskAddresses(b.recipient) : '客户';
      await noteFromMail(w, conv!, `邮件退信：发往 ${to} 的回复未能送达${reason ? `（${reason}）` : ''}。请核对客户邮箱后重发，或改用其他方式联系。`, mail, limits.maxChars);
      return { outcome: 'bounce', conversationId: conv!.id };
    }

    const thread = await findThread(w, mail);
    const body = stripQuoted(mail.text);

    if (mail.kind === 'auto_reply') {
      // Noted for the agent; status, timers and the customer's last-message time stay as they were.
      if (!thread.conversation) return { outcome: 'ignored', reason: 'auto-reply outside any conversation' };
      await noteFromMail(w, thread.conversation, `收到自动回复（不计为客户回复）：${mail.subject || '（无主题）'}\n${body}`.trim(), mail, limits.maxChars);
      return { outcome: 'auto_reply', conversationId: thread.conversation.id };
    }

    const text = (files: number) => fit(body || (files ? '（见附件）' : '（邮件无正文）'), limits.maxChars);
    const open = thread.conversation && thread.conversation.status !== 'closed' ? thread.conversation : null;
    if (open) {
      const stored = await storeFiles(w, deps, open.id, mail);
      const { conversation } = await addCustomerMessage(w, open, { body: text(mail.attachments.length), emailMessageId: mail.messageId, emailInReplyTo: mail.inReplyTo, attachmentIds: stored.ids }, limits);
      if (stored.refused.length) await addSystemMessage(w, conversation, `邮件附件未保存：${stored.refused.join('；')}`);
      return { outcome: 'threaded', conversationId: conversation.id };
    }

    // A new conversation: a first mail, a reply to a closed case, or a number named by someone else.
    const customer = await findOrCreateCustomer(w, { email: mail.fromAddress, name: mail.fromName }, 'email');
    const closed = thread.conversation;
    const subject = baseSubject(mail.subject);
    const first = {
      channel: 'email',
      customerId: customer.id,
      subject: closed ? `${subject || closed.subject || '邮件'}（接续 #${closed.number}）` : subject || null,
      tags: closed ? [`接续#${closed.number}`] : [],
    };
    const message = { body: text(mail.attachments.length), emailMessageId: mail.messageId, emailInReplyTo: mail.inReplyTo };
    let conversation: ConversationRow;
    let refused: string[] = [];
    if (mail.attachments.length === 0) {
      ({ conversation } = await insertConversation(w, { ...first, message }, limits));
    } else {
      // Attachments need the conversation's id before the message that carries them.
      ({ conversation } = await insertConversation(w, first, limits));
      const stored = await storeFiles(w, deps, conversation.id, mail);
      refused = stored.refused;
      ({ conversation } = await addCustomerMessage(w, conversation, { ...message, attachmentIds: stored.ids }, limits));
    }
    if (closed) await addSystemMessage(w, conversation, `客户回复了已关闭的会话 #${closed.number}，已新建此会话。`);
    if (!thread.conversation && thread.hijackedNumber !== null) {
      await addSystemMessage(w, conversation, `邮件主题中的编号 #${thread.hijackedNumber} 不属于此发件人的会话，已作为新会话处理。`);
    }
    if (refused.length) await addSystemMessage(w, conversation, `邮件附件未保存：${refused.join('；')}`);
    return { outcome: 'created', conversationId: conversation.id };
  });
}

/** Decodes, checks and stores one mail; throws MailRejected for a permanent refusal. */
export async function acceptMail(deps: EmailDeps, raw: Buffer, envelopeFrom: string | null): Promise<InboundOutcome> {
  const mail = await parseMail(raw, envelopeFrom);
  if (!mail.fromAddress && mail.kind === 'mail') throw new MailRejected(550, '5.1.7', 'The message has no sender address');
  // Our own replies coming back (a forwarding loop, a copy to the support address) are not customer mail.
  if (mail.fromAddress && mail.fromAddress === ownAddress(deps.config)) return { outcome: 'ignored', reason: 'mail from our own address' };
  try {
    return await storeInbound(deps, mail);
  } catch (err) {
    // The same mail delivered twice at once: the second finds the first committed.
    if (isUniqueViolation(err)) return storeInbound(deps, mail);
    throw err;
  }
}

function ownAddress(config: Config): string {
  const m = config.mailFrom.match(/<([^<>]+)>/);
  return normaliseEmail(m ? m[1]! : config.mailFrom);
}

function smtpError(responseCode: number, enhanced: string, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(`${enhanced} ${message}`), { responseCode });
}

export interface EmailReceiver {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The built-in SMTP receiver (an MX for config.mailDomain). It accepts mail only for that domain,
 * refuses what is over the size limit, and answers 250 only after the mail is stored;
 * a database failure is a 451 so the sending server tries again later.
 */
export async function startEmailReceiver(deps: EmailDeps, opts: { port: number; host: string }): Promise<EmailReceiver> {
  const size = maxMailBytes(deps.config.attachmentMaxBytes);
  const domain = deps.config.mailDomain.toLowerCase();
  const log = deps.log.child({ component: 'smtp' });
  const server = new SMTPServer({
    name: domain,
    banner: 'Kefu mail receiver',
    size,
    authOptional: true,
    // A receiving MX needs no AUTH; STARTTLS is left to the mail server in front (see docs/email.md).
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    // Each mail is held in memory until stored; more senders at once are told to retry (421).
    maxClients: 20,
    maxRecipients: 100,
    closeTimeout: 5_000,
    onRcptTo(address, _session, callback) {
      const at = address.address.lastIndexOf('@');
      if (at < 0 || address.address.slice(at + 1).toLowerCase() !== domain) {
        return callback(smtpError(550, '5.1.1', `<${cleanLine(address.address, 200)}>: this server only accepts mail for @${domain}`));
      }
      callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, '5.3.4', `Message exceeds the limit of ${size} bytes`));
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address || null : null;
        const from = envelopeFrom && maskAddresses(envelopeFrom);
        acceptMail(deps, Buffer.concat(chunks), envelopeFrom).then(
          (result) => {
            log.info({ from, ...result }, 'inbound mail');
            callback(null, `2.0.0 Ok: ${result.outcome}`);
          },
          (err: unknown) => {
            if (err instanceof MailRejected) {
              log.info({ from, reason: err.message }, 'inbound mail refused');
              return callback(smtpError(err.responseCode, err.enhanced, err.message));
            }
            log.error({ err, from }, 'inbound mail could not be stored');
            callback(smtpError(451, '4.3.0', 'Temporary failure, please try again later'));
          },
        );
      });
    },
  });
  server.on('error', (err) => log.warn({ err }, 'smtp connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
