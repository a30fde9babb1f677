import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { SYSTEM_ACTOR } from '../../../platform/context.ts';
import type { Writer } from '../../../platform/write.ts';
import { findVisible } from '../../conversations/record.ts';
import { conversations, messages } from '../../conversations/schema.ts';
import type { ConversationRow } from '../../conversations/views.ts';
import { customers } from '../../customers/schema.ts';
import { normaliseEmail } from '../../customers/lookup.ts';
import type { BounceReport, InboundMail } from './mail.ts';

// ---------- quoted history ----------

const SEPARATOR = [
  /^-{2,}\s*(原始邮件|原始郵件|original message|forwarded message|转发的邮件|轉寄的郵件)\s*-{2,}$/i,
  /^在.{1,200}(写道|寫道)\s*[:：]$/,
  /^on\b.{1,300}\bwrote:$/i,
];
/** Outlook's quote header: a From line followed closely by a Sent/Date line. */
const QUOTE_FROM = /^(发件人|寄件者|from)\s*[:：]/i;
const QUOTE_SENT = /^(发送时间|寄件日期|日期|时间|sent|date)\s*[:：]/i;

function startsQuote(lines: string[], i: number): boolean {
  const line = lines[i]!.trim();
  if (SEPARATOR.some((re) => re.test(line))) return true;
  // Gmail breaks a long "On …, X <x@y> wrote:" over two lines.
  if (/^on\b/i.test(line) && i + 1 < lines.length && /^on\b.{1,300}\bwrote:$/i.test(`${line} ${lines[i + 1]!.trim()}`)) return true;
  if (/^_{20,}$/.test(line) && i + 1 < lines.length && QUOTE_FROM.test(lines[i + 1]!.trim())) return true;
  return QUOTE_FROM.test(line) && lines.slice(i + 1, i + 5).some((l) => QUOTE_SENT.test(l.trim()));
}

/**
 * The new words of a reply: everything from the first quote header on is history, and so are
 * lines starting with ">". A mail that is nothing but history (a plain forward) is kept whole.
 */
export function stripQuoted(text: string): string {
  const lines = text.split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    if (startsQuote(lines, i)) {
      end = i;
      break;
    }
  }
  const kept = lines
    .slice(0, end)
    .filter((l) => !/^\s*>/.test(l))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return kept || text.trim();
}

// ---------- subject ----------

const TAG = /\[#(\d{1,9})\]/g;

/** The conversation number of the last `[#12345]` tag in a subject. */
export function subjectTag(subject: string): number | null {
  const all = [...subject.matchAll(TAG)];
  return all.length ? Number(all[all.length - 1]![1]) : null;
}

/** The subject without our tags and without reply/forward prefixes, as the conversation keeps it. */
export function baseSubject(subject: string): string {
  let s = subject.replace(TAG, ' ').replace(/\s+/g, ' ').trim();
  for (;;) {
    const next = s.replace(/^(re|fw|fwd|aw|回复|回覆|答复|转发|轉寄)\s*[:：]\s*/i, '');
    if (next === s) return s;
    s = next;
  }
}

// ---------- matching ----------

export type Thread = { conversation: ConversationRow; via: 'headers' | 'subject' } | { conversation: null; hijackedNumber: number | null };

const lock = (w: Writer, id: string) => findVisible(w.tx, SYSTEM_ACTOR, id, { lock: true });

/** Does this address belong to the customer of the conversation? */
async function isCustomerOf(w: Writer, conv: ConversationRow, address: string): Promise<boolean> {
  const [row] = await w.tx
    .select({ id: customers.id })
    .from(customers)
    .where(and(eq(customers.id, conv.customerId), sql`${customers.emails} @> array[${normaliseEmail(address)}]::text[]`))
    .limit(1);
  return row !== undefined;
}

/**
 * CH3 threading, in order: a Message-ID we know in In-Reply-To or References (newest first);
 * else a `[#number]` subject tag of an email conversation, only when the sender is that
 * conversation's customer — anyone else naming a number starts a conversation of their own.
 */
export async function findThread(w: Writer, mail: InboundMail): Promise<Thread> {
  const ids = [...new Set([mail.inReplyTo, ...[...mail.references].reverse()].filter((v): v is string => v !== null))];
  if (ids.length) {
    const found = await w.tx
      .select({ conversationId: messages.conversationId, emailMessageId: messages.emailMessageId })
      .from(messages)
      .where(inArray(messages.emailMessageId, ids));
    for (const id of ids) {
      const hit = found.find((f) => f.emailMessageId === id);
      if (hit) return { conversation: await lock(w, hit.conversationId), via: 'headers' };
    }
  }
  const number = subjectTag(mail.subject);
  if (number === null) return { conversation: null, hijackedNumber: null };
  const [conv] = await w.tx
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.number, number), eq(conversations.channel, 'email')))
    .limit(1);
  if (!conv) return { conversation: null, hijackedNumber: null };
  const locked = await lock(w, conv.id);
  if (mail.fromAddress && (await isCustomerOf(w, locked, mail.fromAddress))) return { conversation: locked, via: 'subject' };
  return { conversation: null, hijackedNumber: number };
}

/**
 * The reply a bounce reports on: by the Message-ID quoted in the report, else the latest reply
 * sent to the failed recipient.
 */
export async function findBounced(w: Writer, report: BounceReport): Promise<typeof messages.$inferSelect | null> {
  const outbound = inArray(messages.author, ['agent', 'system']);
  if (report.originalMessageIds.length) {
    const [byId] = await w.tx
      .select()
      .from(messages)
      .where(and(outbound, inArray(messages.emailMessageId, report.originalMessageIds)))
      .orderBy(desc(messages.id))
      .limit(1);
    if (byId) return byId;
  }
  if (!report.recipient) return null;
  const [latest] = await w.tx
    .select({ message: messages })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(customers, eq(customers.id, conversations.customerId))
    .where(
      and(
        outbound,
        eq(conversations.channel, 'email'),
        sql`${messages.emailMessageId} is not null`,
        sql`${customers.emails} @> array[${normaliseEmail(report.recipient)}]::text[]`,
      ),
    )
    .orderBy(desc(messages.id))
    .limit(1);
  return latest?.message ?? null;
}
