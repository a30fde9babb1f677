import type { TSchema } from '@sinclair/typebox';
import type { Tx } from '../db/client.ts';
import type { Ctx } from './context.ts';
import { diff, recordAudit, type AuditEntry } from './audit/service.ts';
import { emitEvent, type Audience, type NewEvent } from './events/outbox.ts';
import { maskBySchema } from './pii/schema-mask.ts';

export interface Change<V extends Record<string, unknown>> {
  entityType: string;
  entityId: string;
  /** The entity's API view schema: its personal fields are masked in the audit entry and the event. */
  schema: TSchema;
  before: V | null;
  after: V | null;
  event: string;
  audience: Audience;
  /** Why, when the change carries a person's words (a rejection comment, a revisit note): kept in the audit entry. */
  reason?: string | null;
}

/**
 * One unit of work: the change, its audit entry and its domain event commit together or not at all.
 * `now` is read once so every row written in the transaction carries the same time.
 */
export class Writer {
  constructor(
    readonly tx: Tx,
    readonly ctx: Ctx,
    readonly now: Date,
  ) {}

  audit(entry: AuditEntry): Promise<void> {
    return recordAudit(this.tx, this.ctx, entry, this.now);
  }

  emit(event: NewEvent): Promise<void> {
    return emitEvent(this.tx, this.ctx, event, this.now);
  }

  async changed<V extends Record<string, unknown>>(c: Change<V>): Promise<void> {
    const before = c.before && maskBySchema(c.schema, c.before);
    const after = c.after && maskBySchema(c.schema, c.after);
    const action = !before ? 'create' : !after ? 'delete' : 'update';
    const changedFields = Object.keys(diff(c.before, c.after));
    await this.audit({ action, entityType: c.entityType, entityId: c.entityId, before, after, changedFields, reason: c.reason });
    await this.emit({
      type: c.event,
      entityType: c.entityType,
      entityId: c.entityId,
      data: (after ?? before) as Record<string, unknown>,
      audience: c.audience,
    });
  }
}

export function write<T>(ctx: Ctx, fn: (w: Writer) => Promise<T>): Promise<T> {
  return ctx.db.transaction((tx) => fn(new Writer(tx, ctx, ctx.clock.now())));
}
