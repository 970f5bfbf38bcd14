import { createHash, timingSafeEqual } from 'node:crypto';
import type { Observation, TerminalKind } from '@storesense/protocol';

/** One smart terminal allowed to post: its id (= `receiverId` of what it posts), kind and bearer token. */
export interface TerminalCredential {
  terminalId: string;
  kind: TerminalKind;
  token: string;
}

/** Credentials kept as SHA-256 digests: compared in constant time, never held or logged as text. */
export interface TerminalKeyring {
  /** The terminal a bearer token belongs to, or undefined (missing, malformed or unknown token). */
  authenticate(authorization: string | undefined): { terminalId: string; kind: TerminalKind } | undefined;
  readonly size: number;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function terminalKeyring(credentials: readonly TerminalCredential[]): TerminalKeyring {
  const entries = credentials.map((c) => ({ terminalId: c.terminalId, kind: c.kind, hash: digest(c.token) }));
  return {
    size: entries.length,
    authenticate(authorization) {
      const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization ?? '');
      if (!m) return undefined;
      const h = digest(m[1]!);
      // Check every entry (no early exit), so timing says nothing about which terminal matched.
      let found: { terminalId: string; kind: TerminalKind } | undefined;
      for (const e of entries) if (timingSafeEqual(e.hash, h) && found === undefined) found = { terminalId: e.terminalId, kind: e.kind };
      return found;
    },
  };
}

/**
 * Pure: what an authenticated terminal may post. Every observation must be a terminal detection
 * by *this* terminal (`source: "terminal"`, `receiverId` = its id, `terminal.kind` = its kind): a
 * POS cannot post camera counts, and no terminal can post as another one or as a radio receiver.
 * Returns the violations (`[i]` = index in the batch); empty = allowed.
 */
export function postedAsItself(terminal: { terminalId: string; kind: TerminalKind }, observations: readonly Observation[]): { at: string; error: string }[] {
  const out: { at: string; error: string }[] = [];
  observations.forEach((o, i) => {
    if (o.source !== 'terminal') out.push({ at: `[${i}].source`, error: `a terminal posts source "terminal", not "${o.source}"` });
    else if (o.receiverId !== terminal.terminalId)
      out.push({ at: `[${i}].receiverId`, error: `terminal "${terminal.terminalId}" cannot post as "${o.receiverId}"` });
    else if (o.terminal === undefined) out.push({ at: `[${i}].terminal`, error: 'missing the terminal detection' });
    else if (o.terminal.kind !== terminal.kind)
      out.push({ at: `[${i}].terminal.kind`, error: `terminal "${terminal.terminalId}" is a ${terminal.kind}, not a ${o.terminal.kind}` });
  });
  return out;
}

/**
 * Config -> credentials: `terminals` maps a terminal id to the environment variable holding its
 * token (secrets stay out of config files). Throws, naming the terminal or variable, when a terminal
 * is not one of this gateway's or its token is unset: the source then reports unavailable rather
 * than running open.
 */
export function terminalCredentials(
  terminalEnv: Readonly<Record<string, string>> | undefined,
  gatewayTerminals: readonly { id: string; kind: TerminalKind }[],
  env: NodeJS.ProcessEnv,
): TerminalCredential[] {
  const out: TerminalCredential[] = [];
  for (const [terminalId, envName] of Object.entries(terminalEnv ?? {})) {
    const t = gatewayTerminals.find((x) => x.id === terminalId);
    if (!t)
      throw new Error(
        `http_observations.terminals: "${terminalId}" is not a terminal of this gateway (known: ${gatewayTerminals.map((x) => x.id).join(', ') || 'none'})`,
      );
    const token = env[envName];
    if (token === undefined || token.length < 16)
      throw new Error(`http_observations.terminals.${terminalId}: environment variable ${envName} is unset or shorter than 16 characters`);
    out.push({ terminalId, kind: t.kind, token });
  }
  return out;
}
