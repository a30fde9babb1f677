import type { FormInstance } from 'antd';
import { ApiError } from './client.ts';

/**
 * Puts a server error on the form field it names (`phones.0` names `phones`) and answers true,
 * or answers false when the field is not on the form, for the caller to show it elsewhere.
 */
export function showOnField(form: FormInstance, err: unknown, fields: readonly string[], rename: Record<string, string> = {}): boolean {
  if (!(err instanceof ApiError) || !err.field) return false;
  const head = err.field.split('.')[0]!;
  const name = rename[head] ?? head;
  if (!fields.includes(name)) return false;
  form.setFields([{ name, errors: [err.message] }]);
  return true;
}
