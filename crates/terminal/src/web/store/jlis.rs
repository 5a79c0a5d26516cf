//! J-LIS query files answered through the browser: who sent which file for which 利用目的, and
//! how far its answering got. The files themselves (they hold 個人番号) stay in the data
//! directory; the table holds only names and counts. Keyed by tenant like every other table.

use renkei_store::StoreError;

use super::{Listing, PageQuery, PgWebStore, SqliteWebStore, WebStore};

pub(super) const MIGRATION: &str = "CREATE TABLE jlis_batches (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    login_id TEXT NOT NULL,
    insurer_number TEXT NOT NULL,
    purpose TEXT NOT NULL,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    rows_total BIGINT NOT NULL,
    rows_done BIGINT NOT NULL,
    found BIGINT NOT NULL,
    not_found BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    error TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jlis_batches_tenant ON jlis_batches (tenant, created_at);";

const COLUMNS: &str = "id, tenant, login_id, insurer_number, purpose, file_name, status, rows_total, rows_done, found, not_found, errors, error, created_at, finished_at";

const LIST: Listing = Listing {
    table: "jlis_batches",
    columns: COLUMNS,
    tiebreak: "id",
    filter: "",
};

/// A query file and how far it got. `status` is `running`, `done` or `failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JlisBatch {
    pub id: String,
    pub tenant: String,
    pub login_id: String,
    pub insurer_number: String,
    pub purpose: String,
    pub file_name: String,
    pub status: String,
    pub rows_total: i64,
    pub rows_done: i64,
    pub found: i64,
    pub not_found: i64,
    pub errors: i64,
    /// Why the file as a whole was refused (a failed batch).
    pub error: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl WebStore {
    pub async fn insert_jlis_batch(&self, b: &JlisBatch) -> Result<(), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.insert_jlis_batch(b).await,
            WebStore::Postgres(s) => s.insert_jlis_batch(b).await,
        }
    }

    /// Writes the progress fields (`status` … `finished_at`) of batch `b.id`.
    pub async fn update_jlis_batch(&self, b: &JlisBatch) -> Result<(), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.update_jlis_batch(b).await,
            WebStore::Postgres(s) => s.update_jlis_batch(b).await,
        }
    }

    /// The tenant's batch `id` (`None` for another tenant's).
    pub async fn jlis_batch(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<JlisBatch>, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.jlis_batch(tenant, id).await,
            WebStore::Postgres(s) => s.jlis_batch(tenant, id).await,
        }
    }

    pub async fn jlis_batches(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<JlisBatch>, i64), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.jlis_batches(tenant, page).await,
            WebStore::Postgres(s) => s.jlis_batches(tenant, page).await,
        }
    }

    /// Marks batches still `running` as failed (at start-up: nothing runs yet).
    pub async fn fail_running_jlis_batches(&self, message: &str) -> Result<u64, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.fail_running_jlis_batches(message).await,
            WebStore::Postgres(s) => s.fail_running_jlis_batches(message).await,
        }
    }
}

const INSERT: &str = "INSERT INTO jlis_batches (id, tenant, login_id, insurer_number, purpose, file_name, status, rows_total, rows_done, found, not_found, errors, error, created_at, finished_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
const UPDATE: &str = "UPDATE jlis_batches SET status = $2, rows_total = $3, rows_done = $4, found = $5, not_found = $6, errors = $7, error = $8, finished_at = $9 WHERE id = $1";
const FAIL_RUNNING: &str =
    "UPDATE jlis_batches SET status = 'failed', error = $1 WHERE status = 'running'";

fn sqlite_row(r: &rusqlite::Row) -> rusqlite::Result<JlisBatch> {
    Ok(JlisBatch {
        id: r.get(0)?,
        tenant: r.get(1)?,
        login_id: r.get(2)?,
        insurer_number: r.get(3)?,
        purpose: r.get(4)?,
        file_name: r.get(5)?,
        status: r.get(6)?,
        rows_total: r.get(7)?,
        rows_done: r.get(8)?,
        found: r.get(9)?,
        not_found: r.get(10)?,
        errors: r.get(11)?,
        error: r.get(12)?,
        created_at: r.get(13)?,
        finished_at: r.get(14)?,
    })
}

