//! The intermediate server's own tables: tenants and their 保険者番号, subscribers with their
//! 資格 history (the current version in `subscribers`, earlier ones in `subscriber_history`),
//! and registration jobs with each applied chunk's results (which is what makes a
//! re-sent file harmless). Two engines with the same behaviour, tested by one suite.

mod postgres;
mod sqlite;

use renkei_core::{AgencyCode, Date, Sex};
use renkei_store::{StoreError, StoreUrl};
use renkei_wire::msg::intermediate::{JobStatus, RowOutcome, RowResult};
use serde::{Deserialize, Serialize};

use crate::domain::plan::{Item, Origin, PlanContext, Subscriber};
use crate::domain::ChangeType;

pub use postgres::PgStore;
pub(crate) use sqlite::schema as sqlite_schema;
pub use sqlite::SqliteStore;

const SCHEMA: &str = "intermediate";

/// A tenant: one insurer (e.g. a 広域連合) with all its 保険者番号.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Institution code, as in its certificate (e.g. `koiki-13`).
    pub code: AgencyCode,
    pub name: String,
    pub insurer_numbers: Vec<String>,
}

/// A registration job as opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub job_id: String,
    pub insurer_number: String,
    pub file_name: String,
    pub header: Vec<String>,
    pub chunk_rows: u32,
}

/// One entry of a subscriber's 資格 history, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    pub version: u32,
    pub change: i64,
    pub insured_number: String,
    pub acquired: Date,
    pub lost: Option<Date>,
    pub job_id: String,
    pub line: u64,
}

pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        }
    };
}

impl Store {
    pub async fn open(url: &StoreUrl) -> Result<Store, StoreError> {
        Ok(match url {
            StoreUrl::Sqlite(path) => Store::Sqlite(SqliteStore::open(path)?),
            StoreUrl::Postgres { conn, schema } => {
                Store::Postgres(PgStore::connect(conn, schema).await?)
            }
        })
    }

    /// Parses `url` with this system's default PostgreSQL schema and opens it.
    pub async fn open_url(url: &str) -> Result<Store, StoreError> {
        Store::open(&StoreUrl::parse(url, SCHEMA)?).await
    }

    pub async fn upsert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        dispatch!(self, s => s.upsert_tenant(tenant).await)
    }

    pub async fn tenant_by_insurer_number(
        &self,
        number: &str,
    ) -> Result<Option<Tenant>, StoreError> {
        dispatch!(self, s => s.tenant_by_insurer_number(number).await)
    }

    /// Opens `job` for `tenant` unless it exists; returns its status either way.
    pub async fn start_job(&self, tenant: &str, job: &NewJob) -> Result<JobStatus, StoreError> {
        dispatch!(self, s => s.start_job(tenant, job).await)
    }

    pub async fn job(&self, tenant: &str, job_id: &str) -> Result<Option<NewJob>, StoreError> {
        dispatch!(self, s => s.job(tenant, job_id).await)
    }

    pub async fn job_status(
        &self,
        tenant: &str,
        job_id: &str,
    ) -> Result<Option<JobStatus>, StoreError> {
        dispatch!(self, s => s.job_status(tenant, job_id).await)
    }

    /// The results of an already applied chunk.
    pub async fn chunk_results(
        &self,
        tenant: &str,
        job_id: &str,
        seq: u32,
    ) -> Result<Option<Vec<RowResult>>, StoreError> {
        dispatch!(self, s => s.chunk_results(tenant, job_id, seq).await)
    }

    /// Applies a chunk in one transaction — plan, subscribers, history and the chunk's results
    /// together — or, if it was applied before, returns the stored results. Chunks apply in
    /// file order: while the previous chunk is not applied yet, the items are handed back.
    pub async fn apply_chunk(
        &self,
        tenant: &str,
        seq: u32,
        ctx: &ChunkContext,
        items: Vec<Item>,
    ) -> Result<Applied, StoreError> {
        dispatch!(self, s => s.apply_chunk(tenant, seq, ctx, items).await)
    }

    pub async fn finish_job(
        &self,
        tenant: &str,
        job_id: &str,
        rows: u64,
    ) -> Result<Option<JobStatus>, StoreError> {
        dispatch!(self, s => s.finish_job(tenant, job_id, rows).await)
    }

    pub async fn subscriber_by_insured(
        &self,
        tenant: &str,
        insured: &str,
    ) -> Result<Option<Subscriber>, StoreError> {
        dispatch!(self, s => s.subscriber_by_insured(tenant, insured).await)
    }

    pub async fn history(&self, tenant: &str, branch: &str) -> Result<Vec<HistoryRow>, StoreError> {
        dispatch!(self, s => s.history(tenant, branch).await)
    }

    pub async fn count_subscribers(&self, tenant: &str) -> Result<u64, StoreError> {
        dispatch!(self, s => s.count_subscribers(tenant).await)
    }
}

