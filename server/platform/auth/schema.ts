import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';
import { staff } from '../../modules/org/schema.ts';

/** O5: a staff member's password (argon2id) and lockout state, kept apart from the staff record. */
export const credentials = pgTable('credentials', {
  staffId: uuid()
    .primaryKey()
    .references(() => staff.id),
  passwordHash: text().notNull(),
  passwordChangedAt: at().notNull(),
  /** Times of recent failed sign-ins, kept only while inside the lockout window. */
  failedAt: timestamp({ withTimezone: true, mode: 'date' }).array().notNull().default(sql`'{}'`),
  lockedUntil: at(),
  lastLoginAt: at(),
});

/** Login sessions live in the database so that any node can check or revoke them. */
export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    tokenHash: text().notNull(),
    staffId: uuid()
      .notNull()
      .references(() => staff.id),
    createdAt: at().notNull(),
    expiresAt: at().notNull(),
    lastSeenAt: at().notNull(),
    revokedAt: at(),
    revokedReason: text(),
    ip: text(),
    userAgent: text(),
  },
  (t) => [uniqueIndex('sessions_token_hash_key').on(t.tokenHash), index('sessions_staff_idx').on(t.staffId)],
);

/** API tokens for integrations act as their staff member; only a hash is kept. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: id(),
    name: text().notNull(),
    prefix: text().notNull(),
    tokenHash: text().notNull(),
    staffId: uuid()
      .notNull()
      .references(() => staff.id),
    createdBy: uuid().notNull(),
    createdAt: at().notNull(),
    expiresAt: at(),
    lastUsedAt: at(),
    revokedAt: at(),
  },
  (t) => [uniqueIndex('api_tokens_token_hash_key').on(t.tokenHash)],
);
