import { bigint, boolean, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';

export const webhooks = pgTable('webhooks', {
  id: id(),
  name: text().notNull(),
  url: text().notNull(),
  secret: text().notNull(),
  eventTypes: text().array().notNull(),
  active: boolean().notNull(),
  createdBy: uuid(),
  createdAt: at().notNull(),
  updatedAt: at().notNull(),
});

/** One row per delivery attempt: the delivery log an administrator reads. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    webhookId: uuid()
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventId: bigint({ mode: 'number' }),
    eventType: text().notNull(),
    attempt: integer().notNull(),
    outcome: text().notNull(),
    responseStatus: integer(),
    responseBody: text(),
    error: text(),
    durationMs: integer().notNull(),
    at: at().notNull(),
  },
  (t) => [index('webhook_deliveries_webhook_idx').on(t.webhookId, t.id)],
);
