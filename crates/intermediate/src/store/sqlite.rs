//! SQLite engine: each chunk is one IMMEDIATE transaction on the single writer connection,
//! with cached prepared statements (SQLite's bulk mechanism).
//!
//! A subscriber's person key and 被保険者番号 are effectively random, so each chunk reads and
//! dirties about one page per row in each of their indexes: the writer gets a cache that
//! holds both for millions of subscribers, and a chunk's keys are probed in sorted order.

use std::path::Path;
use std::sync::{Arc, Mutex};

use renkei_core::AgencyCode;
use renkei_store::sqlite::{Sqlite, Tuning};
use renkei_store::StoreError;
use renkei_wire::msg::intermediate::{JobStatus, RowResult};
use rusqlite::{params, OptionalExtension, Row};

use super::{
    change, counts, date, key, now, origin, results_from, results_json, sex, Applied, ChunkContext,
    HistoryRow, NewJob, Tenant, SUBSCRIBER_COLUMNS,
};
mod chunk;
mod jobs;
pub(crate) mod schema;
use jobs::{apply, status, stored_results};

use crate::domain::plan::{plan_chunk, Item, Subscriber};
use chunk::{load_existing, write_plan, Known};

/// Entry `i` is schema version `i + 1`; a store made by an older build migrates forward.
const MIGRATIONS: &[&str] = &[
    schema::REGISTRATION,
    crate::inquiry::store::MIGRATION,
    crate::fuhon::store::SQLITE_MIGRATION,
    renkei_ledger::party::SQLITE,
    schema::SLIM_INDEXES,
    schema::CURRENT_VERSION_IN_SUBSCRIBERS,
];

/// Registration runs on the writer; the readers serve single look-ups.
const TUNING: Tuning = Tuning {
    writer_cache_kib: 128 * 1024,
    reader_cache_kib: 16 * 1024,
};

