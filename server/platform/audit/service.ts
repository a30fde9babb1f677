import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import type { Ctx } from '../context.ts';
import { auditLog } from './schema.ts';

export type AuditAction = 'create' | 'update' | 'delete' | 'reveal' | 'export' | 'login' | 'login_failed' | 'lock' | 'logout' | 'revoke';

export interface AuditEntry {
  action: AuditAction;
  entityType: string;
  entityId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  reason?: string | null;
  /**
   * Fields that changed, judged on the clear values. Given when before/after are masked, so a
   * change the mask hides (alice@ → amy@, both a***@) still shows in the diff.
   */
  changedFields?: string[];
}

/** Changed fields only: { field: { from, to } }; `fields` names them when values alone cannot tell. */
export function diff(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
  fields?: string[],
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  const keys = fields ?? new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of keys) {
    const from = before?.[k] ?? null;
    const to = after?.[k] ?? null;
    if (fields || JSON.stringify(from) !== JSON.stringify(to)) out[k] = { from, to };
  }
  return out;
}

/** Appends one entry; the audit log is never updated or deleted (O4). */
export async function recordAudit(tx: Tx, ctx: Ctx, entry: AuditEntry, at: Date): Promise<void> {
  const d = entry.action === 'create' || entry.action === 'update' || entry.action === 'delete' ? diff(entry.before, entry.after, entry.changedFields) : null;
  await tx.insert(auditLog).values({
    at,
    actorId: ctx.actor.id,
    actorType: ctx.actor.type,
    actorName: ctx.actor.name,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    diff: d,
    reason: entry.reason ?? null,
    ip: ctx.ip,
    requestId: ctx.requestId,
  });
}

export interface AuditFilter {
  actorId?: string;
  entityType?: string;
  entityId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  /** Entries older than this id (cursor). */
  beforeId?: number;
  limit: number;
}

export async function listAudit(ctx: Ctx, f: AuditFilter) {
  const where: SQL[] = [];
  if (f.actorId) where.push(eq(auditLog.actorId, f.actorId));
  if (f.entityType) where.push(eq(auditLog.entityType, f.entityType));
  if (f.entityId) where.push(eq(auditLog.entityId, f.entityId));
  if (f.action) where.push(eq(auditLog.action, f.action));
  if (f.from) where.push(gte(auditLog.at, f.from));
  if (f.to) where.push(lte(auditLog.at, f.to));
  if (f.beforeId) where.push(lt(auditLog.id, f.beforeId));
  return ctx.db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(f.limit + 1);
}
