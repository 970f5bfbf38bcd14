/**
 * `storesense-gateway wifi scan|status` for installers: `status` is the gateway's own uplink
 * (SSID, signal, channel/frequency), `scan` the access points its radio hears (a site survey:
 * where is the store's AP, how crowded is each channel). Exit 1 with the reason when WiFi cannot
 * be read (no NetworkManager), 2 on usage errors.
 */
import { parseArgs } from 'node:util';
import { loadNodeWifi, type WifiBackend } from './node-wifi.adapter.js';
import { buildSurvey, formatConnection, formatSurveyTable, presentConnection } from './wifi.survey.js';

export const WIFI_USAGE = `Usage: storesense-gateway wifi scan|status [--json] [--iface wlan0] [--show-bssid]

  wifi status    the gateway's WiFi uplink: SSID, signal, channel and frequency
  wifi scan      nearby access points, strongest first (a site survey; * marks the uplink's AP)
  --json         machine-readable output
  --iface IF     the WiFi device (default: every device NetworkManager manages)
  --show-bssid   print access points' full MACs (default: vendor prefix only, e.g. 3c:22:fb:…)

Reads NetworkManager through nmcli (node-wifi); needs network-manager installed and running.`;

export interface WifiIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  nowMs: () => number;
  /** Tests or embedders; default node-wifi. */
  load?: (opts: { iface?: string }) => Promise<WifiBackend>;
}

export async function runWifi(argv: string[], io: WifiIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { json: { type: 'boolean' }, iface: { type: 'string' }, 'show-bssid': { type: 'boolean' }, help: { type: 'boolean' } },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${WIFI_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const cmd = positionals[0];
  if (values.help) {
    io.stdout(`${WIFI_USAGE}\n`);
    return 0;
  }
  if ((cmd !== 'scan' && cmd !== 'status') || positionals.length > 1) {
    io.stderr(`wifi needs scan or status\n\n${WIFI_USAGE}\n`);
    return 2;
  }
  const show = values['show-bssid'] === true;
  try {
    const backend = await (io.load ?? loadNodeWifi)(values.iface !== undefined ? { iface: values.iface } : {});
    const connection = (await backend.currentConnections())[0];
    if (cmd === 'status') {
      const shown = connection ? presentConnection(connection, show) : undefined;
      io.stdout(
        values.json
          ? `${JSON.stringify({ connected: shown !== undefined, ...(shown ? { connection: shown } : {}) }, null, 2)}\n`
          : `${formatConnection(shown)}\n`,
      );
      return 0;
    }
    const survey = buildSurvey(io.nowMs(), await backend.scan(), connection, show);
    io.stdout(values.json ? `${JSON.stringify(survey, null, 2)}\n` : `${formatSurveyTable(survey)}\n`);
    return 0;
  } catch (err) {
    io.stderr(`wifi ${cmd}: ${(err as Error).message}\n`);
    return 1;
  }
}