pub struct SqliteStore {
    pub(crate) db: Sqlite,
    /// Used on the writer only; `None` until the first chunk.
    known: Arc<Mutex<Option<Known>>>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Ok(SqliteStore {
            db: Sqlite::open_with(path, MIGRATIONS, TUNING)?,
            known: Arc::default(),
        })
    }

    /// The engine, shared with the 副本 tables (crate::fuhon).
    pub(crate) fn engine(&self) -> &Sqlite {
        &self.db
    }

    pub async fn upsert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let tenant = tenant.clone();
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                tx.execute(
                    "INSERT INTO tenants (code, name) VALUES (?1, ?2) ON CONFLICT (code) DO UPDATE SET name = ?2",
                    params![tenant.code.as_str(), tenant.name],
                )?;
                for n in &tenant.insurer_numbers {
                    tx.execute(
                        "INSERT INTO insurer_numbers (insurer_number, tenant) VALUES (?1, ?2)
                         ON CONFLICT (insurer_number) DO UPDATE SET tenant = ?2",
                        params![n, tenant.code.as_str()],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    pub async fn tenant_by_insurer_number(
        &self,
        number: &str,
    ) -> Result<Option<Tenant>, StoreError> {
        let number = number.to_owned();
        self.db
            .read(move |conn| {
                let found: Option<(String, String)> = conn
                    .query_row(
                        "SELECT t.code, t.name FROM insurer_numbers n JOIN tenants t ON t.code = n.tenant
                         WHERE n.insurer_number = ?1",
                        [&number],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let Some((code, name)) = found else { return Ok(None) };
                let mut stmt =
                    conn.prepare_cached("SELECT insurer_number FROM insurer_numbers WHERE tenant = ?1 ORDER BY 1")?;
                let insurer_numbers = stmt.query_map([&code], |r| r.get(0))?.collect::<Result<_, _>>()?;
                let code = AgencyCode::parse(&code).map_err(|e| StoreError::Corrupt(format!("tenants.code: {e}")))?;
                Ok(Some(Tenant { code, name, insurer_numbers }))
            })
            .await
    }

    pub async fn start_job(&self, tenant: &str, job: &NewJob) -> Result<JobStatus, StoreError> {
        let (tenant, job) = (tenant.to_owned(), job.clone());
        self.db
            .write(move |conn| {
                let header = serde_json::to_string(&job.header).expect("header serializes");
                conn.execute(
                    "INSERT INTO reg_jobs (tenant, job_id, insurer_number, file_name, header, chunk_rows, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                    params![tenant, job.job_id, job.insurer_number, job.file_name, header, job.chunk_rows, now()],
                )?;
                status(conn, &tenant, &job.job_id).map(|s| s.expect("job just inserted"))
            })
            .await
    }

    pub async fn job(&self, tenant: &str, job_id: &str) -> Result<Option<NewJob>, StoreError> {
        let (tenant, job_id) = (tenant.to_owned(), job_id.to_owned());
        self.db
            .read(move |conn| {
                let row: Option<(String, String, String, u32)> = conn
                    .query_row(
                        "SELECT insurer_number, file_name, header, chunk_rows FROM reg_jobs WHERE tenant = ?1 AND job_id = ?2",
                        [&tenant, &job_id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                row.map(|(insurer_number, file_name, header, chunk_rows)| {
                    let header = serde_json::from_str(&header).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    Ok(NewJob { job_id, insurer_number, file_name, header, chunk_rows })
                })
                .transpose()
            })
            .await
    }

    pub async fn job_status(
        &self,
        tenant: &str,
        job_id: &str,
    ) -> Result<Option<JobStatus>, StoreError> {
        let (tenant, job_id) = (tenant.to_owned(), job_id.to_owned());
        self.db
            .read(move |conn| status(conn, &tenant, &job_id))
            .await
    }

    pub async fn chunk_results(
        &self,
        tenant: &str,
        job_id: &str,
        seq: u32,
    ) -> Result<Option<Vec<RowResult>>, StoreError> {
        let (tenant, job_id) = (tenant.to_owned(), job_id.to_owned());
        self.db
            .read(move |conn| stored_results(conn, &tenant, &job_id, seq))
            .await
    }

    pub async fn apply_chunk(
        &self,
        tenant: &str,
        seq: u32,
        ctx: &ChunkContext,
        items: Vec<Item>,
    ) -> Result<Applied, StoreError> {
        let (tenant, ctx, known) = (tenant.to_owned(), ctx.clone(), self.known.clone());
        self.db
            .write(move |conn| {
                let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
                let applied = apply(conn, &tenant, seq, &ctx, items, &mut known);
                if applied.is_err() {
                    // Whatever failed, the next chunk fills the filters afresh from the table.
                    *known = None;
                }
                applied
            })
            .await
    }

    pub async fn finish_job(
        &self,
        tenant: &str,
        job_id: &str,
        rows: u64,
    ) -> Result<Option<JobStatus>, StoreError> {
        let (tenant, job_id) = (tenant.to_owned(), job_id.to_owned());
        self.db
            .write(move |conn| {
                conn.execute(
                    "UPDATE reg_jobs SET finished_at = COALESCE(finished_at, ?3), total_rows = ?4
                     WHERE tenant = ?1 AND job_id = ?2",
                    params![tenant, job_id, now(), rows],
                )?;
                status(conn, &tenant, &job_id)
            })
            .await
    }

    pub async fn subscriber_by_insured(
        &self,
        tenant: &str,
        insured: &str,
    ) -> Result<Option<Subscriber>, StoreError> {
        let (tenant, insured) = (tenant.to_owned(), insured.to_owned());
        self.db
            .read(move |conn| {
                let sql = format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE tenant = ?1 AND insured_number = ?2");
                let mut stmt = conn.prepare_cached(&sql)?;
                let mut rows = stmt.query([&tenant, &insured])?;
                rows.next()?.map(subscriber).transpose()
            })
            .await
    }

    pub async fn history(&self, tenant: &str, branch: &str) -> Result<Vec<HistoryRow>, StoreError> {
        let (tenant, branch) = (tenant.to_owned(), branch.to_owned());
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(schema::HISTORY)?;
                let rows = stmt.query_map([&tenant, &branch], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?;
                rows.map(|row| {
                    let (version, change, insured_number, acquired, lost, job_id, line) = row?;
                    Ok(HistoryRow {
                        version,
                        change,
                        insured_number,
                        acquired: date(&acquired)?,
                        lost: lost.as_deref().map(date).transpose()?,
                        job_id,
                        line,
                    })
                })
                .collect()
            })
            .await
    }

    pub async fn count_subscribers(&self, tenant: &str) -> Result<u64, StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |conn| {
                Ok(conn.query_row(
                    "SELECT COUNT(*) FROM subscribers WHERE tenant = ?1",
                    [&tenant],
                    |r| r.get(0),
                )?)
            })
            .await
    }
}

fn subscriber(r: &Row<'_>) -> Result<Subscriber, StoreError> {
    Ok(Subscriber {
        branch: r.get(0)?,
        person_key: key(r.get(1)?)?,
        number_sealed: r.get(2)?,
        fugo: r.get(3)?,
        insurer_number: r.get(4)?,
        insured_number: r.get(5)?,
        name: r.get(6)?,
        kana: r.get(7)?,
        birth: date(&r.get::<_, String>(8)?)?,
        sex: sex(r.get(9)?)?,
        address: r.get(10)?,
        acquired: date(&r.get::<_, String>(11)?)?,
        lost: r
            .get::<_, Option<String>>(12)?
            .as_deref()
            .map(date)
            .transpose()?,
        verified: r.get(13)?,
        source_job: r.get(14)?,
        source_line: r.get(15)?,
        version: r.get(16)?,
        change: change(r.get(17)?)?,
        version_origin: origin(r.get(18)?, r.get(19)?),
    })
}

#[cfg(test)]
mod tests;
