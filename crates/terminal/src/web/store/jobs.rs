//! The background jobs of the web terminal (加入者情報 registration, J-LIS 一括照会, 副本): one
//! row per job with its kind, what it needs to run again (its inputs), its progress, its result
//! file and how it ended, so that a restart finds the jobs that were running. Keyed by tenant
//! like every other table. The files themselves stay in the data directory; `input` and
//! `result` are paths relative to it.

use renkei_store::StoreError;

use super::{Listing, PageQuery, PgWebStore, SqliteWebStore, WebStore};

pub(super) const MIGRATION: &str = "CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    login_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    params TEXT NOT NULL,
    input TEXT NOT NULL,
    result TEXT NOT NULL,
    status TEXT NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    counts TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_tenant ON jobs (tenant, kind, created_at);
CREATE INDEX jobs_status ON jobs (status);";

const COLUMNS: &str = "id, tenant, kind, login_id, file_name, params, input, result, status, done, total, counts, outcome, reason, created_at, finished_at";

/// The 副本 jobs of a tenant (the 副本 page lists only those; the other kinds have their own
/// tables for their lists).
const FUHON_LIST: Listing = Listing {
    table: "jobs",
    columns: COLUMNS,
    tiebreak: "id",
    filter: "kind = 'fuhon'",
};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// 加入者情報 registration of an upload (the `uploads` row of the same id).
    Registration,
    /// A J-LIS query file (the `jlis_batches` row of the same id).
    JlisBatch,
    /// A 副本 upload or drift check.
    Fuhon,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Registration => "registration",
            JobKind::JlisBatch => "jlis_batch",
            JobKind::Fuhon => "fuhon",
        }
    }

    pub fn parse(s: &str) -> Result<JobKind, StoreError> {
        Ok(match s {
            "registration" => JobKind::Registration,
            "jlis_batch" => JobKind::JlisBatch,
            "fuhon" => JobKind::Fuhon,
            other => return Err(StoreError::Corrupt(format!("job kind {other}"))),
        })
    }
}

/// Where a job is. A job is `Running` from its start until it ends; one still `Running` when
/// the terminal starts was cut off by the last stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    /// 完了 (its `outcome` says how: a 副本 file can end refused).
    Done,
    /// 失敗, with the `reason`.
    Failed,
    /// 中断: stopped before its end, to be continued on request (with the `reason`).
    Interrupted,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Result<JobStatus, StoreError> {
        Ok(match s {
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            "interrupted" => JobStatus::Interrupted,
            other => return Err(StoreError::Corrupt(format!("job status {other}"))),
        })
    }
}

/// One background job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub tenant: String,
    pub kind: JobKind,
    pub login_id: String,
    /// The file as the office named it.
    pub file_name: String,
    /// The kind's inputs besides the file, as JSON (insurer number, purpose, mode, …).
    pub params: String,
    /// The input file, relative to the data directory.
    pub input: String,
    /// The result file, relative to the data directory (empty: none).
    pub result: String,
    pub status: JobStatus,
    pub done: i64,
    pub total: i64,
    /// The kind's counters (registration: registered, held; J-LIS: found, not found, errors;
    /// 副本: bad rows), as a JSON array.
    pub counts: String,
    /// The kind's account of how it ended, as JSON (empty while it runs).
    pub outcome: String,
    /// Why it failed or was interrupted.
    pub reason: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl WebStore {
    pub async fn insert_job(&self, j: &Job) -> Result<(), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.insert_job(j).await,
            WebStore::Postgres(s) => s.insert_job(j).await,
        }
    }

    /// Writes what changes as job `j.id` runs and ends (`status` … `finished_at`).
    pub async fn update_job(&self, j: &Job) -> Result<(), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.update_job(j).await,
            WebStore::Postgres(s) => s.update_job(j).await,
        }
    }

    /// Writes the progress of a running job only.
    pub async fn job_progress(
        &self,
        id: &str,
        done: i64,
        total: i64,
        counts: &str,
    ) -> Result<(), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.job_progress(id, done, total, counts).await,
            WebStore::Postgres(s) => s.job_progress(id, done, total, counts).await,
        }
    }

    /// The tenant's job `id` (`None` for another tenant's).
    pub async fn job(&self, tenant: &str, id: &str) -> Result<Option<Job>, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.job(tenant, id).await,
            WebStore::Postgres(s) => s.job(tenant, id).await,
        }
    }

    /// One page of the tenant's 副本 jobs and their total.
    pub async fn fuhon_jobs(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Job>, i64), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.fuhon_jobs(tenant, page).await,
            WebStore::Postgres(s) => s.fuhon_jobs(tenant, page).await,
        }
    }

    /// Every tenant's jobs still `running`, oldest first (at start-up: cut off by the stop).
    pub async fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.unfinished_jobs().await,
            WebStore::Postgres(s) => s.unfinished_jobs().await,
        }
    }
}

const INSERT: &str = "INSERT INTO jobs (id, tenant, kind, login_id, file_name, params, input, result, status, done, total, counts, outcome, reason, created_at, finished_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
const UPDATE: &str = "UPDATE jobs SET status = $2, done = $3, total = $4, counts = $5, outcome = $6, reason = $7, result = $8, finished_at = $9 WHERE id = $1";
const PROGRESS: &str =
    "UPDATE jobs SET done = $2, total = $3, counts = $4 WHERE id = $1 AND status = 'running'";
const UNFINISHED: &str = "WHERE status = 'running' ORDER BY created_at, id";

struct Raw {
    job: Job,
    kind: String,
    status: String,
}

impl Raw {
    fn parse(mut self) -> Result<Job, StoreError> {
        self.job.kind = JobKind::parse(&self.kind)?;
        self.job.status = JobStatus::parse(&self.status)?;
        Ok(self.job)
    }
}

