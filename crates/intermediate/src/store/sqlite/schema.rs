//! SQLite schema of the registration tables: the first migration as it was created, and the
//! later one that slims the subscriber indexes (docs/PERFORMANCE.md, "Session 6").
//!
//! Every registered subscriber adds one entry to each secondary index of `subscribers`, and
//! the person key, 被保険者番号 and 符号 are random, so each entry lands on a random page: a
//! chunk dirties (and writes to the WAL) about as many pages as the indexes hold, up to one
//! per row. Small entries mean fewer pages, so the person key and the 符号 are indexed by an
//! 8-byte prefix (a generated column, so it cannot disagree with the value) without the
//! tenant: entries of ~15 bytes instead of ~50 and ~60. Look-ups filter by the prefix and
//! compare the full value, so keys sharing a prefix stay apart.
//!
//! A prefix index cannot be unique: that a person has one subscriber per tenant is checked
//! through it before each chunk commits ([`VERIFY_ONE_PER_PERSON`]). A BEFORE INSERT trigger
//! doing the same per row cost ~5 µs per registered record, 10 % of the whole registration
//! path (a sub-program per row, and a statement journal for every insert).

/// Schema version 1.
pub(super) const REGISTRATION: &str = "
CREATE TABLE tenants (code TEXT PRIMARY KEY, name TEXT NOT NULL, next_branch INTEGER NOT NULL DEFAULT 1);
CREATE TABLE insurer_numbers (insurer_number TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(code));
CREATE TABLE subscribers (
    tenant TEXT NOT NULL, branch TEXT NOT NULL, person_key BLOB NOT NULL, number_sealed BLOB NOT NULL,
    fugo TEXT NOT NULL, insurer_number TEXT NOT NULL, insured_number TEXT NOT NULL, name TEXT NOT NULL,
    kana TEXT NOT NULL, birth TEXT NOT NULL, sex INTEGER NOT NULL, address TEXT NOT NULL, acquired TEXT NOT NULL,
    lost TEXT, verified TEXT NOT NULL, source_job TEXT NOT NULL, source_line INTEGER NOT NULL,
    version INTEGER NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, branch)
);
CREATE UNIQUE INDEX subscribers_person ON subscribers (tenant, person_key);
CREATE UNIQUE INDEX subscribers_insured ON subscribers (tenant, insured_number);
CREATE TABLE subscriber_history (
    tenant TEXT NOT NULL, branch TEXT NOT NULL, version INTEGER NOT NULL, change_type INTEGER NOT NULL,
    insurer_number TEXT NOT NULL, insured_number TEXT NOT NULL, name TEXT NOT NULL, kana TEXT NOT NULL,
    birth TEXT NOT NULL, sex INTEGER NOT NULL, address TEXT NOT NULL, acquired TEXT NOT NULL, lost TEXT,
    job_id TEXT NOT NULL, line INTEGER NOT NULL, recorded_at TEXT NOT NULL,
    PRIMARY KEY (tenant, branch, version)
);
CREATE TABLE reg_jobs (
    tenant TEXT NOT NULL, job_id TEXT NOT NULL, insurer_number TEXT NOT NULL, file_name TEXT NOT NULL,
    header TEXT NOT NULL, chunk_rows INTEGER NOT NULL, created_at TEXT NOT NULL, finished_at TEXT,
    total_rows INTEGER,
    PRIMARY KEY (tenant, job_id)
);
CREATE TABLE reg_chunks (
    tenant TEXT NOT NULL, job_id TEXT NOT NULL, seq INTEGER NOT NULL, rows INTEGER NOT NULL,
    registered INTEGER NOT NULL, held INTEGER NOT NULL, results TEXT NOT NULL,
    PRIMARY KEY (tenant, job_id, seq)
);
";

/// Schema version 5: the person key and 符号 indexed by prefix (`person_tag`, `fugo_tag`),
/// the 被保険者番号 index led by the number (so a probe compares the tenant only on a match).
/// Existing rows are not copied: the new columns are virtual and the indexes are built from
/// the rows.
pub(super) const SLIM_INDEXES: &str = "
ALTER TABLE subscribers ADD COLUMN person_tag BLOB AS (substr(person_key, 1, 8)) VIRTUAL;
ALTER TABLE subscribers ADD COLUMN fugo_tag TEXT AS (substr(fugo, 1, 8)) VIRTUAL;
DROP INDEX subscribers_person;
DROP INDEX subscribers_insured;
DROP INDEX subscribers_fugo;
CREATE INDEX subscribers_person ON subscribers (person_tag);
CREATE UNIQUE INDEX subscribers_insured ON subscribers (insured_number, tenant);
CREATE INDEX subscribers_fugo ON subscribers (fugo_tag);
";

