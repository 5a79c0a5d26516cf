//! The office's 情報照会 made through the browser: what was asked (by 枝番, never a 個人番号)
//! and the latest answer. Re-sending an inquiry with the same request id replaces its answer
//! and counts the attempt. Keyed by tenant like every other table.

use renkei_store::StoreError;

use super::{Listing, PageQuery, PgWebStore, SqliteWebStore, WebStore};

pub(super) const MIGRATION: &str = "CREATE TABLE inquiries (
    request_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    login_id TEXT NOT NULL,
    insurer_number TEXT NOT NULL,
    branch TEXT NOT NULL,
    task TEXT NOT NULL,
    info TEXT NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    answer TEXT NOT NULL,
    record BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    answered_at BIGINT NOT NULL
);
CREATE INDEX inquiries_tenant ON inquiries (tenant, created_at);";

const COLUMNS: &str = "request_id, tenant, login_id, insurer_number, branch, task, info, provider, kind, answer, record, attempts, created_at, answered_at";

const LIST: Listing = Listing {
    table: "inquiries",
    columns: COLUMNS,
    tiebreak: "request_id",
    filter: "",
};

/// One inquiry and its latest answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    pub request_id: String,
    pub tenant: String,
    pub login_id: String,
    pub insurer_number: String,
    pub branch: String,
    pub task: String,
    pub info: String,
    /// Institution code of the provider.
    pub provider: String,
    /// `data`, `no_record`, `refused` or `unavailable`.
    pub kind: String,
    /// The answer as JSON (`InquiryAnswer`).
    pub answer: String,
    /// The 情報提供等記録 number (0 when there is none yet).
    pub record: i64,
    /// How many times it was sent (1 at first).
    pub attempts: i64,
    pub created_at: i64,
    pub answered_at: i64,
}

impl WebStore {
    /// Records a new inquiry or, for a re-send of the tenant's own request id, its new answer
    /// (`kind`, `answer`, `record`, `answered_at`) and one more attempt. `false` if the id
    /// belongs to another tenant (nothing is changed then).
    pub async fn save_inquiry(&self, q: &Inquiry) -> Result<bool, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.save_inquiry(q).await,
            WebStore::Postgres(s) => s.save_inquiry(q).await,
        }
    }

    /// The tenant's inquiry `request_id` (`None` for another tenant's).
    pub async fn inquiry(
        &self,
        tenant: &str,
        request_id: &str,
    ) -> Result<Option<Inquiry>, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.inquiry(tenant, request_id).await,
            WebStore::Postgres(s) => s.inquiry(tenant, request_id).await,
        }
    }

    /// One page of the tenant's inquiries and their total.
    pub async fn inquiries(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Inquiry>, i64), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.inquiries(tenant, page).await,
            WebStore::Postgres(s) => s.inquiries(tenant, page).await,
        }
    }
}

const UPSERT: &str = "INSERT INTO inquiries (request_id, tenant, login_id, insurer_number, branch, task, info, provider, kind, answer, record, attempts, created_at, answered_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ON CONFLICT (request_id) DO UPDATE SET kind = excluded.kind, answer = excluded.answer,
        record = excluded.record, answered_at = excluded.answered_at,
        attempts = inquiries.attempts + 1
    WHERE inquiries.tenant = excluded.tenant";

fn sqlite_row(r: &rusqlite::Row) -> rusqlite::Result<Inquiry> {
    Ok(Inquiry {
        request_id: r.get(0)?,
        tenant: r.get(1)?,
        login_id: r.get(2)?,
        insurer_number: r.get(3)?,
        branch: r.get(4)?,
        task: r.get(5)?,
        info: r.get(6)?,
        provider: r.get(7)?,
        kind: r.get(8)?,
        answer: r.get(9)?,
        record: r.get(10)?,
        attempts: r.get(11)?,
        created_at: r.get(12)?,
        answered_at: r.get(13)?,
    })
}

fn pg_row(r: &tokio_postgres::Row) -> Inquiry {
    Inquiry {
        request_id: r.get(0),
        tenant: r.get(1),
        login_id: r.get(2),
        insurer_number: r.get(3),
        branch: r.get(4),
        task: r.get(5),
        info: r.get(6),
        provider: r.get(7),
        kind: r.get(8),
        answer: r.get(9),
        record: r.get(10),
        attempts: r.get(11),
        created_at: r.get(12),
        answered_at: r.get(13),
    }
}

impl SqliteWebStore {
    async fn save_inquiry(&self, q: &Inquiry) -> Result<bool, StoreError> {
        let q = q.clone();
        self.db
            .write(move |c| {
                let n = c.execute(
                    &super::numbered(UPSERT),
                    rusqlite::params![
                        q.request_id,
                        q.tenant,
                        q.login_id,
                        q.insurer_number,
                        q.branch,
                        q.task,
                        q.info,
                        q.provider,
                        q.kind,
                        q.answer,
                        q.record,
                        q.attempts,
                        q.created_at,
                        q.answered_at
                    ],
                )?;
                Ok(n == 1)
            })
            .await
    }

    async fn inquiry(&self, tenant: &str, id: &str) -> Result<Option<Inquiry>, StoreError> {
        use rusqlite::OptionalExtension;
        let (tenant, id) = (tenant.to_owned(), id.to_owned());
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    &format!(
                        "SELECT {COLUMNS} FROM inquiries WHERE tenant = ?1 AND request_id = ?2"
                    ),
                    [tenant, id],
                    sqlite_row,
                )
                .optional()?)
            })
            .await
    }

    async fn inquiries(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Inquiry>, i64), StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |c| super::sqlite::page_of(c, &LIST, &tenant, page, sqlite_row))
            .await
    }
}

impl PgWebStore {
    async fn save_inquiry(&self, q: &Inquiry) -> Result<bool, StoreError> {
        let n = self
            .db
            .client()
            .await?
            .execute(
                UPSERT,
                &[
                    &q.request_id,
                    &q.tenant,
                    &q.login_id,
                    &q.insurer_number,
                    &q.branch,
                    &q.task,
                    &q.info,
                    &q.provider,
                    &q.kind,
                    &q.answer,
                    &q.record,
                    &q.attempts,
                    &q.created_at,
                    &q.answered_at,
                ],
            )
            .await?;
        Ok(n == 1)
    }

    async fn inquiry(&self, tenant: &str, id: &str) -> Result<Option<Inquiry>, StoreError> {
        let row = self
            .db
            .client()
            .await?
            .query_opt(
                &format!("SELECT {COLUMNS} FROM inquiries WHERE tenant = $1 AND request_id = $2"),
                &[&tenant, &id],
            )
            .await?;
        Ok(row.as_ref().map(pg_row))
    }

    async fn inquiries(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Inquiry>, i64), StoreError> {
        self.page_of(&LIST, tenant, page, |r| Ok(pg_row(r))).await
    }
}
