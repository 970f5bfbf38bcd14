/**
 * The only file that loads `node-wifi` (2.0.16), loaded lazily so the gateway never pays for it
 * unless a survey or status is asked for. On Linux node-wifi shells out to NetworkManager's
 * `nmcli --terse --fields … device wifi [list]`; it has nothing to do with shoppers' phones: it
 * reports the gateway's own uplink and the access points its radio can hear.
 *
 * Quirks handled here (node-wifi/src/linux-scan.js, linux/scan/parser.js, env.js):
 * - every call before `init()` throws "use init before": `loadNodeWifi` calls init once;
 * - its scan parser splits nmcli's terse line on ':' without honouring nmcli's `\:` escape, so an
 *   SSID containing ':' comes back cut at the colon (ending in '\') and every later field is
 *   shifted: such entries are flagged `misparsed` with only the BSSID kept as reliable (the
 *   current-connection parser does unescape, so `status` is right for such SSIDs);
 * - requiring it sets LANG/LC_ALL/LC_MESSAGES=en_US.UTF-8 on process.env (so nmcli answers
 *   "yes"/"no" in English); child processes started later inherit that;
 * - signal: nmcli gives 0–100 %; node-wifi's dBm is an estimate (percent / 2 − 100).
 */

/** One access point heard in a scan. `bssid` is the AP's MAC: callers mask it unless asked not to. */
export interface WifiAccessPoint {
  ssid: string;
  bssid: string;
  mode?: string;
  channel?: number;
  frequencyMhz?: number;
  signalPercent?: number;
  /** node-wifi's estimate from the percentage, not a radio measurement. */
  signalDbm?: number;
  security?: string;
  /** Why the other fields are not to be trusted (an SSID node-wifi cannot parse). */
  misparsed?: string;
}

/** The gateway's active WiFi connection (its uplink when it is on WiFi). */
export interface WifiConnection extends WifiAccessPoint {
  iface: string;
}

/** What the installer commands and the status API need; tests may inject a fake. */
export interface WifiBackend {
  scan(): Promise<WifiAccessPoint[]>;
  currentConnections(): Promise<WifiConnection[]>;
}

/** node-wifi's record shape (linux parsers), as far as we read it. */
interface NodeWifiNetwork {
  iface?: string;
  ssid?: string;
  bssid?: string;
  mode?: string;
  channel?: number;
  frequency?: number;
  signal_level?: number;
  quality?: number;
  security?: string;
}
interface NodeWifiModule {
  init(options: { iface: string | null; debug?: boolean }): void;
  scan(): Promise<NodeWifiNetwork[]>;
  getCurrentConnections(): Promise<NodeWifiNetwork[]>;
}

const NODE_WIFI = 'node-wifi';

/** Loads and initialises node-wifi; rejects with a readable reason when it is not installed or the OS is not supported. */
export async function loadNodeWifi(opts: { iface?: string } = {}): Promise<WifiBackend> {
  let wifi: NodeWifiModule;
  try {
    const mod = (await import(NODE_WIFI)) as { default?: NodeWifiModule } & NodeWifiModule;
    wifi = mod.default ?? mod;
    wifi.init({ iface: opts.iface ?? null });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') throw new Error(`${NODE_WIFI} is not installed`, { cause: err });
    throw new Error(`${NODE_WIFI}: ${e.message}`, { cause: err });
  }
  return {
    scan: () => call(() => wifi.scan()).then((list) => list.map(toAccessPoint)),
    currentConnections: () => call(() => wifi.getCurrentConnections()).then((list) => list.map((n) => ({ ...toAccessPoint(n), iface: n.iface ?? '' }))),
  };
}

/** Runs a node-wifi call, turning nmcli's failures into one-line reasons an installer can act on. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(nmcliReason(err), { cause: err });
  }
}

/** nmcli's exit codes (nmcli(1) EXIT STATUS): 8 = NetworkManager is not running, 10 = no such device. */
export function nmcliReason(err: unknown): string {
  const e = err as { code?: string | number; message?: string };
  if (e.code === 'ENOENT') return 'nmcli not found: NetworkManager is not installed (apt install network-manager)';
  const text = `${e.message ?? String(err)}`;
  if (e.code === 8 || /NetworkManager is not running/i.test(text)) return 'NetworkManager is not running (systemctl start NetworkManager)';
  if (e.code === 10 || (/No such device|not found/i.test(text) && /device/i.test(text))) return `no such WiFi device: ${lastLine(text)}`;
  return `nmcli failed: ${lastLine(text)}`;
}

const lastLine = (text: string) => text.trim().split('\n').pop()?.slice(0, 200) ?? '';
const KNOWN_MODES = new Set(['Infra', 'Ad-Hoc', 'Mesh', 'AP', 'N/A']);
const finite = (n: unknown): number | undefined => (typeof n === 'number' && Number.isFinite(n) ? n : undefined);

function toAccessPoint(n: NodeWifiNetwork): WifiAccessPoint {
  const ssid = n.ssid ?? '';
  const bssid = (n.bssid ?? '').toLowerCase();
  // A cut SSID ends in nmcli's escape backslash; the shifted fields give a mode nmcli never prints.
  if (ssid.endsWith('\\') || (n.mode !== undefined && !KNOWN_MODES.has(n.mode))) {
    return {
      ssid: `${ssid.replace(/\\$/, '')}:…`,
      bssid,
      misparsed:
        "SSID contains ':'; node-wifi 2.0.16 mis-splits the line, so only the BSSID is reliable (nmcli -f SSID,BSSID,SIGNAL device wifi list shows it)",
    };
  }
  return {
    ssid: ssid.replace(/\\\\/g, '\\'),
    bssid,
    ...(n.mode ? { mode: n.mode } : {}),
    ...(finite(n.channel) !== undefined ? { channel: n.channel } : {}),
    ...(finite(n.frequency) !== undefined ? { frequencyMhz: n.frequency } : {}),
    ...(finite(n.quality) !== undefined ? { signalPercent: n.quality } : {}),
    ...(finite(n.signal_level) !== undefined ? { signalDbm: n.signal_level } : {}),
    ...(n.security !== undefined ? { security: n.security === '' ? 'none' : n.security } : {}),
  };
}
