import { describe, expect, it } from 'vitest';
import { connectClient, startTestCloud } from '../testing/harness.js';

describe('gatewayAccounts on the embedded broker', () => {
  it("closes a revoked gateway's open session (the caller deletes its credential from the store)", async () => {
    const t = await startTestCloud();
    try {
      await t.cloud.provisionGateway({ siteId: 'mall', gatewayId: 'gw1', password: 'gw1-password' });
      const gw = await connectClient(t.endpoints.mqttUrl, 'mall.gw1', 'gw1-password');
      const other = await connectClient(t.endpoints.mqttUrl, 'mall.gw2', 'gw2-password').catch((err: Error) => err.message);
      expect(other).toMatch(/bad user|not authori/i); // unprovisioned
      const closed = new Promise<void>((resolve) => gw.once('close', () => resolve()));
      await t.cloud.gatewayAccounts.revoked({ siteId: 'mall', gatewayId: 'gw1', username: 'mall.gw1' });
      await closed;
      expect(gw.connected).toBe(false);
      await t.cloud.gatewayAccounts.revoked({ siteId: 'mall', gatewayId: 'gw9', username: 'mall.gw9' }); // not connected: nothing to do
      await gw.endAsync(true);
    } finally {
      await t.stop();
    }
  });
});
