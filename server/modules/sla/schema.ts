import { index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';
import { conversations } from '../conversations/schema.ts';

/**
 * S1/S2: one promise on one conversation (first response, next response #n, greeting, …).
 * The clock counts seconds on its calendar (business hours or around the clock): `consumedSeconds`
 * were spent before the running segment that began at `runningSince`; pausing folds the segment in.
 */
export const slaTargets = pgTable(
  'sla_targets',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    /** first_response | next_response | greeting | problem_understood | resolution | callback */
    metric: text().notNull(),
    /** next_response and a reopened resolution repeat; the first is 1. */
    seq: integer().notNull(),
    /** business | calendar */
    calendar: text().notNull(),
    targetSeconds: integer().notNull(),
    /** running | paused | stopped */
    state: text().notNull(),
    startedAt: at().notNull(),
    consumedSeconds: integer().notNull(),
    runningSince: at(),
    warnAt: at(),
    dueAt: at(),
    warnedAt: at(),
    breachedAt: at(),
    metAt: at(),
    /** Stopped without being met (the conversation closed first); excluded from attainment. */
    cancelledAt: at(),
    /** The assignee when the clock stopped (or breached): who the number belongs to. */
    staffId: uuid(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [
    uniqueIndex('sla_targets_key').on(t.conversationId, t.metric, t.seq),
    index('sla_targets_metric_idx').on(t.metric, t.startedAt),
    index('sla_targets_started_idx').on(t.startedAt),
  ],
);
