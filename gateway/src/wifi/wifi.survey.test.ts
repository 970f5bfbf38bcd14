import { describe, expect, it } from 'vitest';
import { buildSurvey, formatConnection, maskBssid } from './wifi.survey.js';

describe('wifi survey (pure)', () => {
  it.each([
    ['A0:B1:C2:D3:E4:F5', false, 'a0:b1:c2:…'],
    ['a0-b1-c2-d3-e4-f5', false, 'a0:b1:c2:…'],
    ['A0:B1:C2:D3:E4:F5', true, 'A0:B1:C2:D3:E4:F5'],
    ['not a mac', false, '…'],
  ])('maskBssid(%s, show=%s) = %s', (bssid, show, want) => {
    expect(maskBssid(bssid, show)).toBe(want);
  });

  it('orders by signal, keeps one entry per BSSID, marks the connected AP', () => {
    const s = buildSurvey(
      5,
      [
        { ssid: 'b', bssid: '00:00:00:00:00:02', signalPercent: 40 },
        { ssid: 'a', bssid: '00:00:00:00:00:01', signalPercent: 90 },
        { ssid: 'b', bssid: '00:00:00:00:00:02', signalPercent: 41 },
        { ssid: 'c', bssid: '00:00:00:00:00:03' },
      ],
      { iface: 'wlan0', ssid: 'b', bssid: '00:00:00:00:00:02' },
    );
    expect(s.accessPoints.map((a) => [a.ssid, a.connected ?? false])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ]);
    expect(s.at).toBe(5);
  });

  it('formats a missing connection as not on WiFi', () => {
    expect(formatConnection(undefined)).toMatch(/not connected over WiFi/);
  });
});
