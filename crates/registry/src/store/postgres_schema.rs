//! The registry's tables on PostgreSQL, as migrations.

pub(super) const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE residents (
        number_key        BYTEA PRIMARY KEY,  -- HMAC-SHA256(number_hash, 個人番号)
        number_sealed     BYTEA NOT NULL,     -- AES-256-GCM(seal, 個人番号), bound to number_key
        resident_code     TEXT NOT NULL UNIQUE,
        name              TEXT NOT NULL,
        kana              TEXT NOT NULL,
        birth             DATE NOT NULL,
        sex               SMALLINT NOT NULL,
        address           TEXT NOT NULL,
        municipality_code TEXT NOT NULL,
        removed_on        DATE
    );
",
    "
    ALTER TABLE residents ADD COLUMN removal_reason TEXT;  -- death | emigration (消除の事由)
    CREATE TABLE resident_history (
        id           BIGSERIAL PRIMARY KEY,
        number_key   BYTEA NOT NULL,    -- the resident's look-up key
        kind         TEXT NOT NULL,     -- moved | renamed | removed
        effective_on DATE NOT NULL,
        before       TEXT NOT NULL,
        after        TEXT NOT NULL
    );
    CREATE INDEX resident_history_key ON resident_history (number_key, id);
    CREATE TABLE lookup_log (
        id             BIGSERIAL PRIMARY KEY,
        at             TEXT NOT NULL,     -- RFC 3339, UTC
        caller         TEXT NOT NULL,     -- institution code of the certificate
        on_behalf_of   TEXT NOT NULL,     -- the insurer the look-up was made for
        insurer_number TEXT,
        purpose        TEXT NOT NULL,
        kind           TEXT NOT NULL,     -- number | basic4
        asked          TEXT NOT NULL,     -- keyed hash of the number, or the query items
        candidates     INTEGER NOT NULL
    );
",
    "
    CREATE TABLE reported_changes (   -- 異動の届出, kept so a re-sent 変更ID is not applied twice
        municipality TEXT NOT NULL,     -- the reporter's 全国地方公共団体コード (6 digits)
        change_id    TEXT NOT NULL,     -- the municipality's 変更ID
        number_key   BYTEA NOT NULL,    -- the resident's look-up key
        kind         TEXT NOT NULL,     -- moved | renamed | removed
        effective_on DATE NOT NULL,
        after        TEXT NOT NULL,     -- the new values, as in resident_history
        reported_at  TEXT NOT NULL,     -- RFC 3339, UTC
        PRIMARY KEY (municipality, change_id)
    );
",
];
