//! The intermediate server's tables on PostgreSQL, as migrations.

pub(super) const MIGRATIONS: &[&str] = &["
CREATE TABLE tenants (code TEXT PRIMARY KEY, name TEXT NOT NULL, next_branch BIGINT NOT NULL DEFAULT 1);
CREATE TABLE insurer_numbers (insurer_number TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(code));
CREATE TABLE subscribers (
    tenant TEXT NOT NULL, branch TEXT NOT NULL, person_key BYTEA NOT NULL, number_sealed BYTEA NOT NULL,
    fugo TEXT NOT NULL, insurer_number TEXT NOT NULL, insured_number TEXT NOT NULL, name TEXT NOT NULL,
    kana TEXT NOT NULL, birth TEXT NOT NULL, sex BIGINT NOT NULL, address TEXT NOT NULL, acquired TEXT NOT NULL,
    lost TEXT, verified TEXT NOT NULL, source_job TEXT NOT NULL, source_line BIGINT NOT NULL,
    version BIGINT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, branch)
);
CREATE UNIQUE INDEX subscribers_person ON subscribers (tenant, person_key);
CREATE UNIQUE INDEX subscribers_insured ON subscribers (tenant, insured_number);
CREATE TABLE subscriber_history (
    tenant TEXT NOT NULL, branch TEXT NOT NULL, version BIGINT NOT NULL, change_type BIGINT NOT NULL,
    insurer_number TEXT NOT NULL, insured_number TEXT NOT NULL, name TEXT NOT NULL, kana TEXT NOT NULL,
    birth TEXT NOT NULL, sex BIGINT NOT NULL, address TEXT NOT NULL, acquired TEXT NOT NULL, lost TEXT,
    job_id TEXT NOT NULL, line BIGINT NOT NULL, recorded_at TEXT NOT NULL,
    PRIMARY KEY (tenant, branch, version)
);
CREATE TABLE reg_jobs (
    tenant TEXT NOT NULL, job_id TEXT NOT NULL, insurer_number TEXT NOT NULL, file_name TEXT NOT NULL,
    header TEXT NOT NULL, chunk_rows BIGINT NOT NULL, created_at TEXT NOT NULL, finished_at TEXT,
    total_rows BIGINT,
    PRIMARY KEY (tenant, job_id)
);
CREATE TABLE reg_chunks (
    tenant TEXT NOT NULL, job_id TEXT NOT NULL, seq BIGINT NOT NULL, rows BIGINT NOT NULL,
    registered BIGINT NOT NULL, held BIGINT NOT NULL, results TEXT NOT NULL,
    PRIMARY KEY (tenant, job_id, seq)
);
",
    crate::inquiry::store::MIGRATION,
    crate::fuhon::store::PG_MIGRATION,
    renkei_ledger::party::POSTGRES,
    // Version 5: the current version of each 資格 history lives in `subscribers` (see
    // crate::store::sqlite::schema::CURRENT_VERSION_IN_SUBSCRIBERS).
    "
ALTER TABLE subscribers ADD COLUMN change_type BIGINT NOT NULL DEFAULT 1, ADD COLUMN version_job TEXT,
    ADD COLUMN version_line BIGINT, ADD COLUMN version_at TEXT;
UPDATE subscribers s SET change_type = h.change_type,
    version_job = CASE WHEN h.job_id = s.source_job AND h.line = s.source_line THEN NULL ELSE h.job_id END,
    version_line = CASE WHEN h.job_id = s.source_job AND h.line = s.source_line THEN NULL ELSE h.line END,
    version_at = NULLIF(h.recorded_at, s.updated_at)
FROM subscriber_history h WHERE h.tenant = s.tenant AND h.branch = s.branch AND h.version = s.version;
DELETE FROM subscriber_history h USING subscribers s
WHERE s.tenant = h.tenant AND s.branch = h.branch AND s.version = h.version;
",
];
