/**
 * The schema, as one ordered list of migrations shared by both adapters: step i brings a database
 * from version i to i + 1 (SQLite: `PRAGMA user_version`, sqlite/migrations.ts; PostgreSQL: the
 * `schema_migrations` table, postgres/migrate.ts). Released steps are never edited, new changes
 * are appended, each with its SQLite and its PostgreSQL text.
 *
 * SQLite: money columns are INTEGER minor units with a typeof() check, so a float can never slip in.
 * PostgreSQL: money is BIGINT (an integer by type; the driver reads it as a JS number), flags are
 * BOOLEAN, text compares byte-wise (COLLATE "C", as SQLite's BINARY), case-insensitive columns
 * have unique indexes on lower(...), and timestamps are the same ISO-8601 TEXT as in SQLite.
 * Foreign keys guard configuration (stations, charge points, tariffs, connectors, wallet owners);
 * history (sessions, meter values, the message log, commands) keeps a plain charge point id so it
 * outlives a deleted charger and high-volume inserts skip the parent lookup.
 */

export interface MigrationStep {
  /** What the step does, recorded in PostgreSQL's schema_migrations. */
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly MigrationStep[] = [
  {
    name: 'initial schema',
    sqlite: `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
    -- OCPP idTag is a CiString20: compared case-insensitively.
    id_tag TEXT UNIQUE COLLATE NOCASE,
    blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX users_role ON users (role);

  CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    latitude REAL,
    longitude REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE tariffs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    price_per_kwh INTEGER NOT NULL CHECK (typeof(price_per_kwh) = 'integer' AND price_per_kwh >= 0),
    price_per_minute INTEGER NOT NULL DEFAULT 0 CHECK (typeof(price_per_minute) = 'integer' AND price_per_minute >= 0),
    session_fee INTEGER NOT NULL DEFAULT 0 CHECK (typeof(session_fee) = 'integer' AND session_fee >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE charge_points (
    id TEXT PRIMARY KEY,
    station_id INTEGER REFERENCES stations (id),
    tariff_id INTEGER REFERENCES tariffs (id),
    vendor TEXT,
    model TEXT,
    serial_number TEXT,
    firmware_version TEXT,
    registration_status TEXT NOT NULL DEFAULT 'Unknown',
    lenient INTEGER NOT NULL DEFAULT 0 CHECK (lenient IN (0, 1)),
    auth_key_hash TEXT,
    online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),
    last_seen_at TEXT,
    last_boot_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX charge_points_station ON charge_points (station_id);
  CREATE INDEX charge_points_tariff ON charge_points (tariff_id);

  CREATE TABLE connectors (
    charge_point_id TEXT NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT NOT NULL,
    info TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (charge_point_id, connector_id)
  ) WITHOUT ROWID;

  -- id is the OCPP transactionId. A retried StartTransaction hits the start key and gets the same id.
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    customer_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    id_tag TEXT NOT NULL,
    tariff_id INTEGER REFERENCES tariffs (id) ON DELETE SET NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed')),
    meter_start INTEGER NOT NULL,
    meter_last INTEGER NOT NULL,
    meter_stop INTEGER,
    energy_wh INTEGER NOT NULL DEFAULT 0,
    power_w REAL NOT NULL DEFAULT 0,
    cost_minor INTEGER NOT NULL DEFAULT 0 CHECK (typeof(cost_minor) = 'integer'),
    currency TEXT NOT NULL,
    started_at TEXT NOT NULL,
    stopped_at TEXT,
    last_meter_at TEXT,
    stop_reason TEXT,
    CONSTRAINT sessions_start_key UNIQUE (charge_point_id, connector_id, id_tag, started_at, meter_start)
  );
  CREATE INDEX sessions_customer ON sessions (customer_id, status);
  CREATE INDEX sessions_status ON sessions (status);
  CREATE INDEX sessions_started ON sessions (started_at);
  CREATE INDEX sessions_active_connector ON sessions (charge_point_id, connector_id) WHERE status = 'active';

  CREATE TABLE meter_values (
    id INTEGER PRIMARY KEY,
    session_id INTEGER,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    measurand TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    phase TEXT,
    context TEXT
  );
  CREATE INDEX meter_values_session ON meter_values (session_id, timestamp) WHERE session_id IS NOT NULL;

  -- The balance is SUM(amount_minor); charges are negative. The partial unique index makes the
  -- debit for a session happen exactly once, whatever the broker redelivers.
  CREATE TABLE wallet_entries (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_minor INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer'),
    kind TEXT NOT NULL CHECK (kind IN ('topup', 'charge', 'adjustment')),
    session_id INTEGER REFERENCES sessions (id),
    note TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX wallet_entries_customer ON wallet_entries (customer_id);
  CREATE INDEX wallet_entries_kind_created ON wallet_entries (kind, created_at);
  CREATE UNIQUE INDEX wallet_entries_charge_once ON wallet_entries (session_id) WHERE kind = 'charge';

  CREATE TABLE ocpp_messages (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    message_type INTEGER NOT NULL,
    action TEXT,
    message_id TEXT,
    payload TEXT,
    latency_ms REAL,
    created_at TEXT NOT NULL
  );
  -- Serves newest-first paging, the afterId cursor and pruning (rowid is the index's last column).
  CREATE INDEX ocpp_messages_charge_point ON ocpp_messages (charge_point_id);

  CREATE TABLE commands (
    id TEXT PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    action TEXT NOT NULL,
    request TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'answered', 'error', 'timeout', 'offline')),
    response TEXT,
    requested_by TEXT,
    created_at TEXT NOT NULL,
    answered_at TEXT
  );
  CREATE INDEX commands_charge_point ON commands (charge_point_id, created_at);

  CREATE TABLE processed_events (
    event_id TEXT PRIMARY KEY,
    processed_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX processed_events_at ON processed_events (processed_at);
  `,
    postgres: `
  -- Text compares byte by byte (COLLATE "C"), as SQLite's BINARY does; columns SQLite compares with
  -- NOCASE get a unique index on lower(...) and are queried with lower(): "C" lower() folds ASCII
  -- only, exactly like NOCASE. Timestamps stay the ISO-8601 TEXT the domain passes, so they sort
  -- and compare exactly as in SQLite. Money and meter readings are BIGINT (integer minor units / Wh).
  CREATE TABLE users (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    email TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL CHECK (role IN ('customer', 'admin')),
    id_tag TEXT COLLATE "C",
    blocked BOOLEAN NOT NULL DEFAULT false,
    password_hash TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX users_email_key ON users (lower(email));
  CREATE UNIQUE INDEX users_id_tag_key ON users (lower(id_tag));
  CREATE INDEX users_role ON users (role);

  CREATE TABLE stations (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL DEFAULT '',
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
  );

  CREATE TABLE tariffs (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    currency TEXT COLLATE "C" NOT NULL,
    price_per_kwh BIGINT NOT NULL CHECK (price_per_kwh >= 0),
    price_per_minute BIGINT NOT NULL DEFAULT 0 CHECK (price_per_minute >= 0),
    session_fee BIGINT NOT NULL DEFAULT 0 CHECK (session_fee >= 0),
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
  );

  CREATE TABLE charge_points (
    id TEXT COLLATE "C" PRIMARY KEY,
    station_id BIGINT REFERENCES stations (id),
    tariff_id BIGINT REFERENCES tariffs (id),
    vendor TEXT,
    model TEXT,
    serial_number TEXT,
    firmware_version TEXT,
    registration_status TEXT COLLATE "C" NOT NULL DEFAULT 'Unknown',
    lenient BOOLEAN NOT NULL DEFAULT false,
    auth_key_hash TEXT,
    online BOOLEAN NOT NULL DEFAULT false,
    last_seen_at TEXT COLLATE "C",
    last_boot_at TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX charge_points_station ON charge_points (station_id);
  CREATE INDEX charge_points_tariff ON charge_points (tariff_id);

  CREATE TABLE connectors (
    charge_point_id TEXT COLLATE "C" NOT NULL REFERENCES charge_points (id) ON DELETE CASCADE,
    connector_id INTEGER NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    error_code TEXT COLLATE "C" NOT NULL,
    info TEXT,
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (charge_point_id, connector_id)
  );

  CREATE TABLE sessions (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    charge_point_id TEXT COLLATE "C" NOT NULL,
    connector_id INTEGER NOT NULL,
    customer_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    id_tag TEXT COLLATE "C" NOT NULL,
    tariff_id BIGINT REFERENCES tariffs (id) ON DELETE SET NULL,
    status TEXT COLLATE "C" NOT NULL CONSTRAINT sessions_status_check CHECK (status IN ('active', 'completed')),
    meter_start BIGINT NOT NULL,
    meter_last BIGINT NOT NULL,
    meter_stop BIGINT,
    energy_wh BIGINT NOT NULL DEFAULT 0,
    power_w DOUBLE PRECISION NOT NULL DEFAULT 0,
    cost_minor BIGINT NOT NULL DEFAULT 0,
    currency TEXT COLLATE "C" NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    stopped_at TEXT COLLATE "C",
    last_meter_at TEXT COLLATE "C",
    stop_reason TEXT COLLATE "C",
    CONSTRAINT sessions_start_key UNIQUE (charge_point_id, connector_id, id_tag, started_at, meter_start)
  );
  CREATE INDEX sessions_customer ON sessions (customer_id, status);
  CREATE INDEX sessions_status ON sessions (status);
  CREATE INDEX sessions_started ON sessions (started_at);
  CREATE INDEX sessions_active_connector ON sessions (charge_point_id, connector_id) WHERE status = 'active';

  CREATE TABLE meter_values (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    session_id BIGINT,
    charge_point_id TEXT COLLATE "C" NOT NULL,
    connector_id INTEGER NOT NULL,
    timestamp TEXT COLLATE "C" NOT NULL,
    measurand TEXT COLLATE "C" NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT COLLATE "C" NOT NULL,
    phase TEXT COLLATE "C",
    context TEXT COLLATE "C"
  );
  CREATE INDEX meter_values_session ON meter_values (session_id, timestamp) WHERE session_id IS NOT NULL;

  CREATE TABLE wallet_entries (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_minor BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL CONSTRAINT wallet_entries_kind_check CHECK (kind IN ('topup', 'charge', 'adjustment')),
    session_id BIGINT REFERENCES sessions (id),
    note TEXT,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX wallet_entries_customer ON wallet_entries (customer_id);
  CREATE INDEX wallet_entries_kind_created ON wallet_entries (kind, created_at);
  CREATE UNIQUE INDEX wallet_entries_charge_once ON wallet_entries (session_id) WHERE kind = 'charge';

  CREATE TABLE ocpp_messages (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    charge_point_id TEXT COLLATE "C" NOT NULL,
    direction TEXT COLLATE "C" NOT NULL CHECK (direction IN ('in', 'out')),
    message_type INTEGER NOT NULL,
    action TEXT COLLATE "C",
    message_id TEXT COLLATE "C",
    payload TEXT,
    latency_ms DOUBLE PRECISION,
    created_at TEXT COLLATE "C" NOT NULL
  );
  -- Newest-first paging, the afterId cursor and pruning walk (charge_point_id, id).
  CREATE INDEX ocpp_messages_charge_point ON ocpp_messages (charge_point_id, id);

  -- seq stands in for SQLite's rowid: the order rows were written in, to break created_at ties.
  CREATE TABLE commands (
    id TEXT COLLATE "C" PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    charge_point_id TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    request TEXT,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'answered', 'error', 'timeout', 'offline')),
    response TEXT,
    requested_by TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    answered_at TEXT COLLATE "C"
  );
  CREATE INDEX commands_charge_point ON commands (charge_point_id, created_at, seq);

  CREATE TABLE processed_events (
    event_id TEXT COLLATE "C" PRIMARY KEY,
    processed_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX processed_events_at ON processed_events (processed_at);

  -- changeCounter(): the sum of change_counts. The first statement of a transaction that changes a
  -- row of any table adds 1 to its backend's row (statement triggers with transition tables, so a
  -- statement that touches no row adds nothing). Transactional: readers see the count move only
  -- when the change commits, so a counter read before the data is never newer than the data (the
  -- API's ETags rely on it). One row per backend: writers never wait on each other for it.
  CREATE TABLE change_counts (
    pid INTEGER PRIMARY KEY,
    n BIGINT NOT NULL
  );
  CREATE FUNCTION count_changes() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    -- Transaction-local flag, per schema: set once counted; a rolled-back savepoint unsets it with the count.
    flag text := 'csms.counted_' || md5(TG_TABLE_SCHEMA);
  BEGIN
    IF current_setting(flag, true) IS DISTINCT FROM 'y' AND EXISTS (SELECT 1 FROM changed) THEN
      PERFORM set_config(flag, 'y', true);
      -- Schema-qualified: a writer whose search_path differs still counts in this schema.
      EXECUTE format('INSERT INTO %I.change_counts AS c (pid, n) VALUES (pg_backend_pid(), 1)
        ON CONFLICT (pid) DO UPDATE SET n = c.n + 1', TG_TABLE_SCHEMA);
    END IF;
    RETURN NULL;
  END
  $fn$;
  -- Transition tables allow one event per trigger: three triggers per table.
  CREATE FUNCTION track_changes(tbl regclass) RETURNS void LANGUAGE plpgsql AS $fn$
  BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION count_changes()', 'count_inserts', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION count_changes()', 'count_updates', tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION count_changes()', 'count_deletes', tbl);
  END
  $fn$;
  SELECT track_changes(t::regclass) FROM unnest(ARRAY['users', 'stations', 'tariffs', 'charge_points', 'connectors', 'sessions',
    'meter_values', 'wallet_entries', 'ocpp_messages', 'commands', 'processed_events']) AS t;
`,
  },
  // 2: several nodes on one broker: where each charger is connected, and the durable outbox.
  {
    name: 'nodes and the outbox',
    sqlite: `
  ALTER TABLE charge_points ADD COLUMN node_id TEXT;

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    node_id TEXT NOT NULL,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX outbox_node ON outbox (node_id, id);
  `,
    postgres: `
  ALTER TABLE charge_points ADD COLUMN node_id TEXT COLLATE "C";

  CREATE TABLE outbox (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    node_id TEXT COLLATE "C" NOT NULL,
    exchange TEXT COLLATE "C" NOT NULL,
    routing_key TEXT COLLATE "C" NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE INDEX outbox_node ON outbox (node_id, id);
  SELECT track_changes('outbox');
`,
  },
  // 3: sessions always end (who closed them and why), refused starts as their own status, the
  // retry key kept as the charger sent it, the embedded broker's journal, node liveness for the
  // outbox, idTag expiry. SQLite cannot change a CHECK in place: sessions is rebuilt (migrate()
  // turns foreign keys off around the migrations and checks them before each commit).
  {
    name: 'session outcomes, the event journal, node liveness',
    sqlite: `
  CREATE TABLE sessions_v3 (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    customer_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    id_tag TEXT NOT NULL,
    tariff_id INTEGER REFERENCES tariffs (id) ON DELETE SET NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'completed', 'refused')),
    meter_start INTEGER NOT NULL CHECK (typeof(meter_start) = 'integer'),
    meter_last INTEGER NOT NULL CHECK (typeof(meter_last) = 'integer'),
    meter_stop INTEGER CHECK (meter_stop IS NULL OR typeof(meter_stop) = 'integer'),
    energy_wh INTEGER NOT NULL DEFAULT 0 CHECK (typeof(energy_wh) = 'integer'),
    power_w REAL NOT NULL DEFAULT 0,
    cost_minor INTEGER NOT NULL DEFAULT 0 CHECK (typeof(cost_minor) = 'integer'),
    currency TEXT NOT NULL,
    started_at TEXT NOT NULL,
    stopped_at TEXT,
    last_meter_at TEXT,
    stop_reason TEXT,
    -- StartTransaction.timestamp (normalised when it parses) and meterStart (0 when unusable) as they
    -- came: the key a retry is found by. Never updated, unlike meter_start.
    start_timestamp TEXT NOT NULL,
    start_meter INTEGER NOT NULL,
    -- When the CSMS received the StartTransaction (its own clock): older closes never touch newer sessions.
    created_at TEXT NOT NULL,
    -- When the CSMS last received a MeterValues of this session.
    last_report_at TEXT,
    -- 1 while meterStart was unusable: the first usable register reading becomes the start.
    meter_start_pending INTEGER NOT NULL DEFAULT 0 CHECK (meter_start_pending IN (0, 1)),
    closed_by TEXT CHECK (closed_by IN ('charger', 'csms', 'admin')),
    close_note TEXT,
    refusal TEXT,
    review TEXT,
    CONSTRAINT sessions_start_key UNIQUE (charge_point_id, connector_id, id_tag, start_timestamp, start_meter)
  );
  INSERT INTO sessions_v3 (id, charge_point_id, connector_id, customer_id, id_tag, tariff_id, status, meter_start,
    meter_last, meter_stop, energy_wh, power_w, cost_minor, currency, started_at, stopped_at, last_meter_at,
    stop_reason, start_timestamp, start_meter, created_at, closed_by, refusal)
  SELECT id, charge_point_id, connector_id, customer_id, id_tag, tariff_id,
    CASE WHEN stop_reason LIKE 'Refused:%' THEN 'refused' ELSE status END,
    CAST(meter_start AS INTEGER), CAST(meter_last AS INTEGER), CAST(meter_stop AS INTEGER), CAST(energy_wh AS INTEGER),
    power_w, cost_minor, currency, started_at, stopped_at, last_meter_at,
    CASE WHEN stop_reason LIKE 'Refused:%' THEN NULL ELSE stop_reason END,
    -- Older versions kept charger times as sent (2099 among them): created_at is never in the future.
    started_at, CAST(meter_start AS INTEGER), MIN(started_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CASE WHEN status = 'completed' AND (stop_reason IS NULL OR stop_reason NOT LIKE 'Refused:%') THEN 'charger' END,
    CASE WHEN stop_reason LIKE 'Refused:%' THEN substr(stop_reason, 9) END
  FROM sessions;
  DROP TABLE sessions;
  ALTER TABLE sessions_v3 RENAME TO sessions;
  CREATE INDEX sessions_customer ON sessions (customer_id, status);
  CREATE INDEX sessions_status ON sessions (status);
  CREATE INDEX sessions_started ON sessions (started_at);
  CREATE INDEX sessions_active_connector ON sessions (charge_point_id, connector_id) WHERE status = 'active';

  -- The embedded broker's journal: every accepted event until the processor has committed it.
  CREATE TABLE event_journal (
    seq INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Set when the event is dead-lettered (kept for an admin to replay).
    dead_error TEXT,
    created_at TEXT NOT NULL
  );

  -- CSMS nodes sharing this database and when each last said it is alive (epoch ms): the outbox
  -- rows of a node that stopped saying so are relayed by the others, or by its successor.
  CREATE TABLE nodes (
    node_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    alive_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  ALTER TABLE users ADD COLUMN id_tag_expires_at TEXT;
  `,
    postgres: `
  -- PostgreSQL changes the CHECK and adds the columns in place (no rebuild); the data is converted
  -- as in SQLite. UPDATE reads the old values on every right-hand side, like SQLite's INSERT … SELECT.
  ALTER TABLE sessions DROP CONSTRAINT sessions_status_check,
    ADD COLUMN start_timestamp TEXT COLLATE "C",
    ADD COLUMN start_meter BIGINT,
    ADD COLUMN created_at TEXT COLLATE "C",
    ADD COLUMN last_report_at TEXT COLLATE "C",
    ADD COLUMN meter_start_pending BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN closed_by TEXT COLLATE "C" CHECK (closed_by IN ('charger', 'csms', 'admin')),
    ADD COLUMN close_note TEXT,
    ADD COLUMN refusal TEXT COLLATE "C",
    ADD COLUMN review TEXT;
  UPDATE sessions SET
    status = CASE WHEN stop_reason LIKE 'Refused:%' THEN 'refused' ELSE status END,
    stop_reason = CASE WHEN stop_reason LIKE 'Refused:%' THEN NULL ELSE stop_reason END,
    start_timestamp = started_at,
    start_meter = meter_start,
    created_at = LEAST(started_at, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
    closed_by = CASE WHEN status = 'completed' AND (stop_reason IS NULL OR stop_reason NOT LIKE 'Refused:%') THEN 'charger' END,
    refusal = CASE WHEN stop_reason LIKE 'Refused:%' THEN substr(stop_reason, 9) END;
  ALTER TABLE sessions
    ALTER COLUMN start_timestamp SET NOT NULL,
    ALTER COLUMN start_meter SET NOT NULL,
    ALTER COLUMN created_at SET NOT NULL,
    ADD CONSTRAINT sessions_status_check CHECK (status IN ('active', 'completed', 'refused')),
    DROP CONSTRAINT sessions_start_key,
    ADD CONSTRAINT sessions_start_key UNIQUE (charge_point_id, connector_id, id_tag, start_timestamp, start_meter);

  CREATE TABLE event_journal (
    seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    dead_error TEXT,
    created_at TEXT COLLATE "C" NOT NULL
  );

  CREATE TABLE nodes (
    node_id TEXT COLLATE "C" PRIMARY KEY,
    started_at TEXT COLLATE "C" NOT NULL,
    alive_at BIGINT NOT NULL
  );

  ALTER TABLE users ADD COLUMN id_tag_expires_at TEXT COLLATE "C";
  SELECT track_changes(t::regclass) FROM unnest(ARRAY['event_journal', 'nodes']) AS t;
`,
  },
  {
    name: 'tariff snapshots and wallet holds',
    sqlite: `
  -- The prices a session is billed with, copied from its tariff when it starts: a later change of
  -- the tariff does not rewrite history. tariff_name NULL: no tariff, the session is free.
  ALTER TABLE sessions ADD COLUMN tariff_name TEXT;
  ALTER TABLE sessions ADD COLUMN price_per_kwh INTEGER CHECK (price_per_kwh IS NULL OR typeof(price_per_kwh) = 'integer');
  ALTER TABLE sessions ADD COLUMN price_per_minute INTEGER CHECK (price_per_minute IS NULL OR typeof(price_per_minute) = 'integer');
  ALTER TABLE sessions ADD COLUMN session_fee INTEGER CHECK (session_fee IS NULL OR typeof(session_fee) = 'integer');
  -- Earlier sessions were billed with their tariff's prices as they are now: the best record there is.
  UPDATE sessions SET tariff_name = t.name, price_per_kwh = t.price_per_kwh, price_per_minute = t.price_per_minute,
    session_fee = t.session_fee
  FROM tariffs AS t WHERE t.id = sessions.tariff_id;
  -- A charge point without a tariff now charges nothing. Earlier versions billed such points with the
  -- lowest-id tariff; they keep it, so an upgrade changes no price (an admin can set them free).
  UPDATE charge_points SET tariff_id = (SELECT MIN(id) FROM tariffs) WHERE tariff_id IS NULL;

  -- What a running session has reserved of its customer's wallet, from its start until its stop
  -- releases it (once: released_at is set once). Other sessions of the customer may only spend what
  -- is left beyond it. stop_requested_at: when the CSMS last asked the charger to stop because the
  -- balance was used up.
  CREATE TABLE wallet_holds (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_minor INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer' AND amount_minor >= 0),
    created_at TEXT NOT NULL,
    released_at TEXT,
    stop_requested_at TEXT
  );
  CREATE INDEX wallet_holds_open ON wallet_holds (customer_id) WHERE released_at IS NULL;
  `,
    postgres: `
  ALTER TABLE sessions
    ADD COLUMN tariff_name TEXT,
    ADD COLUMN price_per_kwh BIGINT,
    ADD COLUMN price_per_minute BIGINT,
    ADD COLUMN session_fee BIGINT;
  UPDATE sessions SET tariff_name = t.name, price_per_kwh = t.price_per_kwh, price_per_minute = t.price_per_minute,
    session_fee = t.session_fee
  FROM tariffs AS t WHERE t.id = sessions.tariff_id;
  UPDATE charge_points SET tariff_id = (SELECT MIN(id) FROM tariffs) WHERE tariff_id IS NULL;

  CREATE TABLE wallet_holds (
    session_id BIGINT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    created_at TEXT COLLATE "C" NOT NULL,
    released_at TEXT COLLATE "C",
    stop_requested_at TEXT COLLATE "C"
  );
  CREATE INDEX wallet_holds_open ON wallet_holds (customer_id) WHERE released_at IS NULL;
  SELECT track_changes('wallet_holds');
`,
  },
  // 5: several cards per customer, each blockable, with its own expiry and how many transactions it
  // may run at once (fleet cards), and a limit per customer. users.id_tag stays as the primary card
  // (every primary is also a card here, so one primary key keeps idTags unique over all accounts);
  // its expiry moves to the card.
  {
    name: 'cards (id_tags)',
    sqlite: `
  CREATE TABLE id_tags (
    -- OCPP IdToken, a CiString20: compared case-insensitively.
    id_tag TEXT PRIMARY KEY COLLATE NOCASE,
    customer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT,
    blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    expires_at TEXT,
    max_concurrent INTEGER NOT NULL DEFAULT 1 CHECK (typeof(max_concurrent) = 'integer' AND max_concurrent >= 1),
    created_at TEXT NOT NULL
  );
  CREATE INDEX id_tags_customer ON id_tags (customer_id, created_at);
  INSERT INTO id_tags (id_tag, customer_id, expires_at, created_at)
  SELECT id_tag, id, id_tag_expires_at, created_at FROM users WHERE id_tag IS NOT NULL;
  ALTER TABLE users DROP COLUMN id_tag_expires_at;
  ALTER TABLE users ADD COLUMN max_concurrent_sessions INTEGER NOT NULL DEFAULT 1
    CHECK (typeof(max_concurrent_sessions) = 'integer' AND max_concurrent_sessions >= 1);
  `,
    postgres: `
  -- The idTag is unique in any case (lower(), as SQLite's NOCASE primary key); seq stands in for
  -- SQLite's rowid (creation order among cards created in the same millisecond).
  CREATE TABLE id_tags (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id_tag TEXT COLLATE "C" NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT,
    blocked BOOLEAN NOT NULL DEFAULT false,
    expires_at TEXT COLLATE "C",
    max_concurrent INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent >= 1),
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX id_tags_id_tag_key ON id_tags (lower(id_tag));
  CREATE INDEX id_tags_customer ON id_tags (customer_id, created_at, seq);
  INSERT INTO id_tags (id_tag, customer_id, expires_at, created_at)
  SELECT id_tag, id, id_tag_expires_at, created_at FROM users WHERE id_tag IS NOT NULL ORDER BY id;
  ALTER TABLE users DROP COLUMN id_tag_expires_at,
    ADD COLUMN max_concurrent_sessions INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent_sessions >= 1);
  SELECT track_changes('id_tags');
`,
  },
  // 6: top-ups: admins' credits, debits and refunds with who made them, and payments from a
  // provider, credited once per payment id by the unique index on external_id. SQLite cannot change
  // the kind CHECK in place: wallet_entries is rebuilt (ids kept).
  {
    name: 'wallet top-ups',
    sqlite: `
  CREATE TABLE wallet_entries_v6 (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_minor INTEGER NOT NULL CHECK (typeof(amount_minor) = 'integer'),
    kind TEXT NOT NULL CHECK (kind IN ('topup', 'charge', 'adjustment', 'credit', 'debit', 'refund')),
    session_id INTEGER REFERENCES sessions (id),
    note TEXT,
    created_at TEXT NOT NULL,
    -- The payment provider's reference of a paid top-up ('provider:paymentId').
    external_id TEXT,
    -- Who made a hand-made entry (an admin's email).
    actor TEXT
  );
  INSERT INTO wallet_entries_v6 (id, customer_id, amount_minor, kind, session_id, note, created_at)
  SELECT id, customer_id, amount_minor, kind, session_id, note, created_at FROM wallet_entries;
  DROP TABLE wallet_entries;
  ALTER TABLE wallet_entries_v6 RENAME TO wallet_entries;
  CREATE INDEX wallet_entries_customer ON wallet_entries (customer_id);
  CREATE INDEX wallet_entries_kind_created ON wallet_entries (kind, created_at);
  CREATE UNIQUE INDEX wallet_entries_charge_once ON wallet_entries (session_id) WHERE kind = 'charge';
  CREATE UNIQUE INDEX wallet_entries_external_once ON wallet_entries (external_id) WHERE external_id IS NOT NULL;
  `,
    postgres: `
  -- PostgreSQL changes the kind CHECK in place: no rebuild.
  ALTER TABLE wallet_entries DROP CONSTRAINT wallet_entries_kind_check,
    ADD CONSTRAINT wallet_entries_kind_check CHECK (kind IN ('topup', 'charge', 'adjustment', 'credit', 'debit', 'refund')),
    ADD COLUMN external_id TEXT COLLATE "C",
    ADD COLUMN actor TEXT;
  CREATE UNIQUE INDEX wallet_entries_external_once ON wallet_entries (external_id) WHERE external_id IS NOT NULL;
`,
  },
  // 7: sessions that were running when the CSMS was upgraded to holds get one of 0 (their reservation
  // is then their cost so far), so they too are stopped when the balance is used up. One billed in
  // another currency than the network's is flagged for an admin.
  {
    name: 'holds for sessions running at the upgrade',
    sqlite: `
  INSERT INTO wallet_holds (session_id, customer_id, amount_minor, created_at)
  SELECT id, customer_id, 0, created_at FROM sessions
  WHERE status = 'active' AND customer_id IS NOT NULL AND tariff_name IS NOT NULL
  ON CONFLICT DO NOTHING;
  `,
    postgres: `
  INSERT INTO wallet_holds (session_id, customer_id, amount_minor, created_at)
  SELECT id, customer_id, 0, created_at FROM sessions
  WHERE status = 'active' AND customer_id IS NOT NULL AND tariff_name IS NOT NULL
  ON CONFLICT DO NOTHING;
`,
  },
  // 8: when the node holding a charger connected it: a slow write of an older connection must not
  // overwrite a newer one on another node (and the older node's clear then leave none).
  {
    name: 'charge point node since',
    sqlite: `
  ALTER TABLE charge_points ADD COLUMN node_since INTEGER;
  `,
    postgres: `
  ALTER TABLE charge_points ADD COLUMN node_since BIGINT;
`,
  },
  // 9: reservations (ReserveNow). The id is the OCPP reservationId. The partial unique indexes keep
  // one active reservation per connector and one per customer, whichever node books.
  {
    name: 'reservations',
    sqlite: `
  CREATE TABLE reservations (
    id INTEGER PRIMARY KEY,
    charge_point_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id_tag TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'used', 'cancelled', 'expired', 'refused')),
    fee_minor INTEGER NOT NULL DEFAULT 0 CHECK (typeof(fee_minor) = 'integer' AND fee_minor >= 0),
    note TEXT,
    session_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX reservations_connector_active ON reservations (charge_point_id, connector_id) WHERE status = 'active';
  CREATE UNIQUE INDEX reservations_customer_active ON reservations (customer_id) WHERE status = 'active';
  CREATE INDEX reservations_due ON reservations (expires_at) WHERE status = 'active';
  CREATE INDEX reservations_customer ON reservations (customer_id, id);
  CREATE INDEX reservations_point ON reservations (charge_point_id, id);
  `,
    postgres: `
  CREATE TABLE reservations (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    charge_point_id TEXT COLLATE "C" NOT NULL,
    connector_id INTEGER NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id_tag TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('active', 'used', 'cancelled', 'expired', 'refused')),
    fee_minor BIGINT NOT NULL DEFAULT 0 CHECK (fee_minor >= 0),
    note TEXT,
    session_id BIGINT,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX reservations_connector_active ON reservations (charge_point_id, connector_id) WHERE status = 'active';
  CREATE UNIQUE INDEX reservations_customer_active ON reservations (customer_id) WHERE status = 'active';
  CREATE INDEX reservations_due ON reservations (expires_at) WHERE status = 'active';
  CREATE INDEX reservations_customer ON reservations (customer_id, id);
  CREATE INDEX reservations_point ON reservations (charge_point_id, id);
  SELECT track_changes('reservations');
`,
  },
  // 10: firmware images admins upload, and the firmware and diagnostics jobs sent to chargers with
  // the states their FirmwareStatusNotification / DiagnosticsStatusNotification report (E2 §4.4, §4.5).
  {
    name: 'firmware files and device jobs',
    sqlite: `
  CREATE TABLE firmware_files (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE device_jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('firmware', 'diagnostics')),
    charge_point_id TEXT NOT NULL,
    firmware_id TEXT,
    rollout_id TEXT,
    location TEXT NOT NULL,
    token TEXT UNIQUE,
    status TEXT NOT NULL,
    outcome TEXT CHECK (outcome IN ('done', 'failed')),
    detail TEXT,
    target_version TEXT,
    retrieve_date TEXT,
    file_name TEXT,
    file_bytes INTEGER,
    downloads INTEGER NOT NULL DEFAULT 0,
    command_id TEXT,
    requested_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
  );
  CREATE INDEX device_jobs_charge_point ON device_jobs (charge_point_id, kind, created_at);
  CREATE INDEX device_jobs_rollout ON device_jobs (rollout_id) WHERE rollout_id IS NOT NULL;
  `,
    postgres: `
  CREATE TABLE firmware_files (
    id TEXT COLLATE "C" PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    name TEXT NOT NULL,
    version TEXT COLLATE "C" NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL,
    uploaded_by TEXT,
    created_at TEXT COLLATE "C" NOT NULL
  );
  CREATE TABLE device_jobs (
    id TEXT COLLATE "C" PRIMARY KEY,
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('firmware', 'diagnostics')),
    charge_point_id TEXT COLLATE "C" NOT NULL,
    firmware_id TEXT COLLATE "C",
    rollout_id TEXT COLLATE "C",
    location TEXT NOT NULL,
    token TEXT COLLATE "C" UNIQUE,
    status TEXT COLLATE "C" NOT NULL,
    outcome TEXT COLLATE "C" CHECK (outcome IN ('done', 'failed')),
    detail TEXT,
    target_version TEXT COLLATE "C",
    retrieve_date TEXT COLLATE "C",
    file_name TEXT,
    file_bytes BIGINT,
    downloads INTEGER NOT NULL DEFAULT 0,
    command_id TEXT COLLATE "C",
    requested_by TEXT,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    finished_at TEXT COLLATE "C"
  );
  CREATE INDEX device_jobs_charge_point ON device_jobs (charge_point_id, kind, created_at, seq);
  CREATE INDEX device_jobs_rollout ON device_jobs (rollout_id) WHERE rollout_id IS NOT NULL;
`,
  },
  // 11: smart charging. A station's grid limit and the least a session gets of it, a charge point's
  // priority when the limit is divided, the charging profiles each charger accepted (E2 §3.13), and
  // how many profiles each charger did not confirm.
  {
    name: 'smart charging and load management',
    sqlite: `
  ALTER TABLE stations ADD COLUMN grid_limit_w INTEGER CHECK (grid_limit_w IS NULL OR (typeof(grid_limit_w) = 'integer' AND grid_limit_w > 0));
  ALTER TABLE stations ADD COLUMN min_per_session_w INTEGER CHECK (min_per_session_w IS NULL OR (typeof(min_per_session_w) = 'integer' AND min_per_session_w >= 0));
  ALTER TABLE charge_points ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (typeof(priority) = 'integer');

  CREATE TABLE charging_profiles (
    charge_point_id TEXT NOT NULL,
    charging_profile_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    stack_level INTEGER NOT NULL,
    transaction_id INTEGER,
    -- The csChargingProfiles as sent (JSON).
    profile TEXT NOT NULL,
    requested_by TEXT,
    installed_at TEXT NOT NULL,
    PRIMARY KEY (charge_point_id, charging_profile_id)
  ) WITHOUT ROWID;
  CREATE INDEX charging_profiles_slot ON charging_profiles (charge_point_id, connector_id, purpose, stack_level);

  CREATE TABLE charging_profile_unconfirmed (
    charge_point_id TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    last_status TEXT NOT NULL,
    last_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
    postgres: `
  ALTER TABLE stations ADD COLUMN grid_limit_w BIGINT CHECK (grid_limit_w > 0),
    ADD COLUMN min_per_session_w BIGINT CHECK (min_per_session_w >= 0);
  ALTER TABLE charge_points ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

  CREATE TABLE charging_profiles (
    charge_point_id TEXT COLLATE "C" NOT NULL,
    charging_profile_id BIGINT NOT NULL,
    connector_id INTEGER NOT NULL,
    purpose TEXT COLLATE "C" NOT NULL,
    stack_level INTEGER NOT NULL,
    transaction_id BIGINT,
    profile TEXT NOT NULL,
    requested_by TEXT,
    installed_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (charge_point_id, charging_profile_id)
  );
  CREATE INDEX charging_profiles_slot ON charging_profiles (charge_point_id, connector_id, purpose, stack_level);

  CREATE TABLE charging_profile_unconfirmed (
    charge_point_id TEXT COLLATE "C" PRIMARY KEY,
    count BIGINT NOT NULL,
    last_status TEXT COLLATE "C" NOT NULL,
    last_at TEXT COLLATE "C" NOT NULL
  );
  SELECT track_changes(t::regclass) FROM unnest(ARRAY['charging_profiles', 'charging_profile_unconfirmed']) AS t;
`,
  },
  // 12: each charger's Local Authorization List as it confirmed it: the version and the entries.
  {
    name: 'local authorization lists',
    sqlite: `
  CREATE TABLE local_lists (
    charge_point_id TEXT PRIMARY KEY REFERENCES charge_points (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    entries TEXT NOT NULL,
    reported_version INTEGER,
    status TEXT NOT NULL CHECK (status IN ('synced', 'failed', 'unsupported')),
    detail TEXT,
    updated_at TEXT NOT NULL
  );
  `,
    postgres: `
  CREATE TABLE local_lists (
    charge_point_id TEXT COLLATE "C" PRIMARY KEY REFERENCES charge_points (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    entries TEXT NOT NULL,
    reported_version INTEGER,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('synced', 'failed', 'unsupported')),
    detail TEXT,
    updated_at TEXT COLLATE "C" NOT NULL
  );
  SELECT track_changes('local_lists');
`,
  },
  // 13: step 10 left firmware_files and device_jobs out of PostgreSQL's change counter, so the
  // ETags of the firmware and job lists stayed the same while jobs moved (304 with stale data).
  // SQLite counts every table's changes already.
  {
    name: 'firmware and device jobs count as changes',
    sqlite: `
  SELECT 1;
  `,
    postgres: `
  SELECT track_changes(t::regclass) FROM unnest(ARRAY['firmware_files', 'device_jobs']) AS t;
`,
  },
  // 14: a charger holds at most LocalAuthListMaxLength entries; the wanted cards left off its list.
  {
    name: 'local lists record the cards left off',
    sqlite: `
  ALTER TABLE local_lists ADD COLUMN omitted INTEGER NOT NULL DEFAULT 0;
  `,
    postgres: `
  ALTER TABLE local_lists ADD COLUMN omitted INTEGER NOT NULL DEFAULT 0;
`,
  },
];
