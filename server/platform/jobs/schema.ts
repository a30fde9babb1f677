import { bigserial, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { at } from '../../db/columns.ts';

/** Durable timers and background jobs, claimed with FOR UPDATE SKIP LOCKED. */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    kind: text().notNull(),
    payload: jsonb().notNull(),
    runAt: at().notNull(),
    status: text().notNull(),
    attempts: integer().notNull().default(0),
    maxAttempts: integer().notNull(),
    dedupeKey: text(),
    lastError: text(),
    lockedBy: text(),
    lockedUntil: at(),
    createdAt: at().notNull(),
    finishedAt: at(),
  },
  (t) => [
    index('jobs_due_idx').on(t.runAt).where(sql`status in ('pending', 'running')`),
    uniqueIndex('jobs_dedupe_key').on(t.dedupeKey).where(sql`status in ('pending', 'running')`),
  ],
);
