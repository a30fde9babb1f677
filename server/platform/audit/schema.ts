import { bigserial, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { at } from '../../db/columns.ts';

/** O4: append-only; a trigger (migration 0001) rejects UPDATE and DELETE. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    at: at().notNull(),
    actorId: text(),
    actorType: text().notNull(),
    actorName: text(),
    action: text().notNull(),
    entityType: text().notNull(),
    entityId: text(),
    before: jsonb(),
    after: jsonb(),
    diff: jsonb(),
    reason: text(),
    ip: text(),
    requestId: text(),
  },
  (t) => [
    index('audit_log_entity_idx').on(t.entityType, t.entityId, t.id),
    index('audit_log_actor_idx').on(t.actorId, t.id),
    index('audit_log_at_idx').on(t.at),
  ],
);
