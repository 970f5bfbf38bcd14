/**
 * Schema migrations of `cloud.db`, applied in order; `PRAGMA user_version` records how many ran.
 * Append only: never edit a migration that has shipped.
 */
/**
 * The rules seeded by migration 4 (frozen: the built-in rule set as it shipped; `DEFAULT_RULES`
 * may move on, this may not).
 */
export const SEED_RULES_V4 = [
  {
    id: 'member-approach-alert',
    name: 'Member near the store',
    enabled: true,
    eventTypes: ['approach'],
    audience: 'member',
    cooldownMs: 600_000,
    actions: [{ kind: 'staff_alert', message: '{name} ({tier}) is near {store}' }],
  },
  {
    id: 'member-arrival-alert',
    name: 'Member inside the store',
    enabled: true,
    eventTypes: ['arrival'],
    audience: 'member',
    cooldownMs: 600_000,
    actions: [{ kind: 'staff_alert', message: '{name} ({tier}) is now inside {store}' }],
  },
  {
    id: 'welcome-offer',
    name: 'Welcome offer, first arrival of the day',
    enabled: true,
    eventTypes: ['arrival'],
    audience: 'member',
    cooldownMs: 0,
    actions: [{ kind: 'offer', offerKind: 'welcome', validForMs: 14_400_000, perMemberCapPerDay: 1 }],
  },
];
const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export const MIGRATIONS: readonly string[] = [
  // 1: events, members, alerts, offers, gateways
  `
  CREATE TABLE events (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    store_id TEXT,
    member_id TEXT,
    body TEXT NOT NULL
  );
  CREATE INDEX events_at ON events (at DESC);
  CREATE INDEX events_site_at ON events (site_id, at DESC);
  CREATE INDEX events_member_at ON events (member_id, at DESC) WHERE member_id IS NOT NULL;

  CREATE TABLE members (
    member_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tier TEXT NOT NULL,
    tags TEXT NOT NULL,
    consent INTEGER NOT NULL,
    token_key TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    event_at INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL DEFAULT '',
    member_id TEXT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX alerts_cooldown ON alerts (member_id, site_id, store_id, event_type, event_at DESC);

  CREATE TABLE offers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    store_id TEXT,
    day TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    event_id TEXT NOT NULL,
    UNIQUE (member_id, site_id, day, kind)
  );

  CREATE TABLE gateways (
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    provisioned_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, gateway_id)
  );

  CREATE TABLE gateway_status (
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    conn_state TEXT,
    conn_at INTEGER,
    conn_version TEXT,
    conn_received_at INTEGER,
    health TEXT,
    health_received_at INTEGER,
    PRIMARY KEY (site_id, gateway_id)
  );
  `,
  // 2: staff accounts, hashed session/API tokens and socket tickets, alert status (claim/ack)
  `
  ALTER TABLE alerts ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
  ALTER TABLE alerts ADD COLUMN handled_by TEXT;
  CREATE INDEX alerts_site_store_seq ON alerts (site_id, store_id, seq);

  CREATE TABLE staff (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    site_id TEXT,
    store_ids TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- Only SHA-256 hashes of tokens are stored: a copy of the database does not log anyone in.
  CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    username TEXT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    site_id TEXT,
    store_ids TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
  );
  CREATE INDEX auth_tokens_expiry ON auth_tokens (expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 3: analytics reads a site's events of some types over a time range, and offers by issue time
  `
  CREATE INDEX events_site_type_at ON events (site_id, type, at);
  CREATE INDEX offers_site_issued ON offers (site_id, issued_at);
  `,
  // 4: rules as data (edited through /api/v1/rules), seeded with the built-in set when empty
  `
  CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  ${SEED_RULES_V4.map((r, i) => `INSERT INTO rules (id, position, enabled, body, updated_at) SELECT ${sqlText(r.id)}, ${i}, 1, ${sqlText(JSON.stringify(r))}, 0 WHERE NOT EXISTS (SELECT 1 FROM rules WHERE id = ${sqlText(r.id)});`).join('\n  ')}
  `,
  // 5: member profiles (nickname, marketing consent, preferences, devices); offers without the
  // one-per-day unique key (caps > 1 are the rules' business), for prospects too (member_id NULL,
  // subject), with delivery and redemption columns; the durable delivery queue of offers.
  `
  ALTER TABLE members ADD COLUMN nickname TEXT;
  -- Marketing consent started as the one CSV consent flag: members who consented keep offers.
  ALTER TABLE members ADD COLUMN consent_marketing INTEGER NOT NULL DEFAULT 0;
  UPDATE members SET consent_marketing = consent;
  ALTER TABLE members ADD COLUMN preferences TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE members ADD COLUMN devices TEXT NOT NULL DEFAULT '[]';
  CREATE INDEX members_tier ON members (tier, member_id);
  CREATE INDEX events_member_type_at ON events (member_id, type, at) WHERE member_id IS NOT NULL;

  CREATE TABLE offers_v5 (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    rule_id TEXT,
    member_id TEXT,
    subject TEXT,
    site_id TEXT NOT NULL,
    store_id TEXT,
    day TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    event_id TEXT NOT NULL,
    delivered_at INTEGER,
    redeemed_at INTEGER,
    redeemed_event_id TEXT,
    amount REAL,
    currency TEXT,
    -- One offer per triggering event, rule and kind: a replayed event cannot issue twice.
    UNIQUE (event_id, rule_id, kind)
  );
  INSERT INTO offers_v5 (id, kind, member_id, site_id, store_id, day, title, issued_at, expires_at, status, event_id)
    SELECT id, kind, member_id, site_id, store_id, day, kind, issued_at, expires_at, status, event_id FROM offers;
  DROP TABLE offers;
  ALTER TABLE offers_v5 RENAME TO offers;
  CREATE INDEX offers_site_issued ON offers (site_id, issued_at);
  CREATE INDEX offers_member_day ON offers (member_id, site_id, day, kind) WHERE member_id IS NOT NULL;
  CREATE INDEX offers_subject_day ON offers (subject, site_id, day, kind) WHERE subject IS NOT NULL;
  CREATE INDEX offers_store_day ON offers (site_id, store_id, day, kind);
  CREATE INDEX offers_open ON offers (member_id, site_id, expires_at) WHERE status IN ('issued', 'delivered', 'failed');
  CREATE INDEX offers_redeemed_event ON offers (redeemed_event_id) WHERE redeemed_event_id IS NOT NULL;

  CREATE TABLE offer_deliveries (
    offer_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX offer_deliveries_due ON offer_deliveries (next_attempt_at) WHERE status = 'pending';
  `,
  // 6: gap records: events a gateway's outbox dropped undelivered (counts and ranges, stored once by id)
  `
  CREATE TABLE gaps (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL,
    from_seq INTEGER NOT NULL,
    to_seq INTEGER NOT NULL,
    from_at INTEGER NOT NULL,
    to_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX gaps_gateway_at ON gaps (site_id, gateway_id, at DESC);
  CREATE INDEX gaps_received ON gaps (received_at DESC);
  `,
  // 7 (decision 45): WiFi occupancy counts per store minute and hour, counts only (store.sqlite.occupancy.ts).
  `
  CREATE TABLE occupancy_minutes (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    gateway_id TEXT NOT NULL,
    occupancy REAL NOT NULL,
    addresses INTEGER NOT NULL,
    fixed INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, store_id, start)
  ) WITHOUT ROWID;
  CREATE TABLE occupancy_hours (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    gateway_id TEXT NOT NULL,
    unique_visitors INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, store_id, start)
  ) WITHOUT ROWID;
  `,
  // 8 (decision 69): the account that minted an API token; the token never reaches beyond it as it is now.
  `
  ALTER TABLE auth_tokens ADD COLUMN created_by TEXT;
  `,
  // 9 (decisions 100, 101): an alert once per (event, rule) by constraint (alerts stored without a
  // rule keep rule_id NULL and stay distinct); delivery leases, so a worker owns what it sends.
  `
  ALTER TABLE alerts ADD COLUMN rule_id TEXT;
  CREATE UNIQUE INDEX alerts_event_rule ON alerts (event_id, rule_id);
  ALTER TABLE offer_deliveries ADD COLUMN lease_owner TEXT;
  ALTER TABLE offer_deliveries ADD COLUMN lease_until INTEGER;
  `,
  // 10 (decision 130): the fleet: registered gateways, their one-time enrolment code (sha256 only),
  // the config last published on their retained config topic and their last answer to it.
  `
  CREATE TABLE gateway_fleet (
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    enrolled_at INTEGER,
    revoked_at INTEGER,
    code_hash TEXT UNIQUE,
    code_expires_at INTEGER,
    config_version INTEGER,
    config_sha256 TEXT,
    config_body TEXT,
    config_overrides TEXT,
    config_published_at INTEGER,
    result_version INTEGER,
    result_status TEXT,
    result_reasons TEXT,
    result_at INTEGER,
    PRIMARY KEY (site_id, gateway_id)
  );
  `,
  // 11 (decision 120): hourly analytics rollups and row counters, kept in the event's transaction
  // (store.sqlite.rollups.ts); existing events are rolled up at the next open (`rollup_state`).
  `
  CREATE TABLE rollup_hours (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    floor INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    events INTEGER NOT NULL DEFAULT 0,
    approaches INTEGER NOT NULL DEFAULT 0,
    arrivals INTEGER NOT NULL DEFAULT 0,
    dwell_events INTEGER NOT NULL DEFAULT 0,
    dwell_ends INTEGER NOT NULL DEFAULT 0,
    dwell_ms_sum INTEGER NOT NULL DEFAULT 0,
    dwell_b0 INTEGER NOT NULL DEFAULT 0,
    dwell_b1 INTEGER NOT NULL DEFAULT 0,
    dwell_b2 INTEGER NOT NULL DEFAULT 0,
    dwell_b3 INTEGER NOT NULL DEFAULT 0,
    dwell_b4 INTEGER NOT NULL DEFAULT 0,
    dwell_b5 INTEGER NOT NULL DEFAULT 0,
    floor_changes INTEGER NOT NULL DEFAULT 0,
    purchases INTEGER NOT NULL DEFAULT 0,
    purchase_amount REAL NOT NULL DEFAULT 0,
    exits INTEGER NOT NULL DEFAULT 0,
    approach_visits INTEGER NOT NULL DEFAULT 0,
    arrival_visits INTEGER NOT NULL DEFAULT 0,
    dwell_visits INTEGER NOT NULL DEFAULT 0,
    purchase_visits INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, hour, store_id, zone_id, floor)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_visit_hours (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    PRIMARY KEY (site_id, store_id, type, subject_id, visit_id, hour)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_multi_visits (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    PRIMARY KEY (site_id, hour, store_id, type, subject_id, visit_id)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_floor_flows (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    from_floor INTEGER NOT NULL,
    to_floor INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (site_id, hour, store_id, from_floor, to_floor)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_arrivals (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    subject_id TEXT NOT NULL,
    member_id TEXT
  );
  CREATE INDEX rollup_arrivals_site_at ON rollup_arrivals (site_id, at, subject_id, member_id);
  CREATE INDEX rollup_arrivals_member ON rollup_arrivals (member_id) WHERE member_id IS NOT NULL;
  CREATE TABLE rollup_dwell_ends (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    dwell_ms INTEGER NOT NULL
  );
  CREATE INDEX rollup_dwell_ends_site_at ON rollup_dwell_ends (site_id, at, store_id, zone_id, dwell_ms);
  CREATE TABLE rollup_state (id INTEGER PRIMARY KEY CHECK (id = 1), backfilled INTEGER NOT NULL);
  INSERT INTO rollup_state (id, backfilled) VALUES (1, 0);

  CREATE TABLE row_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO row_counts (name, n) SELECT 'events', count(*) FROM events;
  INSERT INTO row_counts (name, n) SELECT 'alerts', count(*) FROM alerts;
  INSERT INTO row_counts (name, n) SELECT 'members', count(*) FROM members;
  INSERT INTO row_counts (name, n) SELECT 'offers', count(*) FROM offers;
  CREATE TRIGGER row_counts_events_ins AFTER INSERT ON events BEGIN UPDATE row_counts SET n = n + 1 WHERE name = 'events'; END;
  CREATE TRIGGER row_counts_events_del AFTER DELETE ON events BEGIN UPDATE row_counts SET n = n - 1 WHERE name = 'events'; END;
  CREATE TRIGGER row_counts_alerts_ins AFTER INSERT ON alerts BEGIN UPDATE row_counts SET n = n + 1 WHERE name = 'alerts'; END;
  CREATE TRIGGER row_counts_alerts_del AFTER DELETE ON alerts BEGIN UPDATE row_counts SET n = n - 1 WHERE name = 'alerts'; END;
  CREATE TRIGGER row_counts_members_ins AFTER INSERT ON members BEGIN UPDATE row_counts SET n = n + 1 WHERE name = 'members'; END;
  CREATE TRIGGER row_counts_members_del AFTER DELETE ON members BEGIN UPDATE row_counts SET n = n - 1 WHERE name = 'members'; END;
  CREATE TRIGGER row_counts_offers_ins AFTER INSERT ON offers BEGIN UPDATE row_counts SET n = n + 1 WHERE name = 'offers'; END;
  CREATE TRIGGER row_counts_offers_del AFTER DELETE ON offers BEGIN UPDATE row_counts SET n = n - 1 WHERE name = 'offers'; END;
  `,
  // 12 (decision 133): models distributed to gateways: the ONNX file, its sha256 and training domain.
  `
  CREATE TABLE models (
    version TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    domain TEXT,
    created_at INTEGER NOT NULL,
    body BLOB NOT NULL
  );
  `,
  // 13 (decision 123): a zone's dwell ends by time, so dwell percentiles read one zone at a time.
  `
  CREATE INDEX rollup_dwell_ends_zone_at ON rollup_dwell_ends (site_id, store_id, zone_id, at, dwell_ms);
  `,
  // 14 (decision 170): events whose rules have not run yet, added by trigger in the event's own
  // transaction and removed once rules, alerts and offers ran; the sweeper re-runs the ones a
  // crash left behind.
  `
  CREATE TABLE events_unprocessed (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX events_unprocessed_received ON events_unprocessed (received_at);
  CREATE TRIGGER events_unprocessed_add AFTER INSERT ON events BEGIN
    INSERT INTO events_unprocessed (id, at, received_at) VALUES (NEW.id, NEW.at, NEW.received_at);
  END;
  `,
  // 15 (decision 171): alerts by the visit that raised them, so any node follows a visit.
  `
  CREATE INDEX alerts_visit ON alerts (site_id, json_extract(body, '$.visitId')) WHERE json_extract(body, '$.visitId') IS NOT NULL;
  `,
];
