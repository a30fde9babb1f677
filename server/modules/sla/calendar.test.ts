import { describe, expect, it } from 'vitest';
import { addOpenSeconds, openSecondsBetween, type BusinessCalendar } from './calendar.ts';

const weekdays: BusinessCalendar = { zone: 'Asia/Shanghai', hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' }, holidays: 'cn' };
const at = (s: string) => new Date(s);
const hours = (n: number) => n * 3600;

describe('S1 business hours and China’s holidays', () => {
  it('S1: a clock started before opening runs from 09:00 and stops at 18:00', () => {
    expect(addOpenSeconds(weekdays, at('2026-03-02T07:30:00+08:00'), 30)).toEqual(at('2026-03-02T09:00:30+08:00'));
    // 17:00 Monday + 2 open hours = 1 h on Monday, 1 h on Tuesday.
    expect(addOpenSeconds(weekdays, at('2026-03-02T17:00:00+08:00'), hours(2))).toEqual(at('2026-03-03T10:00:00+08:00'));
    // Friday evening to Monday morning: the weekend is closed.
    expect(addOpenSeconds(weekdays, at('2026-03-06T17:30:00+08:00'), hours(1))).toEqual(at('2026-03-09T09:30:00+08:00'));
  });

  it('S1: National Day 2026 (1–7 Oct) is closed and the adjusted Saturday 10 Oct (调休) is open', () => {
    // Wed 30 Sep 17:00 + 3 open hours: 1 h on the 30th, then nothing until Thu 8 Oct.
    expect(addOpenSeconds(weekdays, at('2026-09-30T17:00:00+08:00'), hours(3))).toEqual(at('2026-10-08T11:00:00+08:00'));
    // Fri 9 Oct 17:00 + 2 h: 1 h on Friday, then Saturday the 10th works like a weekday.
    expect(addOpenSeconds(weekdays, at('2026-10-09T17:00:00+08:00'), hours(2))).toEqual(at('2026-10-10T10:00:00+08:00'));
    // Sunday 20 Sep 2026 is a working day too (调休 before the holiday).
    expect(openSecondsBetween(weekdays, at('2026-09-20T00:00:00+08:00'), at('2026-09-21T00:00:00+08:00'))).toBe(hours(9));
    expect(openSecondsBetween(weekdays, at('2026-10-01T00:00:00+08:00'), at('2026-10-08T00:00:00+08:00'))).toBe(0);
  });

  it('S1: without the holiday calendar the same days count as ordinary weekdays and weekends', () => {
    const plain: BusinessCalendar = { ...weekdays, holidays: 'none' };
    expect(openSecondsBetween(plain, at('2026-10-01T00:00:00+08:00'), at('2026-10-08T00:00:00+08:00'))).toBe(hours(9 * 5)); // Thu, Fri, Mon, Tue, Wed
    expect(openSecondsBetween(plain, at('2026-10-10T00:00:00+08:00'), at('2026-10-11T00:00:00+08:00'))).toBe(0);
  });

  it('S1: hours are kept in the calendar’s own time zone', () => {
    const london: BusinessCalendar = { ...weekdays, zone: 'Europe/London', holidays: 'none' };
    // 09:00 in London in March (GMT) is 17:00 in Shanghai.
    expect(addOpenSeconds(london, at('2026-03-02T08:00:00Z'), 60)).toEqual(at('2026-03-02T09:01:00Z'));
  });

  it('S1: around the clock adds plain time and the two functions agree', () => {
    const always: BusinessCalendar = { zone: 'Asia/Shanghai', hours: '24x7', holidays: 'cn' };
    expect(addOpenSeconds(always, at('2026-10-01T12:00:00+08:00'), 45)).toEqual(at('2026-10-01T12:00:45+08:00'));
    const start = at('2026-09-29T16:10:00+08:00');
    for (const seconds of [1, 3000, hours(9), hours(24), hours(40)]) {
      expect(openSecondsBetween(weekdays, start, addOpenSeconds(weekdays, start, seconds))).toBe(seconds);
    }
  });
});
