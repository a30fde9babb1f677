import { and, asc, desc, eq, ilike, isNull, or, sql } from 'drizzle-orm';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { write } from '../../platform/write.ts';
import { customerBrief, latestOrderNumber } from '../customers/lookup.ts';
import { staff } from '../org/schema.ts';
import { findVisible } from './record.ts';
import { cannedReplies } from './schema.ts';
import { cannedReplyView, type CannedReplyView } from './views.ts';

export const CannedError = defineErrors('canned_reply', {
  not_found: [404, { 'zh-CN': '快捷回复不存在', 'zh-TW': '快捷回覆不存在', en: 'Canned reply not found' }],
  shared_forbidden: [403, { 'zh-CN': '只有主管、培训师和经理可以维护公共话术', 'zh-TW': '只有主管、培訓師和經理可以維護公共話術', en: 'Only supervisors, trainers and managers maintain shared replies' }],
  shortcut_taken: [409, { 'zh-CN': '快捷键 {shortcut} 已被使用', 'zh-TW': '快捷鍵 {shortcut} 已被使用', en: 'Shortcut {shortcut} is already used' }],
});

/** Variables a canned reply may use (CH8). */
export const VARIABLES = ['customer.name', 'agent.name', 'order.number', 'conversation.number'] as const;

function mayEdit(ctx: Ctx, r: { ownerId: string | null }): boolean {
  return r.ownerId ? r.ownerId === ctx.actor.id : ctx.actor.permissions.has('canned_replies.manage_shared');
}

/** Mine and the shared ones. */
const visible = (ctx: Ctx) => or(isNull(cannedReplies.ownerId), eq(cannedReplies.ownerId, ctx.actor.id ?? '00000000-0000-0000-0000-000000000000'));

export async function listCanned(ctx: Ctx, f: { q?: string; category?: string; scope?: 'personal' | 'shared' }): Promise<CannedReplyView[]> {
  const like = f.q ? `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const rows = await ctx.db
    .select()
    .from(cannedReplies)
    .where(
      and(
        visible(ctx),
        f.scope === 'personal' ? eq(cannedReplies.ownerId, ctx.actor.id ?? '') : f.scope === 'shared' ? isNull(cannedReplies.ownerId) : undefined,
        f.category ? eq(cannedReplies.category, f.category) : undefined,
        like ? or(ilike(cannedReplies.title, like), ilike(cannedReplies.body, like), ilike(cannedReplies.shortcut, like)) : undefined,
      ),
    )
    // Most used first: the answer an agent needs is usually the one they needed yesterday.
    .orderBy(desc(cannedReplies.usageCount), asc(cannedReplies.title))
    .limit(200);
  return rows.map(cannedReplyView);
}

export interface CannedInput {
  scope: 'personal' | 'shared';
  title: string;
  body: string;
  category?: string | null;
  shortcut?: string | null;
}

async function shortcutFree(ctx: Ctx, ownerId: string | null, shortcut: string | null | undefined, exceptId?: string): Promise<void> {
  if (!shortcut) return;
  const [taken] = await ctx.db
    .select({ id: cannedReplies.id })
    .from(cannedReplies)
    .where(and(ownerId ? eq(cannedReplies.ownerId, ownerId) : isNull(cannedReplies.ownerId), eq(cannedReplies.shortcut, shortcut), exceptId ? sql`${cannedReplies.id} <> ${exceptId}` : undefined))
    .limit(1);
  if (taken) throw CannedError('shortcut_taken', { field: 'shortcut', params: { shortcut } });
}

export async function createCanned(ctx: Ctx, input: CannedInput): Promise<CannedReplyView> {
  const ownerId = input.scope === 'personal' ? ctx.actor.id : null;
  if (!ownerId && !ctx.actor.permissions.has('canned_replies.manage_shared')) throw CannedError('shared_forbidden', { field: 'scope' });
  await shortcutFree(ctx, ownerId, input.shortcut);
  return write(ctx, async (w) => {
    const [row] = await w.tx
      .insert(cannedReplies)
      .values({ id: newId(), ownerId, title: input.title, body: input.body, category: input.category ?? null, shortcut: input.shortcut ?? null, usageCount: 0, createdBy: ctx.actor.id, createdAt: w.now, updatedAt: w.now })
      .returning();
    await w.audit({ action: 'create', entityType: 'canned_reply', entityId: row!.id, after: cannedReplyView(row!) });
    return cannedReplyView(row!);
  });
}

async function findEditable(ctx: Ctx, id: string) {
  const [row] = await ctx.db.select().from(cannedReplies).where(and(eq(cannedReplies.id, id), visible(ctx))).limit(1);
  if (!row) throw CannedError('not_found');
  if (!mayEdit(ctx, row)) throw CannedError('shared_forbidden');
  return row;
}

export async function updateCanned(ctx: Ctx, id: string, input: Partial<Omit<CannedInput, 'scope'>>): Promise<CannedReplyView> {
  const before = await findEditable(ctx, id);
  await shortcutFree(ctx, before.ownerId, input.shortcut, id);
  return write(ctx, async (w) => {
    const [row] = await w.tx
      .update(cannedReplies)
      .set({ ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)), updatedAt: w.now })
      .where(eq(cannedReplies.id, id))
      .returning();
    await w.audit({ action: 'update', entityType: 'canned_reply', entityId: id, before: cannedReplyView(before), after: cannedReplyView(row!) });
    return cannedReplyView(row!);
  });
}

export async function deleteCanned(ctx: Ctx, id: string): Promise<void> {
  const before = await findEditable(ctx, id);
  await write(ctx, async (w) => {
    await w.tx.delete(cannedReplies).where(eq(cannedReplies.id, id));
    await w.audit({ action: 'delete', entityType: 'canned_reply', entityId: id, before: cannedReplyView(before) });
  });
}

/**
 * Fills the variables for one conversation. The customer's name is personal in some archives, but
 * an agent addressing the customer by name is the point of the reply; phones and addresses are
 * not offered as variables. Unknown or empty variables are reported, not silently dropped.
 */
export async function renderCanned(ctx: Ctx, id: string, conversationId: string): Promise<{ text: string; missing: string[] }> {
  const [reply] = await ctx.db.select().from(cannedReplies).where(and(eq(cannedReplies.id, id), visible(ctx))).limit(1);
  if (!reply) throw CannedError('not_found');
  const conv = await findVisible(ctx.db, ctx.actor, conversationId);
  const customer = await customerBrief(ctx.db, conv.customerId);
  const [agent] = ctx.actor.id ? await ctx.db.select({ name: staff.displayName }).from(staff).where(eq(staff.id, ctx.actor.id)).limit(1) : [];
  const orderNumber = conv.intake.orderNumber ?? (await latestOrderNumber(ctx.db, conv.customerId));
  const values: Record<string, string | null> = {
    'customer.name': customer?.name ?? null,
    'agent.name': agent?.name ?? ctx.actor.name,
    'order.number': orderNumber,
    'conversation.number': String(conv.number),
  };
  const missing = new Set<string>();
  const text = reply.body.replace(/\{([a-z]+\.[a-z]+)\}/g, (whole, key: string) => {
    const v = values[key];
    if (v === undefined || v === null) {
      missing.add(key);
      return whole;
    }
    return v;
  });
  await ctx.db.update(cannedReplies).set({ usageCount: sql`${cannedReplies.usageCount} + 1` }).where(eq(cannedReplies.id, id));
  return { text, missing: [...missing] };
}
