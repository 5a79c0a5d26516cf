//! The 副本 tables, beside the intermediate server's other tables in the same database:
//! upload sessions with their staged rows, versions per (tenant, kind), and records that each
//! live from one version until another ends them (`from_version`, `to_version`), so every
//! version stays readable. Two engines with the same behaviour, tested by one suite.
//!
//! The SQL is written once ([`sql`]), and so is the commit ([`commit`]): the engines supply
//! the reads and writes inside their transaction.

mod commit;
mod postgres;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, RowError, UploadMode, VersionInfo};

use super::delta::{Current, Staged};
use super::drift::Keyed;
use crate::store::Store;

pub(crate) use postgres::PG_MIGRATION;
pub(crate) use sqlite::SQLITE_MIGRATION;

/// Rows read or written per step of a commit or a drift page.
pub const STEP_ROWS: usize = 10_000;

/// An upload session as opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub kind: FuhonKind,
    pub mode: UploadMode,
    pub digest: String,
    pub insurer_number: String,
    pub file_name: String,
    pub header: Vec<String>,
    /// 基準日 (ISO).
    pub as_of: String,
    pub state: SessionState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Open,
    /// Committed as a version, or (a check) validated.
    Done,
}

/// What [`FuhonStore::start`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    Open,
    /// The current version came from this very file.
    Already(VersionInfo),
    /// The 基準日 is before the current version's.
    AsOfBeforeLatest(String),
}

/// What became of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    Version(VersionInfo),
    /// A check session validated; the current version it will be compared with.
    Checked(Option<VersionInfo>),
    /// Nothing changed.
    Refused {
        errors: Vec<RowError>,
        total: u64,
    },
    /// Not every chunk arrived.
    Incomplete {
        chunks: u32,
        rows: u64,
    },
    /// The session is unknown or already done.
    NotOpen,
}

/// One page of a drift check: the compared rows of both sides, and where the next starts.
#[derive(Debug, Clone)]
pub struct DriftInput {
    pub version: Option<u64>,
    pub master: Vec<Staged>,
    pub fuhon: Vec<Keyed>,
    pub next: Option<String>,
}

pub enum FuhonStore {
    Sqlite(sqlite::SqliteFuhon, Hook),
    Postgres(postgres::PgFuhon, Hook),
}

/// Test hook: the commit fails (and rolls back) after writing this many rows.
#[derive(Clone, Default)]
pub struct Hook(Arc<AtomicU64>);

impl Hook {
    fn limit(&self) -> u64 {
        match self.0.load(Ordering::Relaxed) {
            0 => u64::MAX,
            n => n,
        }
    }

    fn check(&self, written: u64) -> Result<(), StoreError> {
        if written >= self.limit() {
            return Err(StoreError::Io(std::io::Error::other(
                "副本の反映中に障害が発生しました（試験用の模擬障害）",
            )));
        }
        Ok(())
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident, $h:ident => $call:expr) => {
        match $self {
            FuhonStore::Sqlite($s, $h) => $call,
            FuhonStore::Postgres($s, $h) => $call,
        }
    };
}

impl FuhonStore {
    /// The 副本 tables of the intermediate server's store (same database, same migrations).
    pub fn new(store: &Store) -> FuhonStore {
        match store {
            Store::Sqlite(s) => FuhonStore::Sqlite(
                sqlite::SqliteFuhon::new(s.engine().clone()),
                Hook::default(),
            ),
            Store::Postgres(s) => {
                FuhonStore::Postgres(postgres::PgFuhon::new(s.engine().clone()), Hook::default())
            }
        }
    }

    /// Makes the next commits fail after writing `rows` rows, as a crash would (tests only).
    #[doc(hidden)]
    pub fn simulate_crash_after(&self, rows: u64) {
        dispatch!(self, _s, h => h.0.store(rows, Ordering::Relaxed))
    }

    /// Opens `session` unless the current version came from the same file (same digest and
    /// mode; never for a check). Sessions left open for a day are dropped first.
    pub async fn start(&self, tenant: &str, session: &Session) -> Result<Started, StoreError> {
        dispatch!(self, s, _h => s.start(tenant, session).await)
    }

    /// The tenant holding `insurer_number` and all its 保険者番号.
    pub async fn tenant_numbers(
        &self,
        insurer_number: &str,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        dispatch!(self, s, _h => s.tenant_numbers(insurer_number).await)
    }

    pub async fn session(&self, tenant: &str, id: &str) -> Result<Option<Session>, StoreError> {
        dispatch!(self, s, _h => s.session(tenant, id).await)
    }

    /// The 被保険者枝番 of each of `insured` that is a subscriber of `tenant`.
    pub async fn branches(
        &self,
        tenant: &str,
        insured: Vec<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        dispatch!(self, s, _h => s.branches(tenant, insured).await)
    }

