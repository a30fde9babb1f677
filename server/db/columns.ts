import { timestamp, uuid } from 'drizzle-orm/pg-core';
import { v7 as uuidv7 } from 'uuid';

/** Time-ordered ids: cursor pagination can sort by id alone and keep creation order. */
export const newId = (): string => uuidv7();
export const id = () => uuid().primaryKey();
export const at = () => timestamp({ withTimezone: true, mode: 'date' });
