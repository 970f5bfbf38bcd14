/**
 * Why a live capture child exited, in words an installer can act on. tshark ends every run with
 * "N packets captured" on stderr, so the last stderr line alone turned "no such interface" into
 * "0 packets captured" (issue 13). The line that says what went wrong is the last one that is not
 * such a tally or banner; and when the interface does not exist at all, that comes first.
 */
const NOISE = [/^\d+ packets? (captured|received by filter|dropped by (kernel|interface))$/i, /^Capturing on /, /^tcpdump: listening on /, /^Running as user /];

/** The most telling stderr line: the last one that is not a packet tally or a banner. */
export function tellingStderrLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !NOISE.some((re) => re.test(l)));
  return (lines.at(-1) ?? '').slice(0, 200);
}

export function captureExitReason(input: {
  bin: string;
  iface: string;
  interfaceExists: boolean;
  code: number | null;
  signal: string | null;
  stderr: string;
}): string {
  const line = tellingStderrLine(input.stderr);
  const exited = `${input.bin} exited (${input.signal ?? `code ${input.code}`})${line ? `: ${line}` : ''}`;
  if (input.interfaceExists) return exited;
  return `interface ${input.iface} does not exist (create it: iw dev wlan0 interface add ${input.iface} type monitor); ${exited}`;
}