    /// Stages chunk `seq` (its valid rows and the bad rows' errors) unless it was staged
    /// before; returns the chunk's errors either way.
    pub async fn stage(
        &self,
        tenant: &str,
        session: &str,
        seq: u32,
        rows: Vec<Staged>,
        errors: Vec<RowError>,
    ) -> Result<Vec<RowError>, StoreError> {
        dispatch!(self, s, _h => s.stage(tenant, session, seq, rows, errors).await)
    }

    /// Commits an open session in one transaction.
    pub async fn commit(
        &self,
        tenant: &str,
        session: &Session,
        chunks: u32,
        rows: u64,
    ) -> Result<Committed, StoreError> {
        dispatch!(self, s, h => s.commit(tenant, session, chunks, rows, h.clone()).await)
    }

    /// Drops a session's staged rows.
    pub async fn discard(&self, tenant: &str, session: &str) -> Result<(), StoreError> {
        dispatch!(self, s, _h => s.discard(tenant, session).await)
    }

    /// The rows of one drift page after `after` (keys are unique on both sides).
    pub async fn drift_input(
        &self,
        tenant: &str,
        session: &Session,
        after: &str,
    ) -> Result<DriftInput, StoreError> {
        dispatch!(self, s, _h => s.drift_input(tenant, session, after).await)
    }

    /// Versions of the tenant's 副本 of `kind`, newest first.
    pub async fn versions(
        &self,
        tenant: &str,
        kind: FuhonKind,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        dispatch!(self, s, _h => s.versions(tenant, kind).await)
    }

    /// The version answering as of `as_of` (ISO): the newest whose 基準日 is not after it.
    pub async fn version_as_of(
        &self,
        tenant: &str,
        kind: FuhonKind,
        as_of: &str,
    ) -> Result<Option<VersionInfo>, StoreError> {
        dispatch!(self, s, _h => s.version_as_of(tenant, kind, as_of).await)
    }

    /// The records of subscriber `branch` in `version` (key order).
    pub async fn records_in(
        &self,
        tenant: &str,
        kind: FuhonKind,
        branch: &str,
        version: u64,
    ) -> Result<Vec<Keyed>, StoreError> {
        dispatch!(self, s, _h => s.records_in(tenant, kind, branch, version).await)
    }
}

pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Sessions idle this long are dropped when the tenant next starts one.
pub(crate) fn stale_before() -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(crate) fn kind_from(code: &str) -> Result<FuhonKind, StoreError> {
    FuhonKind::ALL
        .into_iter()
        .find(|k| k.code() == code)
        .ok_or_else(|| corrupt("副本の種類"))
}

pub(crate) fn mode_from(code: &str) -> Result<UploadMode, StoreError> {
    UploadMode::parse(code).ok_or_else(|| corrupt("副本の登録方法"))
}

pub(crate) fn op_from(code: i64) -> Result<super::record::Op, StoreError> {
    super::record::Op::from_code(code).ok_or_else(|| corrupt("異動区分"))
}

/// A session's stored state: `open` until it is committed or checked.
pub(crate) fn state_from(state: &str) -> SessionState {
    if state == "open" {
        SessionState::Open
    } else {
        SessionState::Done
    }
}

pub(crate) fn header_json(header: &[String]) -> String {
    serde_json::to_string(header).expect("header serializes")
}

pub(crate) fn header_from(json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn errors_json(errors: &[RowError]) -> String {
    serde_json::to_string(errors).expect("errors serialize")
}

pub(crate) fn errors_from(json: &str) -> Result<Vec<RowError>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Current records of each key, as [`super::delta::plan_delta`] wants them.
pub(crate) type CurrentMap = HashMap<String, Option<Current>>;

fn tenant_numbers(rows: Vec<(String, String)>) -> Option<(String, Vec<String>)> {
    let tenant = rows.first()?.0.clone();
    Some((tenant, rows.into_iter().map(|(_, n)| n).collect()))
}

/// The merge bound of a drift page: with a full page on a side, only keys up to its last are
/// complete on both sides.
pub(crate) fn drift_bound(master: &mut Vec<Staged>, fuhon: &mut Vec<Keyed>) -> Option<String> {
    let full = |n: usize| n >= STEP_ROWS;
    let mut bound: Option<String> = None;
    if full(master.len()) {
        bound = master.last().map(|s| s.key.clone());
    }
    if full(fuhon.len()) {
        let last = fuhon.last().map(|f| f.0.clone());
        bound = match (bound, last) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    if let Some(b) = &bound {
        master.retain(|s| s.key <= *b);
        fuhon.retain(|f| f.0 <= *b);
    }
    bound
}
