import { and, desc, eq, inArray, isNull, lt } from 'drizzle-orm';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { iso, isoOrNull } from '../../platform/http/schemas.ts';
import { write, type Writer } from '../../platform/write.ts';
import { notifications } from './schema.ts';

export const NotificationError = defineErrors('notification', {
  not_found: [404, { 'zh-CN': '通知不存在', 'zh-TW': '通知不存在', en: 'Notification not found' }],
});

declareEventTypes({ 'notification.created': '给某位员工的新通知（SLA 预警、超时升级、待审批等）' });

export interface NewNotification {
  kind: string;
  title: string;
  body: string;
  entityType?: string | null;
  entityId?: string | null;
  data?: Record<string, unknown>;
}

export type NotificationRow = typeof notifications.$inferSelect;

export function notificationView(r: NotificationRow) {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    body: r.body,
    entityType: r.entityType,
    entityId: r.entityId,
    data: r.data,
    createdAt: iso(r.createdAt),
    readAt: isoOrNull(r.readAt),
  };
}

/** One row per recipient, pushed to that person's consoles in the same transaction. */
export async function notify(w: Writer, staffIds: readonly string[], n: NewNotification): Promise<void> {
  const recipients = [...new Set(staffIds)];
  if (recipients.length === 0) return;
  const rows = await w.tx
    .insert(notifications)
    .values(recipients.map((staffId) => ({ id: newId(), staffId, kind: n.kind, title: n.title, body: n.body, entityType: n.entityType ?? null, entityId: n.entityId ?? null, data: n.data ?? {}, createdAt: w.now })))
    .returning();
  for (const row of rows) {
    await w.emit({ type: 'notification.created', entityType: 'notification', entityId: row.id, data: notificationView(row), audience: { staffIds: [row.staffId] } });
  }
}

/** The caller's own notifications only, newest first. */
export async function listNotifications(ctx: Ctx, f: { unread?: boolean; beforeId?: string; limit: number }): Promise<NotificationRow[]> {
  // API tokens act for no one: they have no inbox.
  if (!ctx.actor.id) return [];
  return ctx.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.staffId, ctx.actor.id), f.unread ? isNull(notifications.readAt) : undefined, f.beforeId ? lt(notifications.id, f.beforeId) : undefined))
    .orderBy(desc(notifications.id))
    .limit(f.limit + 1);
}

/** Marks the caller's notifications read; ids of others' notifications are not found. */
export async function markRead(ctx: Ctx, ids: string[]): Promise<number> {
  const me = ctx.actor.id;
  if (!me) throw NotificationError('not_found', { field: 'ids' });
  return write(ctx, async (w) => {
    const mine = and(eq(notifications.staffId, me), inArray(notifications.id, ids));
    const found = await w.tx.select({ id: notifications.id }).from(notifications).where(mine);
    if (found.length !== new Set(ids).size) throw NotificationError('not_found', { field: 'ids' });
    const rows = await w.tx.update(notifications).set({ readAt: w.now }).where(and(mine, isNull(notifications.readAt))).returning({ id: notifications.id });
    return rows.length;
  });
}
