import { readFileSync } from 'node:fs';
import { isValidId, isValidTag, normaliseTag, parseLegacyBeacon, TAG_RULE, type LegacyCard } from '@storesense/protocol';

export const MEMBER_TIERS = ['basic', 'silver', 'gold', 'platinum'] as const;
export type MemberTier = (typeof MEMBER_TIERS)[number];
export const MEMBER_CSV_COLUMNS = ['memberId', 'name', 'tier', 'tags', 'consent', 'tokenKey'] as const;
/**
 * Optional trailing column: `legacyBeacon` = the member card's static iBeacon as `uuid:major:minor`
 * (empty for members without a card). Files without it keep working.
 */
export const MEMBER_CSV_LEGACY_BEACON_COLUMN = 'legacyBeacon';

/** One demo member; `tokenKey` is the 32-hex secret behind the member's rotating BLE token. */
export interface DemoMember {
  memberId: string;
  name: string;
  tier: MemberTier;
  tags: string[];
  consent: boolean;
  tokenKey: string;
  /** The member card's static iBeacon (legacy mode), when the CSV has one for this member. */
  legacyBeacon?: Omit<LegacyCard, 'memberId'>;
}

/** A rejected row: `line` is 1-based in the file (the header is line 1; 0 = the file itself). */
export interface MemberRowError {
  line: number;
  error: string;
  /** The same problems one by one, each naming its column (`(row)` for the row as a whole). */
  problems?: MemberFieldProblem[];
}

/** One problem of a rejected row: the CSV column (or `(row)`, `(header)`) and what is wrong. */
export interface MemberFieldProblem {
  field: string;
  message: string;
}

export interface MembersCsv {
  members: DemoMember[];
  errors: MemberRowError[];
}

const TOKEN_KEY = /^[0-9a-f]{32}$/;

/**
 * Reads a members CSV (`memberId,name,tier,tags,consent,tokenKey`; tags `;`-separated, consent
 * `yes|no`). Good rows are returned, bad rows are reported per line and skipped; never throws
 * (an unreadable file is an error on line 0).
 * @example const { members, errors } = loadMembersCsv(demoMembersPath);
 */
