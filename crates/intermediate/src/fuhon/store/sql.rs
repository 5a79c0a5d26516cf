//! The SQL both engines run, written once with `?N` parameters (?1 tenant, ?2 kind or session,
//! …); PostgreSQL gets it with `$N` ([`pg`]). Engine-specific statements stay in the engines.

/// PostgreSQL's spelling of SQL written with `?N` parameters.
pub(crate) fn pg(sql: &str) -> String {
    sql.replace('?', "$")
}

pub(crate) const SQL_TENANT_NUMBERS: &str = "SELECT n.tenant, n.insurer_number FROM insurer_numbers n
    WHERE n.tenant = (SELECT tenant FROM insurer_numbers WHERE insurer_number = ?1) ORDER BY n.insurer_number";

pub(crate) const SQL_LATEST: &str = "SELECT version, session, mode, digest, as_of, committed_at, records, added, changed, deleted, unchanged, kind
    FROM fuhon_versions WHERE tenant = ?1 AND kind = ?2 ORDER BY version DESC LIMIT 1";

pub(crate) const SQL_VERSIONS: &str = "SELECT version, session, mode, digest, as_of, committed_at, records, added, changed, deleted, unchanged, kind
    FROM fuhon_versions WHERE tenant = ?1 AND kind = ?2 ORDER BY version DESC";

pub(crate) const SQL_VERSION_AS_OF: &str = "SELECT version, session, mode, digest, as_of, committed_at, records, added, changed, deleted, unchanged, kind
    FROM fuhon_versions WHERE tenant = ?1 AND kind = ?2 AND as_of <= ?3 ORDER BY version DESC LIMIT 1";

pub(crate) const SQL_INSERT_VERSION: &str = "INSERT INTO fuhon_versions
    (tenant, kind, version, session, mode, digest, as_of, committed_at, records, added, changed, deleted, unchanged)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

pub(crate) const SQL_SESSION: &str =
    "SELECT session, kind, mode, digest, insurer_number, file_name, header, as_of, state
    FROM fuhon_sessions WHERE tenant = ?1 AND session = ?2";

pub(crate) const SQL_INSERT_SESSION: &str = "INSERT INTO fuhon_sessions
    (tenant, session, kind, mode, digest, insurer_number, file_name, header, as_of, state, created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open', ?10)";

pub(crate) const SQL_STALE_SESSIONS: &str =
    "SELECT session FROM fuhon_sessions WHERE tenant = ?1 AND state = 'open' AND created_at < ?2";

pub(crate) const SQL_DELETE_STAGING: &str =
    "DELETE FROM fuhon_staging WHERE tenant = ?1 AND session = ?2";
pub(crate) const SQL_DELETE_CHUNKS: &str =
    "DELETE FROM fuhon_chunks WHERE tenant = ?1 AND session = ?2";
pub(crate) const SQL_DELETE_SESSION: &str =
    "DELETE FROM fuhon_sessions WHERE tenant = ?1 AND session = ?2";

pub(crate) const SQL_CHUNK_ERRORS: &str =
    "SELECT error_list FROM fuhon_chunks WHERE tenant = ?1 AND session = ?2 AND seq = ?3";

pub(crate) const SQL_INSERT_CHUNK: &str =
    "INSERT INTO fuhon_chunks (tenant, session, seq, rows, errors, error_list) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

pub(crate) const SQL_CHUNK_TOTALS: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(rows), 0) AS BIGINT), CAST(COALESCE(SUM(errors), 0) AS BIGINT)
    FROM fuhon_chunks WHERE tenant = ?1 AND session = ?2";

pub(crate) const SQL_ALL_CHUNK_ERRORS: &str =
    "SELECT error_list FROM fuhon_chunks WHERE tenant = ?1 AND session = ?2 AND errors > 0 ORDER BY seq";

pub(crate) const SQL_DUPLICATES: &str = "SELECT line, key, insured FROM fuhon_staging
    WHERE tenant = ?1 AND session = ?2 AND key IN (
        SELECT key FROM fuhon_staging WHERE tenant = ?1 AND session = ?2 GROUP BY key HAVING COUNT(*) > 1)
    ORDER BY key, line";

pub(crate) const SQL_FULL_CLOSE: &str = "UPDATE fuhon_records SET to_version = ?4
    WHERE tenant = ?1 AND kind = ?2 AND to_version IS NULL AND NOT EXISTS (
        SELECT 1 FROM fuhon_staging s WHERE s.tenant = ?1 AND s.session = ?3
            AND s.key = fuhon_records.key AND s.fields = fuhon_records.fields)";

pub(crate) const SQL_FULL_INSERT: &str = "INSERT INTO fuhon_records (tenant, kind, key, from_version, to_version, insured, branch, fields)
    SELECT CAST(?1 AS TEXT), CAST(?2 AS TEXT), s.key, CAST(?4 AS BIGINT), NULL, s.insured, s.branch, s.fields
    FROM fuhon_staging s WHERE s.tenant = ?1 AND s.session = ?3 AND NOT EXISTS (
        SELECT 1 FROM fuhon_records r WHERE r.tenant = ?1 AND r.kind = ?2 AND r.key = s.key AND r.to_version IS NULL)";

pub(crate) const SQL_FULL_CHANGED: &str = "SELECT COUNT(*) FROM fuhon_records c
    WHERE c.tenant = ?1 AND c.kind = ?2 AND c.to_version = ?4 AND EXISTS (
        SELECT 1 FROM fuhon_staging s WHERE s.tenant = ?1 AND s.session = ?3 AND s.key = c.key)";

pub(crate) const SQL_STAGED_PAGE: &str =
    "SELECT line, op, key, insured, branch, fields FROM fuhon_staging
    WHERE tenant = ?1 AND session = ?2 AND line > ?3 ORDER BY line LIMIT ?4";

pub(crate) const SQL_MASTER_PAGE: &str =
    "SELECT line, op, key, insured, branch, fields FROM fuhon_staging
    WHERE tenant = ?1 AND session = ?2 AND key > ?3 ORDER BY key LIMIT ?4";

pub(crate) const SQL_CURRENT_PAGE: &str =
    "SELECT key, from_version, insured, branch, fields FROM fuhon_records
    WHERE tenant = ?1 AND kind = ?2 AND to_version IS NULL AND key > ?3 ORDER BY key LIMIT ?4";

pub(crate) const SQL_RECORDS_IN: &str = "SELECT key, from_version, insured, branch, fields FROM fuhon_records
    WHERE tenant = ?1 AND kind = ?2 AND branch = ?3 AND from_version <= ?4 AND (to_version IS NULL OR to_version > ?4)
    ORDER BY key";

pub(crate) const SQL_MARK_DONE: &str =
    "UPDATE fuhon_sessions SET state = 'done', version = ?3 WHERE tenant = ?1 AND session = ?2";
