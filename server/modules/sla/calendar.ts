// The package's Node entry is CommonJS: only its default export is reachable from ESM.
import chineseDays from 'chinese-days';
import { DateTime } from 'luxon';
import type { PolicyDocument } from '../policy/document.ts';

/**
 * When the service is open (S1): business hours on the policy's weekdays in one time zone,
 * minus China's statutory holidays, plus the adjusted working days (调休) — both from the
 * chinese-days package, which follows the State Council's yearly notice. Years the package
 * does not know yet fall back to plain weekdays.
 */
export interface BusinessCalendar {
  zone: string;
  hours: PolicyDocument['organisation']['businessHours']['value'];
  holidays: 'cn' | 'none';
}

export function calendarOf(policy: PolicyDocument, zone?: string | null): BusinessCalendar {
  return { zone: zone ?? policy.organisation.timezone.value, hours: policy.organisation.businessHours.value, holidays: policy.organisation.holidays?.value ?? 'cn' };
}

/** Statutory days carry the festival in their name ("National Day,国庆节,3"); plain days carry the weekday. */
const isFestival = (name: string) => name.includes(',');

type DayKind = 'holiday' | 'adjusted_workday' | 'ordinary';

function dayKind(cal: BusinessCalendar, day: DateTime): DayKind {
  if (cal.holidays === 'none') return 'ordinary';
  const detail = chineseDays.getDayDetail(day.toISODate()!);
  if (!detail.work && isFestival(detail.name)) return 'holiday';
  if (detail.work && day.weekday >= 6) return 'adjusted_workday';
  return 'ordinary';
}

const clock = (day: DateTime, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return day.startOf('day').plus({ hours: h, minutes: m });
};

/** The open interval of one local day in epoch ms, or null when closed. */
function openHours(cal: BusinessCalendar, day: DateTime): [number, number] | null {
  if (cal.hours === '24x7') return [day.startOf('day').toMillis(), day.startOf('day').plus({ days: 1 }).toMillis()];
  const kind = dayKind(cal, day);
  if (kind === 'holiday') return null;
  // An adjusted working day works like a weekday; otherwise the policy's days decide.
  const weekdays = cal.hours.days as readonly number[];
  if (kind === 'ordinary' && !weekdays.includes(day.weekday)) return null;
  if (kind === 'adjusted_workday' && !weekdays.some((d) => d <= 5)) return null;
  const start = clock(day, cal.hours.start).toMillis();
  const end = clock(day, cal.hours.end).toMillis();
  return end > start ? [start, end] : null;
}

/** A calendar open around the clock on every day adds and counts plain time. */
const isAlwaysOpen = (cal: BusinessCalendar) => cal.hours === '24x7';

/** Ten years without an open hour means the policy has no open days at all. */
const MAX_DAYS = 3660;

/** The moment `seconds` of open time after `from`. */
export function addOpenSeconds(cal: BusinessCalendar, from: Date, seconds: number): Date {
  if (isAlwaysOpen(cal)) return new Date(from.getTime() + seconds * 1000);
  let remaining = seconds * 1000;
  let cursor = from.getTime();
  let day = DateTime.fromMillis(cursor, { zone: cal.zone }).startOf('day');
  for (let i = 0; i < MAX_DAYS; i++, day = day.plus({ days: 1 })) {
    const open = openHours(cal, day);
    if (!open || open[1] <= cursor) continue;
    const start = Math.max(open[0], cursor);
    if (remaining <= open[1] - start) return new Date(start + remaining);
    remaining -= open[1] - start;
    cursor = open[1];
  }
  throw new Error('business calendar has no open hours');
}

/** Open seconds between two moments (0 when `to` is not after `from`). */
export function openSecondsBetween(cal: BusinessCalendar, from: Date, to: Date): number {
  const a = from.getTime();
  const b = to.getTime();
  if (b <= a) return 0;
  if (isAlwaysOpen(cal)) return (b - a) / 1000;
  let total = 0;
  let day = DateTime.fromMillis(a, { zone: cal.zone }).startOf('day');
  for (let i = 0; i < MAX_DAYS && day.toMillis() < b; i++, day = day.plus({ days: 1 })) {
    const open = openHours(cal, day);
    if (open) total += Math.max(0, Math.min(open[1], b) - Math.max(open[0], a));
  }
  return total / 1000;
}

/** A calendar that never closes, for clocks inside a live call (greeting within 30 s). */
export const AROUND_THE_CLOCK: BusinessCalendar = { zone: 'UTC', hours: '24x7', holidays: 'none' };