/// Schema version 6: the current version of each subscriber's 資格 history lives in its
/// `subscribers` row (the change that made it, and its job, line and time where a later
/// registration of the same values moved `source_job`, `source_line` and `updated_at`), so a
/// new subscriber writes one row instead of two; `subscriber_history` keeps the superseded
/// versions. Existing current versions move out of the history here.
pub(super) const CURRENT_VERSION_IN_SUBSCRIBERS: &str = "
ALTER TABLE subscribers ADD COLUMN change_type INTEGER NOT NULL DEFAULT 1;
ALTER TABLE subscribers ADD COLUMN version_job TEXT;
ALTER TABLE subscribers ADD COLUMN version_line INTEGER;
ALTER TABLE subscribers ADD COLUMN version_at TEXT;
UPDATE subscribers SET (change_type, version_job, version_line, version_at) = (
    SELECT h.change_type,
           CASE WHEN h.job_id = subscribers.source_job AND h.line = subscribers.source_line THEN NULL ELSE h.job_id END,
           CASE WHEN h.job_id = subscribers.source_job AND h.line = subscribers.source_line THEN NULL ELSE h.line END,
           NULLIF(h.recorded_at, subscribers.updated_at)
    FROM subscriber_history h
    WHERE h.tenant = subscribers.tenant AND h.branch = subscribers.branch AND h.version = subscribers.version)
WHERE EXISTS (SELECT 1 FROM subscriber_history h
    WHERE h.tenant = subscribers.tenant AND h.branch = subscribers.branch AND h.version = subscribers.version);
DELETE FROM subscriber_history WHERE EXISTS (SELECT 1 FROM subscribers s
    WHERE s.tenant = subscriber_history.tenant AND s.branch = subscriber_history.branch
      AND s.version = subscriber_history.version);
";

/// Copies the stored version of subscriber (`?1` tenant, `?2` 枝番) to the history, before a
/// change supersedes it.
pub(super) const ARCHIVE: &str = "INSERT INTO subscriber_history (tenant, branch, version, change_type,
    insurer_number, insured_number, name, kana, birth, sex, address, acquired, lost, job_id, line, recorded_at)
    SELECT tenant, branch, version, change_type, insurer_number, insured_number, name, kana, birth, sex, address,
           acquired, lost, COALESCE(version_job, source_job), COALESCE(version_line, source_line),
           COALESCE(version_at, updated_at)
    FROM subscribers WHERE tenant = ?1 AND branch = ?2";

/// A subscriber's 資格 history (`?1` tenant, `?2` 枝番): the superseded versions, then the current.
pub(super) const HISTORY: &str =
    "SELECT version, change_type, insured_number, acquired, lost, job_id, line
    FROM subscriber_history WHERE tenant = ?1 AND branch = ?2
    UNION ALL
    SELECT version, change_type, insured_number, acquired, lost, COALESCE(version_job, source_job),
           COALESCE(version_line, source_line)
    FROM subscribers WHERE tenant = ?1 AND branch = ?2
    ORDER BY 1";

/// A subscriber from rowid `?1` on whose person has another subscriber in the same tenant:
/// must find nothing. Subscribers are appended, so a chunk's new rows are those from its
/// first insert's rowid on.
pub(super) const VERIFY_ONE_PER_PERSON: &str = "SELECT n.branch FROM subscribers n
    JOIN subscribers o INDEXED BY subscribers_person
      ON o.person_tag = n.person_tag AND o.rowid <> n.rowid AND o.tenant = n.tenant AND o.person_key = n.person_key
    WHERE n.rowid >= ?1 LIMIT 1";

/// Look-up of a tenant's subscriber by person key (`?1` tenant, `?2` key), through the prefix.
pub(crate) const BY_PERSON: &str = "FROM subscribers INDEXED BY subscribers_person
    WHERE person_tag = substr(?2, 1, 8) AND tenant = ?1 AND person_key = ?2";

/// Look-up of a tenant's subscriber by 符号 (`?1` tenant, `?2` 符号), through the prefix.
pub(crate) const BY_FUGO: &str = "FROM subscribers INDEXED BY subscribers_fugo
    WHERE fugo_tag = substr(?2, 1, 8) AND tenant = ?1 AND fugo = ?2";