export function loadMembersCsv(path: string): MembersCsv {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { members: [], errors: [{ line: 0, error: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
  }
  return parseMembersCsv(text);
}

/** Parses members CSV text; see `loadMembersCsv`. */
export function parseMembersCsv(text: string): MembersCsv {
  const { members, errors } = parseMembersCsvReport(text);
  return { members, errors: errors.map(({ line, error }) => ({ line, error })) };
}

/**
 * Like `parseMembersCsv`, with each rejected row's problems also listed one by one under the
 * column they concern (an import report: `{ line: 3, problems: [{ field: 'tier', message }] }`).
 */
export function parseMembersCsvReport(text: string): { members: DemoMember[]; errors: Required<MemberRowError>[] } {
  const members: DemoMember[] = [];
  const errors: Required<MemberRowError>[] = [];
  const rows = splitCsv(text.replace(/^\uFEFF/, ''));
  const header = rows.shift();
  const headerText = header?.fields.join(',');
  const withBeacon = headerText === `${MEMBER_CSV_COLUMNS.join(',')},${MEMBER_CSV_LEGACY_BEACON_COLUMN}`;
  if (header === undefined || (headerText !== MEMBER_CSV_COLUMNS.join(',') && !withBeacon)) {
    const error = `expected header "${MEMBER_CSV_COLUMNS.join(',')}"`;
    errors.push({ line: header?.line ?? 1, error, problems: [{ field: '(header)', message: error }] });
    return { members, errors };
  }
  const seenIds = new Map<string, number>();
  const seenKeys = new Map<string, number>();
  const seenBeacons = new Map<string, number>();
  for (const { line, fields, error } of rows) {
    if (error !== undefined) {
      errors.push({ line, error, problems: [{ field: '(row)', message: error }] });
      continue;
    }
    if (fields.length === 1 && fields[0]!.trim() === '') continue; // blank line
    const parsed = parseRow(fields, withBeacon);
    if (Array.isArray(parsed)) {
      errors.push({ line, error: parsed.map((p) => p.message).join('; '), problems: parsed });
      continue;
    }
    const dupId = seenIds.get(parsed.memberId);
    if (dupId !== undefined) {
      const error = `duplicate memberId "${parsed.memberId}" (first on line ${dupId})`;
      errors.push({ line, error, problems: [{ field: 'memberId', message: error }] });
      continue;
    }
    // Two members with one key would resolve to the same tokens: ambiguous identity.
    const dupKey = seenKeys.get(parsed.tokenKey);
    if (dupKey !== undefined) {
      const error = `tokenKey already used on line ${dupKey}`;
      errors.push({ line, error, problems: [{ field: 'tokenKey', message: error }] });
      continue;
    }
    // One card, two members: the gateway could not tell whose card it heard.
    const beacon = parsed.legacyBeacon ? `${parsed.legacyBeacon.uuid}:${parsed.legacyBeacon.major}:${parsed.legacyBeacon.minor}` : undefined;
    const dupBeacon = beacon === undefined ? undefined : seenBeacons.get(beacon);
    if (dupBeacon !== undefined) {
      const error = `legacyBeacon already used on line ${dupBeacon}`;
      errors.push({ line, error, problems: [{ field: MEMBER_CSV_LEGACY_BEACON_COLUMN, message: error }] });
      continue;
    }
    if (beacon !== undefined) seenBeacons.set(beacon, line);
    seenIds.set(parsed.memberId, line);
    seenKeys.set(parsed.tokenKey, line);
    members.push(parsed);
  }
  return { members, errors };
}

function parseRow(fields: string[], withBeacon: boolean): DemoMember | MemberFieldProblem[] {
  const width = MEMBER_CSV_COLUMNS.length + (withBeacon ? 1 : 0);
  if (fields.length !== width) return [{ field: '(row)', message: `expected ${width} columns, got ${fields.length}` }];
  const [memberId, name, tier, tags, consent, tokenKey, beaconText = ''] = fields.map((f) => f.trim()) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  const problems: MemberFieldProblem[] = [];
  const bad = (field: string, message: string): void => void problems.push({ field, message });
  if (!isValidId(memberId)) bad('memberId', `memberId "${memberId}" is not a valid id (1-64 letters, digits, "-", "_")`);
  if (name === '') bad('name', 'name is empty');
  else if (name.length > 120) bad('name', 'name is longer than 120 characters');
  if (!(MEMBER_TIERS as readonly string[]).includes(tier)) bad('tier', `tier "${tier}" is not one of ${MEMBER_TIERS.join('|')}`);
  const tagList = tags === '' ? [] : tags.split(';').map(normaliseTag);
  const badTag = tagList.find((t) => !isValidTag(t));
  if (badTag !== undefined) bad('tags', `tag "${badTag.slice(0, 60)}" is not a tag (${TAG_RULE})`);
  if (consent !== 'yes' && consent !== 'no') bad('consent', `consent "${consent}" is not yes|no`);
  // Never echo a key (architecture §7: no secrets in logs); say what is wrong with it instead.
  const key = tokenKey.toLowerCase();
  if (!TOKEN_KEY.test(key))
    bad('tokenKey', `tokenKey must be 32 hex characters (got ${tokenKey.length} characters${/^[0-9a-fA-F]*$/.test(tokenKey) ? '' : ', not all hex'})`);
  const legacyBeacon = beaconText === '' ? undefined : parseLegacyBeacon(beaconText);
  if (beaconText !== '' && legacyBeacon === undefined)
    bad(MEMBER_CSV_LEGACY_BEACON_COLUMN, `legacyBeacon "${beaconText.slice(0, 60)}" is not uuid:major:minor (major and minor 0-65535)`);
  if (problems.length > 0) return problems;
  return { memberId, name, tier: tier as MemberTier, tags: tagList, consent: consent === 'yes', tokenKey: key, ...(legacyBeacon ? { legacyBeacon } : {}) };
}

interface CsvRow {
  line: number;
  fields: string[];
  error?: string;
}

/** RFC 4180 rows: quoted fields may hold commas, doubled quotes and newlines; CRLF or LF. */
function splitCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let error: string | undefined;
    let quoted = false;
    for (;;) {
      if (i >= text.length) {
        if (quoted) error = 'unterminated quoted field';
        fields.push(field);
        break;
      }
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          i++;
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
      } else if (c === '"' && field === '') {
        quoted = true;
        i++;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        i++;
      } else if (c === '\n' || c === '\r') {
        fields.push(field);
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      } else {
        field += c;
        i++;
      }
    }
    rows.push(error === undefined ? { line: start, fields } : { line: start, fields, error });
  }
  return rows;
}
