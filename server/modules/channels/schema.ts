import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';
import { attachments, conversations } from '../conversations/schema.ts';

export interface CallEvent {
  type: 'ringing' | 'answered' | 'held' | 'resumed' | 'transferred' | 'ended' | 'wrapped_up';
  at: string;
  agent: string | null;
  target: string | null;
}

/** CH4: one phone call, built from the PBX's events; durations in whole seconds. */
export const callRecords = pgTable(
  'call_records',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    /** The PBX's call id; events for it are applied once each. */
    callId: text().notNull(),
    direction: text().notNull(),
    fromNumber: text().notNull(),
    toNumber: text().notNull(),
    agentId: uuid(),
    status: text().notNull(),
    ringingAt: at(),
    answeredAt: at(),
    endedAt: at(),
    wrappedUpAt: at(),
    holdStartedAt: at(),
    ringSeconds: integer(),
    rings: integer(),
    talkSeconds: integer(),
    holdSeconds: integer().notNull(),
    wrapSeconds: integer(),
    events: jsonb().$type<CallEvent[]>().notNull(),
    recordingId: uuid().references(() => attachments.id),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [uniqueIndex('call_records_call_id_key').on(t.callId), index('call_records_conversation_idx').on(t.conversationId), index('call_records_ringing_idx').on(t.ringingAt)],
);
