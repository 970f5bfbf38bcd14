import { describe, expect, it } from 'vitest';
import { isKnownTimeZone, OpeningCalendar, openingHoursSchema } from './opening-hours.js';
import { validateSite } from './site.loader.js';
import { exampleSitePath } from './paths.js';
import { readFileSync } from 'node:fs';

/** Monday 2026-01-05, hh:mm in Asia/Shanghai (UTC+8, no DST). */
const shanghai = (day: number, hh: number, mm = 0) => Date.UTC(2026, 0, 5 + day, hh - 8, mm);

describe('opening hours', () => {
  const weekdays = new OpeningCalendar(
    [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], opens: '10:00', closes: '22:00' },
      { days: ['sat'], opens: '18:00', closes: '02:00' },
      { days: ['sun'], opens: '00:00', closes: '24:00' },
    ],
    'Asia/Shanghai',
  );

  it.each([
    ['Monday 09:59', shanghai(0, 9, 59), false],
    ['Monday 10:00', shanghai(0, 10), true],
    ['Monday 21:59', shanghai(0, 21, 59), true],
    ['Monday 22:00', shanghai(0, 22), false],
    ['Saturday 17:59', shanghai(5, 17, 59), false],
    ['Saturday 23:30', shanghai(5, 23, 30), true],
    ['Sunday 01:59 (Saturday night)', shanghai(6, 1, 59), true],
    ['Sunday 12:00 (all day)', shanghai(6, 12), true],
    ['Monday 01:00 (Sunday ends at 24:00)', shanghai(7, 1), false],
  ])('%s: open %s', (_name, at, open) => {
    expect(weekdays.isOpen(at)).toBe(open);
  });

  it('follows daylight saving in the zone (Berlin: 10:00 local is 09:00 UTC in winter, 08:00 in summer)', () => {
    const berlin = new OpeningCalendar([{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], opens: '10:00', closes: '18:00' }], 'Europe/Berlin');
    expect(berlin.isOpen(Date.UTC(2026, 0, 5, 8, 59))).toBe(false);
    expect(berlin.isOpen(Date.UTC(2026, 0, 5, 9, 0))).toBe(true);
    expect(berlin.isOpen(Date.UTC(2026, 6, 6, 8, 0))).toBe(true);
    expect(berlin.isOpen(Date.UTC(2026, 6, 6, 16, 0))).toBe(false);
  });

  it('rejects bad periods with their path', () => {
    const r = openingHoursSchema.safeParse([
      { days: ['mon'], opens: '9:00', closes: '18:00' },
      { days: [], opens: '10:00', closes: '10:00' },
      { days: ['fri'], opens: '24:00', closes: '02:00' },
    ]);
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        '0.opens: expected a 24-hour time HH:MM (00:00-24:00)',
        '1.days: Too small: expected array to have >=1 items',
        '2.opens: opens cannot be 24:00',
      ]),
    );
    expect(openingHoursSchema.safeParse([{ days: ['mon'], opens: '10:00', closes: '10:00' }]).error?.issues[0]?.message).toMatch(/00:00-24:00/);
    expect(isKnownTimeZone('Asia/Shanghai')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });

  it('a site file takes openingHours at site and store level and refuses an unknown time zone', () => {
    const raw = JSON.parse(readFileSync(exampleSitePath('boutique'), 'utf8'));
    raw.openingHours = [{ days: ['mon'], opens: '10:00', closes: '22:00' }];
    raw.stores[0].openingHours = [{ days: ['sat', 'sun'], opens: '09:00', closes: '23:00' }];
    expect(validateSite(raw).ok).toBe(true);
    raw.timezone = 'Mars/Olympus';
    raw.stores[0].openingHours[0].closes = '25:00';
    const bad = validateSite(raw);
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^timezone: not an IANA time zone/),
        expect.stringMatching(/^stores\[0\]\.openingHours\[0\]\.closes: expected a 24-hour time/),
      ]),
    );
  });
});