/// What became of a chunk handed to [`Store::apply_chunk`].
#[derive(Debug)]
pub enum Applied {
    /// Applied now or before: the rows' results.
    Done(Vec<RowResult>),
    /// The previous chunk is not applied yet; nothing was written. The items come back.
    PreviousPending(Vec<Item>),
}

/// Owned [`PlanContext`] data for a chunk.
#[derive(Debug, Clone)]
pub struct ChunkContext {
    pub job_id: String,
    pub insurer_number: String,
    pub verified: String,
}

impl ChunkContext {
    fn plan_context(&self) -> PlanContext<'_> {
        PlanContext {
            job_id: &self.job_id,
            insurer_number: &self.insurer_number,
            verified: &self.verified,
        }
    }
}

fn counts(results: &[RowResult]) -> (u64, u64) {
    let registered = results
        .iter()
        .filter(|r| matches!(r.outcome, RowOutcome::Registered { .. }))
        .count() as u64;
    (registered, results.len() as u64 - registered)
}

fn iso(d: Date) -> String {
    renkei_core::date::to_iso(d)
}

fn date(s: &str) -> Result<Date, StoreError> {
    renkei_core::parse_date(s).map_err(|_| StoreError::Corrupt(format!("日付 {s}")))
}

fn sex(code: i64) -> Result<Sex, StoreError> {
    Sex::from_code(code as u8).map_err(|_| StoreError::Corrupt("性別".into()))
}

fn key(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("person_key".into()))
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn change_code(c: ChangeType) -> i64 {
    c.code()
}

fn results_json(results: &[RowResult]) -> String {
    serde_json::to_string(results).expect("row results serialize")
}

fn results_from(json: &str) -> Result<Vec<RowResult>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Column order used by both engines when reading subscribers.
const SUBSCRIBER_COLUMNS: &str =
    "branch, person_key, number_sealed, fugo, insurer_number, insured_number, name, kana, \
     birth, sex, address, acquired, lost, verified, source_job, source_line, version, \
     change_type, version_job, version_line";

/// The version's origin as stored: `version_job` and `version_line` are both set or both NULL
/// (NULL: the version came from `source_job`/`source_line`).
fn origin(job: Option<String>, line: Option<i64>) -> Option<Origin> {
    Some(Origin {
        job: job?,
        line: line? as u64,
    })
}

fn change(code: i64) -> Result<ChangeType, StoreError> {
    ChangeType::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("異動区分 {code}")))
}

/// A subscriber's 資格 history as (version, 異動区分, job, line), for tests.
#[cfg(test)]
async fn versions(store: &Store, tenant: &str, branch: &str) -> Vec<(u32, i64, String, u64)> {
    let history = store.history(tenant, branch).await.unwrap();
    history
        .into_iter()
        .map(|h| (h.version, h.change, h.job_id, h.line))
        .collect()
}

#[cfg(test)]
mod tests;
