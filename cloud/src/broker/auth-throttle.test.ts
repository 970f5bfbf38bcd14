import { describe, expect, it } from 'vitest';
import { startTestCloud, connectClient } from '../testing/harness.js';
import { AuthThrottle } from './auth-throttle.js';

describe('AuthThrottle', () => {
  it('blocks a username after its failures in a window, an address after its (higher) limit, and forgets old windows', () => {
    let now = 0;
    const t = new AuthThrottle({ maxFailures: 3, maxFailuresPerAddress: 5, windowMs: 1_000, maxKeys: 100, now: () => now });
    for (let i = 0; i < 3; i += 1) t.failed('10.0.0.1', 'mall.gw1');
    expect(t.blocked('10.0.0.9', 'mall.gw1')).toBe(true); // the username, from anywhere
    expect(t.blocked('10.0.0.1', 'mall.gw2')).toBe(false); // the address is still under its limit
    t.failed('10.0.0.1', 'mall.gw2');
    t.failed('10.0.0.1', 'mall.gw3');
    expect(t.blocked('10.0.0.1', 'mall.gw4')).toBe(true); // 5 failures from one address
    now = 1_000;
    expect(t.blocked('10.0.0.1', 'mall.gw1')).toBe(false); // a new window
  });

  it('remembers at most maxKeys windows', () => {
    const t = new AuthThrottle({ maxFailures: 1, maxFailuresPerAddress: 1, windowMs: 60_000, maxKeys: 10, now: () => 0 });
    for (let i = 0; i < 1_000; i += 1) t.failed(`10.0.${i >> 8}.${i & 255}`, undefined);
    expect(t.blocked('10.0.3.231', undefined)).toBe(true); // the newest are kept
    expect(t.blocked('10.0.0.0', undefined)).toBe(false); // the oldest are forgotten
  });
});

describe('MQTT login throttling on the embedded broker', () => {
  it('past the limit even the right password is refused (CONNACK 5) without a password check, and counted', async () => {
    const t = await startTestCloud({ brokerLimits: { authMaxFailures: 3, authMaxFailuresPerAddress: 100 } });
    try {
      await t.cloud.provisionGateway({ siteId: 'mall', gatewayId: 'gw1', password: 'right-password' });
      // Concurrent guesses: the limit holds however many arrive at once (each is counted as it fails).
      const guesses = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => connectClient(t.endpoints.mqttUrl, 'mall.gw1', `wrong-${i}`)));
      expect(guesses.every((g) => g.status === 'rejected')).toBe(true);
      // Only the first 3 reached a password check; the other 9 were refused unchecked, at once.
      expect(t.cloud.metrics.get('broker.auth_throttled')).toBe(9);
      await expect(connectClient(t.endpoints.mqttUrl, 'mall.gw1', 'right-password')).rejects.toMatchObject({ code: 5 });
      expect(t.cloud.metrics.get('broker.auth_throttled')).toBe(10);
      // Another gateway's login is unaffected.
      await t.cloud.provisionGateway({ siteId: 'mall', gatewayId: 'gw2', password: 'other-password' });
      const ok = await connectClient(t.endpoints.mqttUrl, 'mall.gw2', 'other-password');
      await ok.endAsync();
    } finally {
      await t.stop();
    }
  });
});
