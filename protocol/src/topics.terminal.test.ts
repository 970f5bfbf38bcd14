import { describe, expect, it } from 'vitest';
import { filters, parseTopic, topics } from './topics.js';

describe('terminal observation topics', () => {
  it('builds and parses obs/terminal/{id}', () => {
    const t = topics.terminalObservations('mall-1', 'gw-1', 'pos-1');
    expect(t).toBe('storesense/v1/mall-1/gw-1/obs/terminal/pos-1');
    expect(parseTopic(t)).toEqual({ kind: 'terminalObservations', siteId: 'mall-1', gatewayId: 'gw-1', terminalId: 'pos-1' });
    expect(filters.terminalObservations('mall-1', 'gw-1')).toBe('storesense/v1/mall-1/gw-1/obs/terminal/+');
  });
  it('refuses bad terminal ids and other shapes', () => {
    expect(() => topics.terminalObservations('mall-1', 'gw-1', 'pos 1')).toThrow(TypeError);
    expect(parseTopic('storesense/v1/mall-1/gw-1/obs/terminal/+')).toBeNull();
    expect(parseTopic('storesense/v1/mall-1/gw-1/obs/cashier/pos-1')).toBeNull();
    expect(parseTopic('storesense/v1/mall-1/gw-1/obs/terminal/pos-1/x')).toBeNull();
  });
});
