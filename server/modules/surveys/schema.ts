import { boolean, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';
import { conversations } from '../conversations/schema.ts';

/**
 * S3 + S4: one invitation after one resolution, and the customer's answer — the result
 * confirmation (solved? satisfied?) and the satisfaction survey (CSAT, NPS, comment).
 * Agent, team, channel and problem type are copied at invitation, so the rating stays with
 * whoever resolved the case even if it is later transferred.
 */
export const surveys = pgTable(
  'surveys',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    customerId: uuid().notNull(),
    agentId: uuid(),
    teamId: uuid(),
    channel: text().notNull(),
    problemType: text(),
    /** Which resolution of the conversation this asks about (reopenCount at resolution). */
    cycle: integer().notNull(),
    /** chat | email | callback | agent */
    via: text().notNull(),
    invitedAt: at().notNull(),
    expiresAt: at().notNull(),
    respondedAt: at(),
    /** Who recorded it: null when the customer answered themselves. */
    recordedBy: uuid(),
    solved: boolean(),
    satisfied: boolean(),
    csat: integer(),
    nps: integer(),
    comment: text(),
    /** One rating per customer·agent·day counts — the last; earlier ones of that day are uncounted. */
    counted: boolean().notNull(),
    /** The customer·agent·day key in the organisation's time zone, e.g. 2026-03-02. */
    ratingDay: text(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [
    index('surveys_conversation_idx').on(t.conversationId, t.cycle),
    index('surveys_invited_idx').on(t.invitedAt),
    index('surveys_rating_day_idx').on(t.customerId, t.agentId, t.ratingDay),
  ],
);
