import type { WifiAccessPoint, WifiConnection } from './node-wifi.adapter.js';

/** A site survey: what the gateway's radio hears, strongest first, the uplink's AP marked. */
export interface WifiSurvey {
  at: number;
  accessPoints: (WifiAccessPoint & { connected?: boolean })[];
}

/**
 * What the status API shows as `wifi`: the uplink connection and the last survey, or why there is
 * none (`available: false` on a host without NetworkManager).
 * @example { available: true, checkedAt, connection: { ssid: 'store-uplink', signalPercent: 81, … }, survey: { at, accessPoints: [...] } }
 */
export interface WifiStatus {
  available: boolean;
  reason?: string;
  checkedAt?: number;
  /** The active WiFi connection; absent when the uplink is not WiFi (Ethernet, LTE). */
  connection?: WifiConnection;
  survey?: WifiSurvey;
}

/**
 * An AP's MAC shown as its OUI only (`3c:22:fb:…`): enough to tell vendors and the store's own APs
 * apart, not enough to follow a device (a phone's hotspot is an AP too). `show` keeps it whole.
 */
export function maskBssid(bssid: string, show = false): string {
  if (show) return bssid;
  const hex = bssid.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length !== 12) return '…';
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:…`;
}

/** Pure: scan + connection -> survey: BSSIDs masked unless `showBssid`, strongest first, duplicates (same BSSID) once. */
export function buildSurvey(at: number, aps: readonly WifiAccessPoint[], connection: WifiConnection | undefined, showBssid = false): WifiSurvey {
  const seen = new Set<string>();
  const out: WifiSurvey['accessPoints'] = [];
  for (const ap of aps) {
    if (seen.has(ap.bssid)) continue;
    seen.add(ap.bssid);
    const connected = connection !== undefined && connection.bssid === ap.bssid;
    out.push({ ...ap, bssid: maskBssid(ap.bssid, showBssid), ...(connected ? { connected: true } : {}) });
  }
  out.sort((a, b) => (b.signalPercent ?? -1) - (a.signalPercent ?? -1) || a.ssid.localeCompare(b.ssid));
  return { at, accessPoints: out };
}

/** Pure: a connection with its BSSID masked unless `showBssid`. */
export function presentConnection(c: WifiConnection, showBssid = false): WifiConnection {
  return { ...c, bssid: maskBssid(c.bssid, showBssid) };
}

const pad = (s: string, n: number) => (s.length >= n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/** The installer's table (`storesense-gateway wifi scan`). */
export function formatSurveyTable(s: WifiSurvey): string {
  const head = `${pad('SSID', 28)} ${pad('BSSID', 18)} ${'CH'.padStart(3)} ${'MHz'.padStart(5)} ${pad('SIGNAL', 13)} SECURITY`;
  const rows = s.accessPoints.map((ap) => {
    const signal = ap.signalPercent !== undefined ? `${ap.signalPercent}%${ap.signalDbm !== undefined ? ` ~${ap.signalDbm} dBm` : ''}` : '?';
    const ssid = `${ap.connected ? '* ' : ''}${ap.ssid === '' ? '(hidden)' : ap.ssid}`;
    const row = `${pad(ssid, 28)} ${pad(ap.bssid, 18)} ${String(ap.channel ?? '?').padStart(3)} ${String(ap.frequencyMhz ?? '?').padStart(5)} ${pad(signal, 13)} ${ap.security ?? '?'}`;
    return ap.misparsed ? `${row}  (${ap.misparsed})` : row;
  });
  const foot = s.accessPoints.length === 0 ? 'no access points heard' : `${s.accessPoints.length} access point(s); * = the gateway's uplink`;
  return [head, ...rows, foot].join('\n');
}

/** One line for `storesense-gateway wifi status`. */
export function formatConnection(c: WifiConnection | undefined): string {
  if (!c) return 'not connected over WiFi (no active WiFi connection; the uplink may be Ethernet)';
  const where = [c.channel !== undefined ? `channel ${c.channel}` : undefined, c.frequencyMhz !== undefined ? `${c.frequencyMhz} MHz` : undefined]
    .filter(Boolean)
    .join(', ');
  const signal = c.signalPercent !== undefined ? `signal ${c.signalPercent}%${c.signalDbm !== undefined ? ` (~${c.signalDbm} dBm)` : ''}` : 'signal unknown';
  return `connected to "${c.ssid}" (${c.bssid}) on ${c.iface || '?'}${where ? `, ${where}` : ''}, ${signal}, security ${c.security ?? '?'}`;
}
