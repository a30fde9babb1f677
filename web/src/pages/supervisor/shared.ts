export { asApiError, isAbort, useLoad } from '../../api/useLoad.tsx';

export { ORG_TIME_ZONE, formatDateTime } from '../../i18n/index.ts';

/** Today's date (YYYY-MM-DD) in the given zone. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** 75 → "1:15", 3725 → "1:02:05": a wait read at a glance. */
export function clockDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
