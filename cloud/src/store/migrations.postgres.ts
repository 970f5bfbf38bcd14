import { SEED_RULES_V4 } from './migrations.sqlite.js';

/**
 * Schema migrations of the PostgreSQL store, applied in order, each in its own transaction;
 * `schema_migrations` records the versions that ran. Append only: never edit a shipped migration.
 *
 * Events are range-partitioned by event time `at` (ms) into monthly partitions created on demand
 * (store.postgres.events.ts). A partitioned table's unique keys must contain the partition key, so
 * the idempotency key "one event per id" lives in `event_ids` (unpartitioned, primary key `id`),
 * claimed in the same statement that inserts the event.
 */
const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export const PG_MIGRATIONS: readonly string[] = [
  // 1: the whole schema as SQLite has it at its migration 8, in PostgreSQL types.
  `
  CREATE TABLE event_ids (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE TABLE events (
    id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    store_id TEXT,
    member_id TEXT,
    body JSONB NOT NULL,
    PRIMARY KEY (id, at)
  ) PARTITION BY RANGE (at);
  -- Listing (newest first, by site), analytics (site, type, range) and member activity.
  CREATE INDEX events_at ON events (at DESC);
  CREATE INDEX events_site_at ON events (site_id, at DESC);
  CREATE INDEX events_site_type_at ON events (site_id, type, at);
  CREATE INDEX events_member_type_at ON events (member_id, type, at) WHERE member_id IS NOT NULL;

  CREATE TABLE members (
    member_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    nickname TEXT,
    tier TEXT NOT NULL,
    tags JSONB NOT NULL,
    consent BOOLEAN NOT NULL,
    consent_marketing BOOLEAN NOT NULL DEFAULT false,
    preferences JSONB NOT NULL DEFAULT '{}',
    devices JSONB NOT NULL DEFAULT '[]',
    token_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX members_tier ON members (tier, member_id);

  CREATE TABLE alerts (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    event_at BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL DEFAULT '',
    member_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    handled_by TEXT,
    body JSONB NOT NULL
  );
  CREATE INDEX alerts_cooldown ON alerts (member_id, site_id, store_id, event_type, event_at DESC);
  CREATE INDEX alerts_site_store_seq ON alerts (site_id, store_id, seq);

  CREATE TABLE staff (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    site_id TEXT,
    store_ids JSONB NOT NULL,
    password_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  -- Only SHA-256 hashes of tokens are stored: a copy of the database does not log anyone in.
  CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    username TEXT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    site_id TEXT,
    store_ids JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    created_by TEXT
  );
  CREATE INDEX auth_tokens_expiry ON auth_tokens (expires_at) WHERE expires_at IS NOT NULL;
  CREATE INDEX auth_tokens_user ON auth_tokens (username) WHERE username IS NOT NULL;

  CREATE TABLE rules (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    enabled BOOLEAN NOT NULL,
    body JSONB NOT NULL,
    updated_at BIGINT NOT NULL
  );
  ${SEED_RULES_V4.map((r, i) => `INSERT INTO rules (id, position, enabled, body, updated_at) VALUES (${sqlText(r.id)}, ${i}, true, ${sqlText(JSON.stringify(r))}, 0);`).join('\n  ')}

  CREATE TABLE offers (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    rule_id TEXT,
    member_id TEXT,
    subject TEXT,
    site_id TEXT NOT NULL,
    store_id TEXT,
    day TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    event_id TEXT NOT NULL,
    delivered_at BIGINT,
    redeemed_at BIGINT,
    redeemed_event_id TEXT,
    amount DOUBLE PRECISION,
    currency TEXT
  );
  -- One offer per triggering event, rule and kind: a replayed event cannot issue twice. NULLs stay
  -- distinct, as in SQLite: offers written without a rule are not deduplicated (contract suite).
  CREATE UNIQUE INDEX offers_event_rule_kind ON offers (event_id, rule_id, kind);
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
    next_attempt_at BIGINT NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX offer_deliveries_due ON offer_deliveries (next_attempt_at) WHERE status = 'pending';

  CREATE TABLE gateways (
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    provisioned_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, gateway_id)
  );
  CREATE TABLE gateway_status (
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    conn_state TEXT,
    conn_at BIGINT,
    conn_version TEXT,
    conn_received_at BIGINT,
    health TEXT,
    health_received_at BIGINT,
    PRIMARY KEY (site_id, gateway_id)
  );
  CREATE TABLE gaps (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL,
    from_seq BIGINT NOT NULL,
    to_seq BIGINT NOT NULL,
    from_at BIGINT NOT NULL,
    to_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL
  );
  CREATE INDEX gaps_gateway_at ON gaps (site_id, gateway_id, at DESC);
  CREATE INDEX gaps_received ON gaps (received_at DESC);

  CREATE TABLE occupancy_minutes (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    start BIGINT NOT NULL,
    gateway_id TEXT NOT NULL,
    occupancy DOUBLE PRECISION NOT NULL,
    addresses INTEGER NOT NULL,
    fixed INTEGER NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, store_id, start)
  );
  CREATE TABLE occupancy_hours (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    start BIGINT NOT NULL,
    gateway_id TEXT NOT NULL,
    unique_visitors INTEGER NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, store_id, start)
  );
  `,
  // 2 (decisions 100, 101): an alert once per (event, rule) by constraint (NULL rule: distinct, as
  // in SQLite); alert seqs from a counter row locked by the inserting transaction, so seqs commit
  // in order (an identity column hands them out at insert and lets a later one commit first);
  // delivery leases, so a worker owns what it sends.
  `
  ALTER TABLE alerts ADD COLUMN rule_id TEXT;
  CREATE UNIQUE INDEX alerts_event_rule ON alerts (event_id, rule_id);
  ALTER TABLE alerts ALTER COLUMN seq DROP IDENTITY;
  CREATE TABLE alert_seq (one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one), last BIGINT NOT NULL);
  INSERT INTO alert_seq (one, last) SELECT true, coalesce(max(seq), 0) FROM alerts;
  ALTER TABLE offer_deliveries ADD COLUMN lease_owner TEXT;
  ALTER TABLE offer_deliveries ADD COLUMN lease_until BIGINT;
  `,
  // 3 (decision 130): the fleet, as SQLite migration 10.
  `
  CREATE TABLE gateway_fleet (
    site_id TEXT NOT NULL,
    gateway_id TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    enrolled_at BIGINT,
    revoked_at BIGINT,
    code_hash TEXT UNIQUE,
    code_expires_at BIGINT,
    config_version INTEGER,
    config_sha256 TEXT,
    config_body JSONB,
    config_overrides JSONB,
    config_published_at BIGINT,
    result_version INTEGER,
    result_status TEXT,
    result_reasons JSONB,
    result_at BIGINT,
    PRIMARY KEY (site_id, gateway_id)
  );
  `,
  // 4 (decision 120): hourly analytics rollups and row counters (store.postgres.rollups.ts); the
  // events stored before are rolled up at the next start (`rollup_state`).
  `
  CREATE TABLE rollup_hours (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    floor INTEGER NOT NULL,
    hour BIGINT NOT NULL,
    events BIGINT NOT NULL DEFAULT 0,
    approaches BIGINT NOT NULL DEFAULT 0,
    arrivals BIGINT NOT NULL DEFAULT 0,
    dwell_events BIGINT NOT NULL DEFAULT 0,
    dwell_ends BIGINT NOT NULL DEFAULT 0,
    dwell_ms_sum BIGINT NOT NULL DEFAULT 0,
    dwell_b0 BIGINT NOT NULL DEFAULT 0,
    dwell_b1 BIGINT NOT NULL DEFAULT 0,
    dwell_b2 BIGINT NOT NULL DEFAULT 0,
    dwell_b3 BIGINT NOT NULL DEFAULT 0,
    dwell_b4 BIGINT NOT NULL DEFAULT 0,
    dwell_b5 BIGINT NOT NULL DEFAULT 0,
    floor_changes BIGINT NOT NULL DEFAULT 0,
    purchases BIGINT NOT NULL DEFAULT 0,
    purchase_amount DOUBLE PRECISION NOT NULL DEFAULT 0,
    exits BIGINT NOT NULL DEFAULT 0,
    approach_visits BIGINT NOT NULL DEFAULT 0,
    arrival_visits BIGINT NOT NULL DEFAULT 0,
    dwell_visits BIGINT NOT NULL DEFAULT 0,
    purchase_visits BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, hour, store_id, zone_id, floor)
  );
  CREATE TABLE rollup_visit_hours (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    PRIMARY KEY (site_id, store_id, type, subject_id, visit_id, hour)
  );
  CREATE TABLE rollup_multi_visits (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    hour BIGINT NOT NULL,
    PRIMARY KEY (site_id, hour, store_id, type, subject_id, visit_id)
  );
  CREATE TABLE rollup_floor_flows (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    from_floor INTEGER NOT NULL,
    to_floor INTEGER NOT NULL,
    hour BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (site_id, hour, store_id, from_floor, to_floor)
  );
  CREATE TABLE rollup_arrivals (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    subject_id TEXT NOT NULL,
    member_id TEXT
  );
  CREATE INDEX rollup_arrivals_site_at ON rollup_arrivals (site_id, at) INCLUDE (subject_id, member_id);
  CREATE INDEX rollup_arrivals_member ON rollup_arrivals (member_id) WHERE member_id IS NOT NULL;
  CREATE TABLE rollup_dwell_ends (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    dwell_ms BIGINT NOT NULL
  );
  CREATE INDEX rollup_dwell_ends_site_at ON rollup_dwell_ends (site_id, at) INCLUDE (store_id, zone_id, dwell_ms);
  CREATE TABLE rollup_state (id INTEGER PRIMARY KEY CHECK (id = 1), backfilled BOOLEAN NOT NULL);
  INSERT INTO rollup_state (id, backfilled) VALUES (1, false);

  -- Row counters for the health route: events add to one of 16 shards per stored batch (no hot
  -- row between concurrent batches); the others move by trigger, one row at a time.
  CREATE TABLE row_counts (name TEXT NOT NULL, shard INTEGER NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (name, shard));
  INSERT INTO row_counts (name, shard, n) SELECT 'events', s, 0 FROM generate_series(0, 15) s;
  UPDATE row_counts SET n = (SELECT count(*) FROM events) WHERE name = 'events' AND shard = 0;
  INSERT INTO row_counts (name, shard, n) SELECT 'alerts', 0, count(*) FROM alerts;
  INSERT INTO row_counts (name, shard, n) SELECT 'members', 0, count(*) FROM members;
  INSERT INTO row_counts (name, shard, n) SELECT 'offers', 0, count(*) FROM offers;
  CREATE FUNCTION row_counts_bump() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE row_counts SET n = n + (CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END) WHERE name = TG_ARGV[0] AND shard = 0;
    RETURN NULL;
  END $$;
  CREATE TRIGGER row_counts_alerts AFTER INSERT OR DELETE ON alerts FOR EACH ROW EXECUTE FUNCTION row_counts_bump('alerts');
  CREATE TRIGGER row_counts_members AFTER INSERT OR DELETE ON members FOR EACH ROW EXECUTE FUNCTION row_counts_bump('members');
  CREATE TRIGGER row_counts_offers AFTER INSERT OR DELETE ON offers FOR EACH ROW EXECUTE FUNCTION row_counts_bump('offers');
  `,
  // 5 (decision 133): models, as SQLite migration 12.
  `
  CREATE TABLE models (
    version TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    domain JSONB,
    created_at BIGINT NOT NULL,
    body BYTEA NOT NULL
  );
  `,
  // 6 (decision 120): one row per approach/arrival visit with its number of hours, upserted by
  // the batch that adds an hour: its row lock orders two batches adding hours of one visit (the
  // multi-hour detection), in place of per-visit advisory locks that filled the shared lock table.
  `
  CREATE TABLE rollup_visits (
    site_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    visit_id TEXT NOT NULL,
    hours INTEGER NOT NULL,
    PRIMARY KEY (site_id, store_id, type, subject_id, visit_id)
  );
  INSERT INTO rollup_visits (site_id, store_id, type, subject_id, visit_id, hours)
    SELECT site_id, store_id, type, subject_id, visit_id, count(*) FROM rollup_visit_hours WHERE type IN ('approach', 'arrival') GROUP BY 1, 2, 3, 4, 5;
  `,
  // 7 (decision 170): events whose rules have not run yet. Added in the statement that stores them
  // (a statement trigger on events), removed once rules, alerts and offers ran; a sweeper on every
  // node leases the ones left behind by a node that died in between (FOR UPDATE SKIP LOCKED).
  `
  CREATE TABLE events_unprocessed (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_unprocessed_received ON events_unprocessed (received_at);
  CREATE FUNCTION events_unprocessed_add() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO events_unprocessed (id, at, received_at) SELECT id, at, received_at FROM new_events;
    RETURN NULL;
  END $$;
  CREATE TRIGGER events_unprocessed_add AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_unprocessed_add();
  `,
  // 8 (decision 171): alerts by the visit that raised them, so any node follows a visit.
  `
  CREATE INDEX alerts_visit ON alerts (site_id, (body->>'visitId')) WHERE body->>'visitId' IS NOT NULL;
  `,
];
