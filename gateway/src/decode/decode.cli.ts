/**
 * `storesense-gateway decode ble|probe|espresense|meraki …`: prints as JSON what the parsers make of
 * one raw input, for installers. MACs (and ESPresense device ids) are shown as the same pseudonyms
 * the gateway would use (`--pepper` / $STORESENSE_SITE_PEPPER) unless `--show-mac` is given.
 * Exit 0 with JSON on stdout; exit 1 with the rejection reason on stderr; exit 2 on usage errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { displayMac, normalizeMac, pseudonymizeDeviceId } from '../identity/mac-pseudonym.js';
import { hexToBytes, parseAdvert } from '../sources/ble/advert.parse.js';
import { memberTokenOf } from '../sources/ble/advert.observation.js';
import { parseEspresenseMessage } from '../sources/espresense/espresense.parse.js';
import { parseMerakiBody } from '../sources/meraki/meraki.parse.js';
import { decodeProbeCapture } from '../sources/wifi-probe/probe-capture.decode.js';

export interface DecodeIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Wall clock for pseudonyms of inputs that carry no time (an edge: the CLI). */
  nowMs: () => number;
}

export const DECODE_USAGE = `Usage: storesense-gateway decode <kind> <input> [--show-mac] [--pepper P]

  decode ble <hex> [--address <mac>]     BLE advertising data (AD structures), e.g. 0201061aff4c0002…
  decode probe <file> [--limit N]        802.11 probe requests in a radiotap capture (linktype 127),
                                         pcap or pcapng (Wireshark's default)
  decode espresense <topic> <json>       one ESPresense MQTT message
  decode meraki <file.json> [--secret S] a Meraki Scanning API v2/v3 body

  --show-mac   show MACs as they are (debugging your own device); default: pseudonyms
  --pepper P   site pepper for pseudonyms (default $STORESENSE_SITE_PEPPER, else "decode")`;

const MAC_KEYS = new Set(['sourceMac', 'destinationMac', 'clientMac', 'mac', 'address']);
const BROADCAST = 'ffffffffffff';

/** Replaces MAC-valued fields (and ESPresense device ids) by pseudonyms unless showMac. */
function present(value: unknown, atMs: number, pepper: string, showMac: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => present(v, atMs, pepper, showMac));
  if (typeof value !== 'object' || value === null) return value;
  const rec = value as Record<string, unknown>;
  const at = typeof rec.atMs === 'number' ? rec.atMs : atMs;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (typeof v === 'string' && MAC_KEYS.has(k) && normalizeMac(v) !== undefined && normalizeMac(v) !== BROADCAST) out[k] = displayMac(v, at, pepper, showMac);
    else if (typeof v === 'string' && k === 'deviceId' && !showMac) out[k] = pseudonymizeDeviceId(v, at, pepper)?.subject;
    else out[k] = present(v, at, pepper, showMac);
  }
  return out;
}

export async function runDecode(argv: string[], io: DecodeIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'show-mac': { type: 'boolean' },
        pepper: { type: 'string' },
        address: { type: 'string' },
        limit: { type: 'string' },
        secret: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${DECODE_USAGE}\n`);
    return 2;
  }
  const {
    values: o,
    positionals: [kind, ...rest],
  } = parsed;
  if (o.help) {
    io.stdout(`${DECODE_USAGE}\n`);
    return 0;
  }
  const pepper = o.pepper ?? io.env['STORESENSE_SITE_PEPPER'] ?? 'decode';
  const showMac = o['show-mac'] === true;
  const print = (v: unknown, atMs = io.nowMs()) =>
    io.stdout(`${JSON.stringify(present(v, atMs, pepper, showMac), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);
  const reject = (reason: string) => {
    io.stderr(`decode ${kind}: rejected: ${reason}\n`);
    return 1;
  };
  const need = (n: number) => {
    if (rest.length === n) return true;
    io.stderr(`decode ${kind ?? ''}: expected ${n} argument(s)\n\n${DECODE_USAGE}\n`);
    return false;
  };
  switch (kind) {
    case 'ble': {
      if (!need(1)) return 2;
      const bytes = hexToBytes(rest[0]!);
      if (!bytes) return reject('input is not an even-length hex string');
      const r = parseAdvert(bytes);
      if (!r.ok) return reject(r.reason);
      const token = memberTokenOf(r.value);
      print({ advert: r.value, ...(token ? { token } : {}), ...(o.address !== undefined ? { address: o.address } : {}) });
      return 0;
    }
    case 'probe': {
      if (!need(1)) return 2;
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(rest[0]!);
      } catch (err) {
        return reject(`cannot read ${rest[0]}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      const r = decodeProbeCapture(bytes);
      if (!r.ok) return reject(r.reason);
      const limit = o.limit !== undefined ? Number(o.limit) : Number.POSITIVE_INFINITY;
      const frames = r.value.frames;
      const rejected = frames.filter((f) => 'rejected' in f).length;
      print({
        frames: frames.length,
        probeRequests: frames.length - rejected,
        rejected,
        ...(r.value.truncated ? { truncated: r.value.truncated } : {}),
        decoded: frames.slice(0, limit),
      });
      return 0;
    }
    case 'espresense': {
      if (!need(2)) return 2;
      const r = parseEspresenseMessage(rest[0]!, rest[1]!);
      if (!r.ok) return reject(r.reason);
      print(r.value);
      return 0;
    }
    case 'meraki': {
      if (!need(1)) return 2;
      let text: string;
      try {
        text = readFileSync(rest[0]!, 'utf8');
      } catch (err) {
        return reject(`cannot read ${rest[0]}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      const r = parseMerakiBody(text, o.secret !== undefined ? { secret: o.secret } : {});
      if (!r.ok) return reject(r.reason);
      print(r.value);
      return 0;
    }
    default:
      io.stderr(`decode: unknown kind "${kind ?? ''}"\n\n${DECODE_USAGE}\n`);
      return 2;
  }
}
