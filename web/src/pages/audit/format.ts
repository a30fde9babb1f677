import { currentLanguage } from '../../i18n/index.ts';

/** The organisation's clock (issue 5 §10): times read the same wherever the browser is. */
export const ORG_TIME_ZONE = 'Asia/Shanghai';
/** Asia/Shanghai keeps one offset all year, so a wall-clock time there converts with it. */
export const ORG_UTC_OFFSET = '+08:00';

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'medium', timeZone: ORG_TIME_ZONE }).format(new Date(iso));
}
