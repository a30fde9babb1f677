import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';
import { staff } from '../org/schema.ts';

/** A message to one staff member that waits until read (SLA warnings, breaches, approvals due). */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    staffId: uuid()
      .notNull()
      .references(() => staff.id),
    kind: text().notNull(),
    title: text().notNull(),
    body: text().notNull(),
    entityType: text(),
    entityId: uuid(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: at().notNull(),
    readAt: at(),
  },
  (t) => [index('notifications_staff_idx').on(t.staffId, t.id)],
);
