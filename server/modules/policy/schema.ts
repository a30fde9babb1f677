import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';

/** E4/PR1: the regulation as data, versioned draft → approved → published. */
export const policies = pgTable(
  'policies',
  {
    id: id(),
    version: integer().notNull(),
    status: text().notNull(),
    preset: text().notNull(),
    document: jsonb().notNull(),
    note: text(),
    basedOn: uuid(),
    createdBy: uuid(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
    approvedBy: uuid(),
    approvedAt: at(),
    rejectedBy: uuid(),
    rejectedAt: at(),
    rejectionComment: text(),
    publishedBy: uuid(),
    publishedAt: at(),
    retiredAt: at(),
  },
  (t) => [uniqueIndex('policies_version_key').on(t.version), index('policies_status_idx').on(t.status)],
);
