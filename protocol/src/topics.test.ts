import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_TYPES } from './event.js';
import { filters, isUnderGatewayPrefix, parseTopic, topics } from './topics.js';

describe('topics', () => {
  it('builds the documented topic table', () => {
    expect(topics.event('mall-1', 'gw-1', 'arrival')).toBe('storesense/v1/mall-1/gw-1/event/arrival');
    expect(topics.ack('mall-1', 'gw-1')).toBe('storesense/v1/mall-1/gw-1/ack');
    expect(topics.stateConn('mall-1', 'gw-1')).toBe('storesense/v1/mall-1/gw-1/state/conn');
    expect(topics.stateHealth('mall-1', 'gw-1')).toBe('storesense/v1/mall-1/gw-1/state/health');
    expect(topics.config('mall-1', 'gw-1')).toBe('storesense/v1/mall-1/gw-1/config');
    expect(topics.memberKeys('mall-1', 'gw-1')).toBe('storesense/v1/mall-1/gw-1/members/keys');
    expect(topics.command('mall-1', 'gw-1', 'reboot')).toBe('storesense/v1/mall-1/gw-1/command/reboot');
    expect(topics.response('mall-1', 'gw-1', 'reboot')).toBe('storesense/v1/mall-1/gw-1/response/reboot');
    expect(topics.observations('mall-1', 'gw-1')).toBe('storesense/v1/mall-1/gw-1/obs');
    expect(filters.allEvents).toBe('storesense/v1/+/+/event/+');
  });

  it('refuses ids that would break a topic level', () => {
    for (const bad of ['', 'a/b', 'a+b', '#', 'with space', '-lead', 'x'.repeat(65)]) {
      expect(() => topics.event(bad, 'gw', 'exit')).toThrow(/not a valid id/);
      expect(() => topics.ack('site', bad)).toThrow(/not a valid id/);
    }
  });

  it('round-trips every topic it builds', () => {
    for (const type of EVENT_TYPES) {
      expect(parseTopic(topics.event('s', 'g', type))).toEqual({ kind: 'event', siteId: 's', gatewayId: 'g', type });
    }
    expect(parseTopic(topics.ack('s', 'g'))).toEqual({ kind: 'ack', siteId: 's', gatewayId: 'g' });
    expect(parseTopic(topics.stateConn('s', 'g'))?.kind).toBe('stateConn');
    expect(parseTopic(topics.stateHealth('s', 'g'))?.kind).toBe('stateHealth');
    expect(topics.occupancy('s', 'g')).toBe('storesense/v1/s/g/occupancy');
    expect(parseTopic(topics.occupancy('s', 'g'))).toEqual({ kind: 'occupancy', siteId: 's', gatewayId: 'g' });
    expect(topics.gap('s', 'g')).toBe('storesense/v1/s/g/gap');
    expect(parseTopic(topics.gap('s', 'g'))).toEqual({ kind: 'gap', siteId: 's', gatewayId: 'g' });
    expect(parseTopic(topics.config('s', 'g'))?.kind).toBe('config');
    expect(parseTopic(topics.memberKeys('s', 'g'))?.kind).toBe('memberKeys');
    expect(parseTopic(topics.observations('s', 'g'))?.kind).toBe('observations');
    expect(parseTopic(topics.command('s', 'g', 'ping'))).toEqual({ kind: 'command', siteId: 's', gatewayId: 'g', name: 'ping' });
    expect(parseTopic(topics.response('s', 'g', 'ping'))).toEqual({ kind: 'response', siteId: 's', gatewayId: 'g', name: 'ping' });
  });

  it('rejects foreign and malformed topics', () => {
    for (const t of [
      'storesense/v2/s/g/ack',
      'other/v1/s/g/ack',
      'storesense/v1/s/g',
      'storesense/v1/s/g/event/teleport',
      'storesense/v1/s/g/event/arrival/extra',
      'storesense/v1/s+x/g/ack',
      'storesense/v1/s/g/state/mood',
      'storesense/v1/s/g/unknown',
      '',
    ]) {
      expect(parseTopic(t)).toBeNull();
    }
  });

  it('parseTopic never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        parseTopic(s);
        parseTopic(`storesense/v1/${s}`);
      }),
    );
  });

  it('knows a gateway prefix from a look-alike', () => {
    expect(isUnderGatewayPrefix('storesense/v1/s/g/event/exit', 's', 'g')).toBe(true);
    expect(isUnderGatewayPrefix('storesense/v1/s/g2/event/exit', 's', 'g')).toBe(false);
    expect(isUnderGatewayPrefix('storesense/v1/s/g', 's', 'g')).toBe(false);
  });
});
