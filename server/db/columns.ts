import { timestamp, uuid } from 'drizzle-orm/pg-core';
import { v7 as uuidv7 } from 'uuid';

/** Time-ordered ids: cursor pagination can sort by id alone and keep creation order. */
export const newId = (): string => uuidv7();
/** Matches no row: stands in for a missing caller id, so a scoped query finds nothing instead of everything. */
export const NO_ID = '00000000-0000-0000-0000-000000000000';

export const id = () => uuid().primaryKey();
export const at = () => timestamp({ withTimezone: true, mode: 'date' });
