import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuthService } from './auth/auth.service.js';
import { passwordWeakness } from './auth/first-operator.js';
import { staffSeedSchema } from './auth/staff.seed.js';
import { systemClock } from './clock.js';
import { createLogger } from './log.js';
import { Metrics } from './metrics.js';
import { loadMasterKey } from './store/key-sealer.js';
import { openSqliteStore } from './store/store.sqlite.js';
import { UsageError } from './usage-error.js';

export const USER_HELP = `storesense-cloud user add: create or update a sign-in account in the cloud's database

Usage: STORESENSE_USER_PASSWORD=… storesense-cloud user add --username U [--role operator|analyst|staff]
                        [--site S] [--store STORE]... [--display-name NAME]

Options:
  --username U        letters, digits, . _ - (1-64)
  --role R            operator (default), analyst or staff (staff need --site and --store)
  --site S            limit the account to one site
  --store STORE       a store of --site the account sees (repeatable; staff only)
  --display-name N    the name shown in the console (default: the username)
  --password P        the password (visible in the process list: prefer STORESENSE_USER_PASSWORD)
  -h, --help          this text

The password comes from --password or STORESENSE_USER_PASSWORD (never a prompt, so it scripts);
weak ones are refused (at least 12 characters, not containing the username, not a common one).
An existing account gets the new password and role, and its sessions are signed out.
Works on the database in STORESENSE_DATA_DIR (default ./data), also while the cloud runs.
`;

/** `storesense-cloud user add …`: writes the account straight into cloud.db (scrypt hash only). */
export async function runUserCommand(argv: readonly string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb === '--help' || verb === '-h' || verb === undefined) {
    process.stdout.write(USER_HELP);
    if (verb === undefined) throw new UsageError('user needs a subcommand: user add --username U …');
    return;
  }
  if (verb !== 'add') throw new UsageError(`unknown user subcommand "${verb}" (expected: add)`);
  const { values } = parseArgs({
    args: [...rest],
    options: {
      username: { type: 'string' },
      role: { type: 'string', default: 'operator' },
      site: { type: 'string' },
      store: { type: 'string', multiple: true, default: [] },
      'display-name': { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USER_HELP);
    return;
  }
  if (!values.username) throw new UsageError('user add needs --username');
  const password = values.password ?? process.env.STORESENSE_USER_PASSWORD;
  if (!password) throw new UsageError('user add needs a password: set STORESENSE_USER_PASSWORD (or --password)');
  const weak = passwordWeakness(password, values.username);
  if (weak) throw new UsageError(`refused: ${weak}`);
  const parsed = staffSeedSchema.safeParse({
    username: values.username,
    password,
    displayName: values['display-name'] ?? values.username,
    role: values.role,
    ...(values.site ? { siteId: values.site } : {}),
    storeIds: values.store,
  });
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.') || 'account'}: ${i.message}`).join('; '));
  }

  const dataDir = resolve(process.env.STORESENSE_DATA_DIR || './data');
  const dbPath = join(dataDir, 'cloud.db');
  const masterKeyHex = process.env.STORESENSE_MASTER_KEY;
  mkdirSync(dataDir, { recursive: true });
  const store = openSqliteStore({ path: dbPath, ...(masterKeyHex ? { masterKey: loadMasterKey({ envValue: masterKeyHex, filePath: `${dbPath}.key` }) } : {}) });
  try {
    const existed = (await store.getStaff(parsed.data.username)) !== undefined;
    const auth = new AuthService({ store, clock: systemClock, logger: createLogger({ destination: process.stderr }), metrics: new Metrics() });
    await auth.seedStaff([parsed.data]);
    process.stdout.write(`${existed ? 'updated' : 'created'} ${parsed.data.role} ${parsed.data.username} in ${dbPath}\n`);
  } finally {
    await store.close();
  }
}