fn sqlite_row(r: &rusqlite::Row) -> rusqlite::Result<Raw> {
    Ok(Raw {
        job: Job {
            id: r.get(0)?,
            tenant: r.get(1)?,
            kind: JobKind::Registration,
            login_id: r.get(3)?,
            file_name: r.get(4)?,
            params: r.get(5)?,
            input: r.get(6)?,
            result: r.get(7)?,
            status: JobStatus::Running,
            done: r.get(9)?,
            total: r.get(10)?,
            counts: r.get(11)?,
            outcome: r.get(12)?,
            reason: r.get(13)?,
            created_at: r.get(14)?,
            finished_at: r.get(15)?,
        },
        kind: r.get(2)?,
        status: r.get(8)?,
    })
}

fn pg_row(r: &tokio_postgres::Row) -> Result<Job, StoreError> {
    Ok(Job {
        id: r.get(0),
        tenant: r.get(1),
        kind: JobKind::parse(r.get(2))?,
        login_id: r.get(3),
        file_name: r.get(4),
        params: r.get(5),
        input: r.get(6),
        result: r.get(7),
        status: JobStatus::parse(r.get(8))?,
        done: r.get(9),
        total: r.get(10),
        counts: r.get(11),
        outcome: r.get(12),
        reason: r.get(13),
        created_at: r.get(14),
        finished_at: r.get(15),
    })
}

impl SqliteWebStore {
    async fn insert_job(&self, j: &Job) -> Result<(), StoreError> {
        let j = j.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &super::numbered(INSERT),
                    rusqlite::params![
                        j.id,
                        j.tenant,
                        j.kind.as_str(),
                        j.login_id,
                        j.file_name,
                        j.params,
                        j.input,
                        j.result,
                        j.status.as_str(),
                        j.done,
                        j.total,
                        j.counts,
                        j.outcome,
                        j.reason,
                        j.created_at,
                        j.finished_at
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn update_job(&self, j: &Job) -> Result<(), StoreError> {
        let j = j.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &super::numbered(UPDATE),
                    rusqlite::params![
                        j.id,
                        j.status.as_str(),
                        j.done,
                        j.total,
                        j.counts,
                        j.outcome,
                        j.reason,
                        j.result,
                        j.finished_at
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn job_progress(
        &self,
        id: &str,
        done: i64,
        total: i64,
        counts: &str,
    ) -> Result<(), StoreError> {
        let (id, counts) = (id.to_owned(), counts.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    &super::numbered(PROGRESS),
                    rusqlite::params![id, done, total, counts],
                )?;
                Ok(())
            })
            .await
    }

    async fn job(&self, tenant: &str, id: &str) -> Result<Option<Job>, StoreError> {
        use rusqlite::OptionalExtension;
        let (tenant, id) = (tenant.to_owned(), id.to_owned());
        let raw = self
            .db
            .read(move |c| {
                Ok::<_, StoreError>(
                    c.query_row(
                        &format!("SELECT {COLUMNS} FROM jobs WHERE tenant = ?1 AND id = ?2"),
                        [tenant, id],
                        sqlite_row,
                    )
                    .optional()?,
                )
            })
            .await?;
        raw.map(Raw::parse).transpose()
    }

    async fn fuhon_jobs(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Job>, i64), StoreError> {
        let tenant = tenant.to_owned();
        let (rows, total) = self
            .db
            .read(move |c| super::sqlite::page_of(c, &FUHON_LIST, &tenant, page, sqlite_row))
            .await?;
        let jobs = rows.into_iter().map(Raw::parse).collect::<Result<_, _>>()?;
        Ok((jobs, total))
    }

    async fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let rows = self
            .db
            .read(move |c| {
                let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM jobs {UNFINISHED}"))?;
                let rows = stmt.query_map([], sqlite_row)?;
                Ok::<_, StoreError>(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        rows.into_iter().map(Raw::parse).collect()
    }
}

impl PgWebStore {
    async fn insert_job(&self, j: &Job) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                INSERT,
                &[
                    &j.id,
                    &j.tenant,
                    &j.kind.as_str(),
                    &j.login_id,
                    &j.file_name,
                    &j.params,
                    &j.input,
                    &j.result,
                    &j.status.as_str(),
                    &j.done,
                    &j.total,
                    &j.counts,
                    &j.outcome,
                    &j.reason,
                    &j.created_at,
                    &j.finished_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn update_job(&self, j: &Job) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                UPDATE,
                &[
                    &j.id,
                    &j.status.as_str(),
                    &j.done,
                    &j.total,
                    &j.counts,
                    &j.outcome,
                    &j.reason,
                    &j.result,
                    &j.finished_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn job_progress(
        &self,
        id: &str,
        done: i64,
        total: i64,
        counts: &str,
    ) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(PROGRESS, &[&id, &done, &total, &counts])
            .await?;
        Ok(())
    }

    async fn job(&self, tenant: &str, id: &str) -> Result<Option<Job>, StoreError> {
        let row = self
            .db
            .client()
            .await?
            .query_opt(
                &format!("SELECT {COLUMNS} FROM jobs WHERE tenant = $1 AND id = $2"),
                &[&tenant, &id],
            )
            .await?;
        row.as_ref().map(pg_row).transpose()
    }

    async fn fuhon_jobs(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Job>, i64), StoreError> {
        self.page_of(&FUHON_LIST, tenant, page, pg_row).await
    }

    async fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let rows = self
            .db
            .client()
            .await?
            .query(&format!("SELECT {COLUMNS} FROM jobs {UNFINISHED}"), &[])
            .await?;
        rows.iter().map(pg_row).collect()
    }
}
