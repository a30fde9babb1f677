import { bigint, bigserial, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { at } from '../../db/columns.ts';

/**
 * The outbox. `txid` is the writing transaction's id: readers only take events whose
 * transaction is older than every running one, so no event is skipped when transactions
 * commit out of id order.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    txid: bigint({ mode: 'number' }).notNull(),
    type: text().notNull(),
    entityType: text().notNull(),
    entityId: text(),
    actorId: text(),
    data: jsonb().notNull(),
    audience: jsonb().notNull(),
    occurredAt: at().notNull(),
  },
  (t) => [index('events_txid_id_idx').on(t.txid, t.id)],
);

/** Position of each durable consumer in the outbox; the row lock makes one node at a time process it. */
export const eventConsumers = pgTable('event_consumers', {
  name: text().primaryKey(),
  lastTxid: bigint({ mode: 'number' }).notNull(),
  lastId: bigint({ mode: 'number' }).notNull(),
  updatedAt: at().notNull(),
});
