import { Type, type TSchema } from '@sinclair/typebox';
import { RequestError } from '../errors.ts';
import { Nullable } from './schemas.ts';

export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

/** Every list endpoint takes these two query fields. */
export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 512, description: '上一页返回的 nextCursor' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })),
};

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) });
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes an opaque cursor, rejecting anything this server did not hand out. */
export function decodeCursor<T>(cursor: string | undefined, isValid: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(v)) return v;
  } catch {
    // fall through
  }
  throw RequestError('invalid_cursor', { field: 'cursor' });
}

/** Rows were fetched with limit + 1: the extra row only says whether another page exists. */
export function toPage<R, V>(rows: R[], limit: number, view: (r: R) => V, cursorOf: (r: R) => unknown) {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { data: pageRows.map(view), nextCursor: more && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

export const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= 64;
export const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Lists ordered by time-ordered id: the cursor is the last id of the page. */
export function idPage<R extends { id: string }, V>(rows: R[], limit: number, view: (r: R) => V) {
  return toPage(rows, limit, view, (r) => r.id);
}

export function afterIdOf(cursor: string | undefined): string | undefined {
  return decodeCursor(cursor, isString);
}
