import { expect } from 'vitest';

export interface ErrorReply {
  status: number;
  body: unknown;
  headers: Record<string, unknown>;
}

/**
 * Every failure answers `{error:{code, message, field?}}` as JSON and nothing else (acceptance 3);
 * returns the error for further checks.
 */
export function expectError(res: ErrorReply, status?: number, code?: string): { code: string; message: string; field?: string } {
  const what = `${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body)?.slice(0, 300)}`;
  if (status !== undefined) expect(res.status, what).toBe(status);
  expect(res.status, what).toBeGreaterThanOrEqual(400);
  expect(String(res.headers['content-type']), what).toMatch(/^application\/json/);
  const body = res.body as { error: { code: string; message: string; field?: string } };
  expect(Object.keys(body ?? {}), what).toEqual(['error']);
  const keys = Object.keys(body.error);
  expect(keys.filter((k) => !['code', 'message', 'field'].includes(k)), what).toEqual([]);
  expect(body.error.code, what).toMatch(/^[a-z_]+\.[a-z_]+$/);
  expect(typeof body.error.message, what).toBe('string');
  expect(body.error.message.length, what).toBeGreaterThan(0);
  if ('field' in body.error) expect(typeof body.error.field, what).toBe('string');
  if (code !== undefined) expect(body.error.code, what).toBe(code);
  return body.error;
}
