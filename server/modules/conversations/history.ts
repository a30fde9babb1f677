import { Type, type Static } from '@sinclair/typebox';
import { and, desc, inArray, sql, type SQL } from 'drizzle-orm';
import type { Ctx } from '../../platform/context.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { Nullable, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { conversations, messages } from './schema.ts';

/** How much of the last message a history line shows. */
const PREVIEW_CHARS = 80;

export const HistoryItemView = Type.Object(
  {
    id: Uuid,
    number: Type.Integer(),
    customerId: Uuid,
    channel: Type.String(),
    status: Type.String(),
    subject: Nullable(Type.String()),
    createdAt: Timestamp,
    lastMessagePreview: Nullable(Type.String({ description: '最后一条客户或客服消息的开头（不含内部备注）' })),
    lastMessageAt: Nullable(Timestamp),
  },
  { title: 'CustomerHistoryItem' },
);
export type HistoryItemView = Static<typeof HistoryItemView>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type HistoryCursor = [createdAt: string, id: string];

const isTimeIdCursor = (v: unknown): v is HistoryCursor =>
  Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string' && x.length <= 64) && !Number.isNaN(Date.parse(v[0])) && UUID.test(v[1]);

/** Reads a cursor handed out by customerHistory; a forged one is a 400. */
export const historyCursor = (cursor: string | undefined): HistoryCursor | undefined => decodeCursor(cursor, isTimeIdCursor);

/**
 * C1/CH1: every conversation of these customers on any channel, newest first. The cursor is
 * the last (createdAt, id) of the previous page.
 */
export async function customerHistory(ctx: Ctx, customerIds: string[], page: { after?: HistoryCursor; limit: number }): Promise<{ data: HistoryItemView[]; nextCursor: string | null }> {
  if (customerIds.length === 0) return { data: [], nextCursor: null };
  const cond: SQL[] = [inArray(conversations.customerId, customerIds)];
  if (page.after) {
    const [at, id] = page.after;
    cond.push(sql`(${conversations.createdAt}, ${conversations.id}) < (${new Date(at)}, ${id})`);
  }
  const last = ctx.db
    .select({ body: messages.body, createdAt: messages.createdAt })
    .from(messages)
    .where(and(sql`${messages.conversationId} = ${conversations.id}`, inArray(messages.author, ['customer', 'agent'])))
    .orderBy(desc(messages.id))
    .limit(1)
    .as('last');
  const rows = await ctx.db
    .select({
      id: conversations.id,
      number: conversations.number,
      customerId: conversations.customerId,
      channel: conversations.channel,
      status: conversations.status,
      subject: conversations.subject,
      createdAt: conversations.createdAt,
      lastBody: last.body,
      lastAt: last.createdAt,
    })
    .from(conversations)
    .leftJoinLateral(last, sql`true`)
    .where(and(...cond))
    .orderBy(desc(conversations.createdAt), desc(conversations.id))
    .limit(page.limit + 1);
  const view = (r: (typeof rows)[number]): HistoryItemView => ({
    id: r.id,
    number: r.number,
    customerId: r.customerId,
    channel: r.channel,
    status: r.status,
    subject: r.subject,
    createdAt: r.createdAt.toISOString(),
    lastMessagePreview: r.lastBody === null ? null : [...r.lastBody].slice(0, PREVIEW_CHARS).join(''),
    lastMessageAt: r.lastAt ? new Date(r.lastAt).toISOString() : null,
  });
  return toPage(rows, page.limit, view, (r) => [r.createdAt.toISOString(), r.id]);
}