fn pg_row(r: &tokio_postgres::Row) -> JlisBatch {
    JlisBatch {
        id: r.get(0),
        tenant: r.get(1),
        login_id: r.get(2),
        insurer_number: r.get(3),
        purpose: r.get(4),
        file_name: r.get(5),
        status: r.get(6),
        rows_total: r.get(7),
        rows_done: r.get(8),
        found: r.get(9),
        not_found: r.get(10),
        errors: r.get(11),
        error: r.get(12),
        created_at: r.get(13),
        finished_at: r.get(14),
    }
}

impl SqliteWebStore {
    async fn insert_jlis_batch(&self, b: &JlisBatch) -> Result<(), StoreError> {
        let b = b.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &super::numbered(INSERT),
                    rusqlite::params![
                        b.id,
                        b.tenant,
                        b.login_id,
                        b.insurer_number,
                        b.purpose,
                        b.file_name,
                        b.status,
                        b.rows_total,
                        b.rows_done,
                        b.found,
                        b.not_found,
                        b.errors,
                        b.error,
                        b.created_at,
                        b.finished_at
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn update_jlis_batch(&self, b: &JlisBatch) -> Result<(), StoreError> {
        let b = b.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &super::numbered(UPDATE),
                    rusqlite::params![
                        b.id,
                        b.status,
                        b.rows_total,
                        b.rows_done,
                        b.found,
                        b.not_found,
                        b.errors,
                        b.error,
                        b.finished_at
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn jlis_batch(&self, tenant: &str, id: &str) -> Result<Option<JlisBatch>, StoreError> {
        use rusqlite::OptionalExtension;
        let (tenant, id) = (tenant.to_owned(), id.to_owned());
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    &format!("SELECT {COLUMNS} FROM jlis_batches WHERE tenant = ?1 AND id = ?2"),
                    [tenant, id],
                    sqlite_row,
                )
                .optional()?)
            })
            .await
    }

    async fn jlis_batches(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<JlisBatch>, i64), StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |c| super::sqlite::page_of(c, &LIST, &tenant, page, sqlite_row))
            .await
    }

    async fn fail_running_jlis_batches(&self, message: &str) -> Result<u64, StoreError> {
        let message = message.to_owned();
        self.db
            .write(move |c| Ok(c.execute(&super::numbered(FAIL_RUNNING), [message])? as u64))
            .await
    }
}

impl PgWebStore {
    async fn insert_jlis_batch(&self, b: &JlisBatch) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                INSERT,
                &[
                    &b.id,
                    &b.tenant,
                    &b.login_id,
                    &b.insurer_number,
                    &b.purpose,
                    &b.file_name,
                    &b.status,
                    &b.rows_total,
                    &b.rows_done,
                    &b.found,
                    &b.not_found,
                    &b.errors,
                    &b.error,
                    &b.created_at,
                    &b.finished_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn update_jlis_batch(&self, b: &JlisBatch) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                UPDATE,
                &[
                    &b.id,
                    &b.status,
                    &b.rows_total,
                    &b.rows_done,
                    &b.found,
                    &b.not_found,
                    &b.errors,
                    &b.error,
                    &b.finished_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn jlis_batch(&self, tenant: &str, id: &str) -> Result<Option<JlisBatch>, StoreError> {
        let row = self
            .db
            .client()
            .await?
            .query_opt(
                &format!("SELECT {COLUMNS} FROM jlis_batches WHERE tenant = $1 AND id = $2"),
                &[&tenant, &id],
            )
            .await?;
        Ok(row.as_ref().map(pg_row))
    }

    async fn jlis_batches(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<JlisBatch>, i64), StoreError> {
        self.page_of(&LIST, tenant, page, |r| Ok(pg_row(r))).await
    }

    async fn fail_running_jlis_batches(&self, message: &str) -> Result<u64, StoreError> {
        Ok(self
            .db
            .client()
            .await?
            .execute(FAIL_RUNNING, &[&message])
            .await?)
    }
}
