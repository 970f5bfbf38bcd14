import { z } from 'zod';

/**
 * Opening hours of a site or store, in the site's time zone, as schema.org's
 * OpeningHoursSpecification has them (dayOfWeek, opens, closes): a list of periods, a day with no
 * period is closed. `closes` at or before `opens` runs past midnight into the next day
 * (a bar 18:00-02:00); 00:00-24:00 is all day. The gateway uses them to learn staff devices:
 * a phone in the store while it is closed is not a shopper.
 * @example [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], opens: '10:00', closes: '22:00' }, { days: ['sat', 'sun'], opens: '09:00', closes: '23:00' }]
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clockTime = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected a 24-hour time HH:MM (00:00-24:00)');

export const openingPeriodSchema = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1).describe('days this period opens on (mon … sun)'),
    opens: clockTime.describe('local time the doors open, HH:MM'),
    closes: clockTime.describe('local time they close, HH:MM; at or before `opens` = past midnight, 24:00 = end of day'),
  })
  .refine((p) => p.opens !== p.closes, { message: 'opens and closes are equal: use 00:00-24:00 for a day open around the clock', path: ['closes'] })
  .refine((p) => p.opens !== '24:00', { message: 'opens cannot be 24:00', path: ['opens'] });
export type OpeningPeriod = z.infer<typeof openingPeriodSchema>;

export const openingHoursSchema = z
  .array(openingPeriodSchema)
  .min(1)
  .describe("opening hours in the site's time zone (schema.org OpeningHoursSpecification style); absent = always open");
export type OpeningHours = z.infer<typeof openingHoursSchema>;

/** True when `timezone` is an IANA zone this runtime knows (Intl throws a RangeError otherwise). */
export function isKnownTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Answers "is it open at `at`?" for one set of hours in one zone. Pure: the time comes in; the
 * local weekday and minute are cached per minute, since Intl formatting costs microseconds and a
 * gateway asks every tick.
 * @example new OpeningCalendar(hours, 'Asia/Shanghai').isOpen(Date.UTC(2026, 0, 5, 2)) // Monday 10:00 local
 */
export class OpeningCalendar {
  private readonly format: Intl.DateTimeFormat;
  private readonly periods: { day: number; fromMin: number; toMin: number }[] = [];
  private cacheMinute = Number.NaN;
  private cacheOpen = false;

  constructor(hours: OpeningHours, timezone: string) {
    this.format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    for (const p of hours) {
      const from = minutesOf(p.opens);
      const to = minutesOf(p.closes);
      for (const d of p.days) {
        const day = WEEKDAYS.indexOf(d);
        if (to > from) this.periods.push({ day, fromMin: from, toMin: to });
        else {
          // Past midnight: the evening on `day`, the small hours on the next day.
          this.periods.push({ day, fromMin: from, toMin: 24 * 60 });
          if (to > 0) this.periods.push({ day: (day + 1) % 7, fromMin: 0, toMin: to });
        }
      }
    }
  }

  isOpen(at: number): boolean {
    const minute = Math.floor(at / 60_000);
    if (minute === this.cacheMinute) return this.cacheOpen;
    const { day, min } = this.local(at);
    this.cacheMinute = minute;
    this.cacheOpen = this.periods.some((p) => p.day === day && min >= p.fromMin && min < p.toMin);
    return this.cacheOpen;
  }

  /** Local weekday (0 = Monday) and minute of the day. */
  local(at: number): { day: number; min: number } {
    let weekday = '';
    let hour = 0;
    let minute = 0;
    for (const part of this.format.formatToParts(at)) {
      if (part.type === 'weekday') weekday = part.value.toLowerCase().slice(0, 3);
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    return { day: WEEKDAYS.indexOf(weekday as Weekday), min: hour * 60 + minute };
  }
}
