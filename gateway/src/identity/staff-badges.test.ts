import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hexToBytes, parseAdvert } from '../sources/ble/advert.parse.js';
import { bleSightingToObservation } from '../sources/ble/advert.observation.js';
import { espresenseToObservation } from '../sources/espresense/espresense.observation.js';
import { staffBadgeTable } from './staff-badges.js';

const pepper = 'test-pepper-for-badges';
const DAY1 = Date.UTC(2026, 0, 5, 9);
const BADGE = { uuid: 'B9407F30-F5F8-466E-AFF9-25556B57FE6D', major: 12345, minor: 54321 };

function estimote() {
  const text = readFileSync(new URL('../../fixtures/ble/ibeacon-estimote.hex', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('');
  const r = parseAdvert(hexToBytes(text)!);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('registered staff badges', () => {
  it('a registered iBeacon becomes a day-salted staff_ pseudonym; the badge id and the MAC stay in ingest', () => {
    const staffBadges = staffBadgeTable([BADGE], pepper);
    const advert = estimote();
    const sighting = { atMs: DAY1, receiverId: 'rx-1', addressMac: 'c0:11:22:33:44:55', rssiDbm: -60, advert };
    const r = bleSightingToObservation(sighting, { pepper, staffBadges });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.subject).toMatch(/^staff_[0-9a-f]{16}$/);
    const text = JSON.stringify(r.value).toLowerCase();
    for (const secret of ['c01122334455', 'b9407f30', '12345', '54321']) expect(text).not.toContain(secret);
    // Same badge, same day: same subject; next day: another (no cross-day link downstream).
    const again = bleSightingToObservation({ ...sighting, atMs: DAY1 + 3_600_000, addressMac: 'd0:99:88:77:66:55' }, { pepper, staffBadges });
    expect(again.ok && again.value.subject).toBe(r.value.subject);
    const tomorrow = bleSightingToObservation({ ...sighting, atMs: DAY1 + 86_400_000 }, { pepper, staffBadges });
    expect(tomorrow.ok && tomorrow.value.subject).not.toBe(r.value.subject);
    // Not registered: the ordinary MAC pseudonym.
    const other = bleSightingToObservation(sighting, { pepper, staffBadges: staffBadgeTable([{ ...BADGE, minor: 1 }], pepper) });
    expect(other.ok && other.value.subject).toMatch(/^s_/);
  });

  it('an ESPresense iBeacon id that is a registered badge gets the same staff_ pseudonym', () => {
    const staffBadges = staffBadgeTable([BADGE], pepper);
    const ble = bleSightingToObservation(
      { atMs: DAY1, receiverId: 'rx-1', addressMac: 'c0:11:22:33:44:55', rssiDbm: -60, advert: estimote() },
      { pepper, staffBadges },
    );
    const esp = espresenseToObservation({ deviceId: 'iBeacon:b9407f30-f5f8-466e-aff9-25556b57fe6d-12345-54321', room: 'rx-1', rssiDbm: -61 }, DAY1, {
      pepper,
      staffBadges,
    });
    expect(esp.ok && esp.value.subject).toBe(ble.ok && ble.value.subject);
    expect(JSON.stringify(esp)).not.toMatch(/b9407f30/i);
  });
});
