import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { parseAdvert, toHex } from '../sources/ble/advert.parse.js';
import { bleSightingToObservation } from '../sources/ble/advert.observation.js';
import { espresenseToObservation } from '../sources/espresense/espresense.observation.js';
import { parseEspresenseMessage } from '../sources/espresense/espresense.parse.js';
import { merakiToObservation } from '../sources/meraki/meraki.observation.js';
import { parseMerakiBody } from '../sources/meraki/meraki.parse.js';
import { decodeRadiotapFrame } from '../sources/wifi-probe/probe-capture.decode.js';
import { probeToObservation } from '../sources/wifi-probe/probe.observation.js';
import { parseTsharkProbeLine } from '../sources/wifi-probe/tshark-fields.parse.js';

/** Every common spelling of a MAC: colon, dash, bare, Cisco dotted; upper and lower case. */
function spellings(b: Uint8Array): string[] {
  const pairs = Array.from(b, (x) => x.toString(16).padStart(2, '0'));
  const bare = pairs.join('');
  const forms = [pairs.join(':'), pairs.join('-'), bare, `${bare.slice(0, 4)}.${bare.slice(4, 8)}.${bare.slice(8)}`];
  return forms.flatMap((f) => [f, f.toUpperCase()]);
}

/** Minimal radiotap (channel + antsignal) + probe request with SA = mac and random elements. */
function probeFrame(mac: Uint8Array, seq: number, ies: Uint8Array[]): Uint8Array {
  const rt = [0, 0, 13, 0, 0x28, 0, 0, 0, 0x6c, 0x09, 0xa0, 0, 0xc4];
  const hdr = [0x40, 0, 0, 0, ...Array(6).fill(0xff), ...mac, ...Array(6).fill(0xff), (seq << 4) & 0xff, (seq >> 4) & 0xff];
  return Uint8Array.from([...rt, ...hdr, ...ies.flatMap((d, i) => [i === 0 ? 0 : 221, d.length, ...d])]);
}

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 });
const formatArb = fc.nat(7);
const atArb = fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 });

describe('no raw MAC leaves a conversion (property, all sources)', () => {
  it('Observation JSON, rejection reasons and log lines never contain the MAC in any spelling', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'trace' }, { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream);
    const eid = parseAdvert(Uint8Array.from([3, 3, 0xaa, 0xfe, 0x0d, 0x16, 0xaa, 0xfe, 0x30, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8]));
    if (!eid.ok) throw new Error(eid.reason);
    fc.assert(
      fc.property(
        macArb,
        formatArb,
        atArb,
        fc.integer({ min: 0, max: 4095 }),
        fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 4 }),
        (mac, fmt, at, seq, ies) => {
          // An all-digit MAC (p = 0.35 %) would "occur" inside timestamps; it says nothing about leaks.
          fc.pre(/[a-f]/.test(toHex(mac)));
          lines.length = 0;
          const written = spellings(mac)[fmt]!;
          const outputs: unknown[] = [];
          const emit = (what: string, r: { ok: boolean }) => {
            outputs.push(r);
            const any = r as unknown as { value?: unknown; reason?: string };
            if (r.ok) log.debug({ obs: any.value, what }, 'observation');
            else log.warn({ reason: any.reason, what }, 'rejected');
          };
          emit('ble', bleSightingToObservation({ atMs: at, receiverId: 'rx-1', addressMac: written, rssiDbm: -70, advert: eid.value }, { pepper: 'pep' }));
          const frame = decodeRadiotapFrame(at, probeFrame(mac, seq, ies));
          // Parser output holds the MAC by design (it is the conversion's input); only reasons are emitted.
          if (!frame.ok) emit('probe-parse', frame);
          if (frame.ok) emit('probe', probeToObservation({ ...frame.value, sourceMac: frame.value.probe.sourceMac }, { receiverId: 'rx-1', pepper: 'pep' }));
          const ts = parseTsharkProbeLine(`${at / 1000}\t${written}\t-61\t2412\t`);
          if (ts.ok) emit('tshark', probeToObservation(ts.value, { receiverId: 'rx-1', pepper: 'pep' }));
          else emit('tshark', ts);
          const esp = parseEspresenseMessage(`espresense/devices/${written}/office`, { id: written, mac: toHex(mac), rssi: '-70' });
          emit('espresense-parse', esp.ok ? { ok: false, reason: 'parsed' } : esp);
          if (esp.ok) emit('espresense', espresenseToObservation(esp.value, at, { pepper: 'pep' }));
          const mer = parseMerakiBody({
            version: '3.0',
            type: 'WiFi',
            data: {
              observations: [
                { clientMac: written, latestRecord: { time: new Date(at).toISOString(), nearestApMac: '00:18:0a:13:dd:b0', nearestApRssi: '-66' } },
              ],
            },
          });
          if (mer.ok) for (const s of mer.value.sightings) emit('meraki', merakiToObservation(s, { pepper: 'pep' }));
          else emit('meraki', mer);
          const text = `${JSON.stringify(outputs)}\n${lines.join('')}`.toLowerCase();
          expect(outputs.filter((o) => (o as { ok: boolean }).ok).length).toBeGreaterThanOrEqual(4);
          for (const s of spellings(mac)) expect(text).not.toContain(s.toLowerCase());
        },
      ),
      { numRuns: 300 },
    );
  });
});
