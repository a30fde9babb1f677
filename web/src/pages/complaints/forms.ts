import type { FormInstance } from 'antd';
import { showOnField } from '../../api/forms.ts';
import { asApiError, isAbort } from '../supervisor/shared.ts';

/**
 * Puts the server's error on the form field it names (the request body uses the form's names);
 * any other error goes to a message. Cancelled calls stay silent.
 */
export function showApiError(form: FormInstance, fields: readonly string[], err: unknown, message: { error: (text: string) => unknown }): void {
  if (isAbort(err) || showOnField(form, err, fields)) return;
  void message.error(asApiError(err).message);
}

/** Form text as the API wants it: trimmed, and null when blank (optional fields). */
export const textOrNull = (v: string | undefined | null): string | null => (v?.trim() ? v.trim() : null);
