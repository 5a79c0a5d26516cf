//! The web terminal's own tables: staff accounts, their sessions, the office log (what an
//! insurer's office did) and the uploads made through the browser. Every read that a page
//! makes is keyed by the tenant (the insurer's institution code), so one insurer's staff can
//! never reach another's rows. Two engines with the same behaviour, tested by one suite.

mod inquiries;
mod jlis;
mod jobs;
#[cfg(test)]
mod jobs_tests;
mod postgres;
mod sqlite;
#[cfg(test)]
mod tests;
mod throttle;
#[cfg(test)]
mod throttle_tests;

use renkei_store::{StoreError, StoreUrl};

pub use inquiries::Inquiry;
pub use jlis::JlisBatch;
pub use jobs::{Job, JobKind, JobStatus};
pub use postgres::PgWebStore;
pub use sqlite::SqliteWebStore;
pub use throttle::{FailureCount, FailureKind, FailureLimit};

const SCHEMA: &str = "terminal";

/// A member of an insurer's staff (or an operator, whose tenant is [`OPERATOR_TENANT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub login_id: String,
    pub tenant: String,
    pub display_name: String,
    /// Role names (see `auth::StaffRole`), comma-separated in the store.
    pub roles: Vec<String>,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
    pub active: bool,
    pub created_at: i64,
}

/// The pseudo-tenant of the network's operators (the operator page only).
pub const OPERATOR_TENANT: &str = "operator";

/// A signed-in browser: only the SHA-256 of its cookie token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub login_id: String,
    pub tenant: String,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// One line of the office log. `detail` never holds a 個人番号.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub tenant: String,
    pub at: i64,
    pub login_id: String,
    pub action: String,
    pub detail: String,
}

/// An upload of a 加入者情報 file through the browser and how far its registration got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub tenant: String,
    pub insurer_number: String,
    pub login_id: String,
    pub file_name: String,
    pub status: UploadStatus,
    pub rows_total: i64,
    pub rows_done: i64,
    pub registered: i64,
    pub held: i64,
    pub error: String,
    /// For a re-sent correction: the upload and line it corrects.
    pub parent_id: String,
    pub parent_line: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStatus {
    Running,
    Done,
    Failed,
    /// The web terminal stopped while it ran; sending it again continues where it stopped.
    Interrupted,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Running => "running",
            UploadStatus::Done => "done",
            UploadStatus::Failed => "failed",
            UploadStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Result<UploadStatus, StoreError> {
        Ok(match s {
            "running" => UploadStatus::Running,
            "done" => UploadStatus::Done,
            "failed" => UploadStatus::Failed,
            "interrupted" => UploadStatus::Interrupted,
            other => return Err(StoreError::Corrupt(format!("upload status {other}"))),
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            UploadStatus::Running => "処理中",
            UploadStatus::Done => "完了",
            UploadStatus::Failed => "失敗",
            UploadStatus::Interrupted => "中断",
        }
    }
}

/// Progress written back while an upload runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadProgress {
    pub status: UploadStatus,
    pub rows_total: i64,
    pub rows_done: i64,
    pub registered: i64,
    pub held: i64,
    pub error: String,
    pub finished_at: Option<i64>,
}

/// One page of a sorted list. `sort` must come from the page's own list of columns (it is
/// placed into the SQL text), never from the request as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery {
    pub sort: &'static str,
    pub desc: bool,
    pub offset: i64,
    pub limit: i64,
}

impl PageQuery {
    fn order(&self, tiebreak: &str) -> String {
        let dir = if self.desc { "DESC" } else { "ASC" };
        format!("ORDER BY {} {dir}, {tiebreak} {dir}", self.sort)
    }
}

/// A tenant's rows of one table, listed a page at a time (each engine has one `page_of` that
/// runs it): the table, the columns read, the unique column that breaks ties so that pages
/// never overlap, and a fixed condition on the rows (SQL, or empty). Every list page of the
/// terminal reads through one of these.
pub(super) struct Listing {
    pub table: &'static str,
    pub columns: &'static str,
    pub tiebreak: &'static str,
    pub filter: &'static str,
}

impl Listing {
    /// `$1` is the tenant (numbered for SQLite by the engine).
    fn count_sql(&self) -> String {
        format!(
            "SELECT COUNT(*) FROM {} WHERE tenant = $1{}",
            self.table,
            self.and_filter()
        )
    }

    fn and_filter(&self) -> String {
        if self.filter.is_empty() {
            String::new()
        } else {
            format!(" AND {}", self.filter)
        }
    }

    /// `$1` the tenant, `$2` the limit, `$3` the offset.
    fn page_sql(&self, page: &PageQuery) -> String {
        format!(
            "SELECT {} FROM {} WHERE tenant = $1{} {} LIMIT $2 OFFSET $3",
            self.columns,
            self.table,
            self.and_filter(),
            page.order(self.tiebreak)
        )
    }
}

const LOG_LIST: Listing = Listing {
    table: "office_log",
    columns: "tenant, at, login_id, action, detail",
    tiebreak: "id",
    filter: "",
};

const UPLOAD_LIST: Listing = Listing {
    table: "uploads",
    columns: UPLOAD_COLUMNS,
    tiebreak: "id",
    filter: "",
};

pub enum WebStore {
    Sqlite(SqliteWebStore),
    Postgres(PgWebStore),
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            WebStore::Sqlite($store) => $call,
            WebStore::Postgres($store) => $call,
        }
    };
}

impl WebStore {
    pub async fn open(url: &StoreUrl) -> Result<WebStore, StoreError> {
        Ok(match url {
            StoreUrl::Sqlite(path) => WebStore::Sqlite(SqliteWebStore::open(path)?),
            StoreUrl::Postgres { conn, schema } => {
                WebStore::Postgres(PgWebStore::connect(conn, schema).await?)
            }
        })
    }

    /// Parses `url` with the terminal's default PostgreSQL schema (`terminal`) and opens it.
    pub async fn open_url(url: &str) -> Result<WebStore, StoreError> {
        WebStore::open(&StoreUrl::parse(url, SCHEMA)?).await
    }

    /// Inserts `account` unless its login ID exists; returns whether it was inserted.
    pub async fn create_account(&self, account: &Account) -> Result<bool, StoreError> {
        dispatch!(self, s => s.create_account(account).await)
    }

    pub async fn account(&self, login_id: &str) -> Result<Option<Account>, StoreError> {
        dispatch!(self, s => s.account(login_id).await)
    }

    /// The tenant's accounts, by login ID.
    pub async fn accounts(&self, tenant: &str) -> Result<Vec<Account>, StoreError> {
        dispatch!(self, s => s.accounts(tenant).await)
    }

    /// Changes roles, name and whether the account may sign in; `false` if the tenant has no
    /// such account.
    pub async fn update_account(
        &self,
        tenant: &str,
        login_id: &str,
        display_name: &str,
        roles: &[String],
        active: bool,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.update_account(tenant, login_id, display_name, roles, active).await)
    }

    pub async fn set_password(
        &self,
        tenant: &str,
        login_id: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => s.set_password(tenant, login_id, password_hash).await)
    }

    pub async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        dispatch!(self, s => s.create_session(session).await)
    }

    /// The session with this token hash if it has not expired at `now` and its account is
    /// still active.
    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
        dispatch!(self, s => s.session(token_hash, now).await)
    }

    /// Moves a session's expiry (sliding idle timeout).
    pub async fn touch_session(&self, token_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.touch_session(token_hash, expires_at).await)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete_session(token_hash).await)
    }

    /// Signs an account out everywhere (after a password change or deactivation).
    pub async fn delete_sessions_of(&self, login_id: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.delete_sessions_of(login_id).await)
    }

    pub async fn append_log(&self, entry: &LogEntry) -> Result<(), StoreError> {
        dispatch!(self, s => s.append_log(entry).await)
    }

    /// One page of the tenant's office log and the tenant's total number of entries.
    pub async fn log(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<LogEntry>, i64), StoreError> {
        dispatch!(self, s => s.log(tenant, page).await)
    }

    pub async fn insert_upload(&self, upload: &Upload) -> Result<(), StoreError> {
        dispatch!(self, s => s.insert_upload(upload).await)
    }

    pub async fn update_upload(&self, id: &str, p: &UploadProgress) -> Result<(), StoreError> {
        dispatch!(self, s => s.update_upload(id, p).await)
    }

    /// The tenant's upload `id` (`None` for another tenant's).
    pub async fn upload(&self, tenant: &str, id: &str) -> Result<Option<Upload>, StoreError> {
        dispatch!(self, s => s.upload(tenant, id).await)
    }

    pub async fn uploads(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Upload>, i64), StoreError> {
        dispatch!(self, s => s.uploads(tenant, page).await)
    }

    /// The corrections re-sent from upload `parent_id` of the tenant, oldest first.
    pub async fn corrections(
        &self,
        tenant: &str,
        parent_id: &str,
    ) -> Result<Vec<Upload>, StoreError> {
        dispatch!(self, s => s.corrections(tenant, parent_id).await)
    }

    /// Marks uploads still `running` as interrupted (at start-up: nothing runs yet).
    pub async fn interrupt_running(&self) -> Result<u64, StoreError> {
        dispatch!(self, s => s.interrupt_running().await)
    }
}

/// Both engines use the same DDL apart from the auto-increment of the log.
fn migrations(serial: &str, boolean: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE accounts (
            login_id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL,
            display_name TEXT NOT NULL,
            roles TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            active {boolean} NOT NULL,
            created_at BIGINT NOT NULL
        );
        CREATE INDEX accounts_tenant ON accounts (tenant, login_id);
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            login_id TEXT NOT NULL,
            tenant TEXT NOT NULL,
            csrf TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX sessions_login ON sessions (login_id);
        CREATE TABLE office_log (
            id {serial},
            tenant TEXT NOT NULL,
            at BIGINT NOT NULL,
            login_id TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX office_log_tenant ON office_log (tenant, at);
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL,
            insurer_number TEXT NOT NULL,
            login_id TEXT NOT NULL,
            file_name TEXT NOT NULL,
            status TEXT NOT NULL,
            rows_total BIGINT NOT NULL,
            rows_done BIGINT NOT NULL,
            registered BIGINT NOT NULL,
            held BIGINT NOT NULL,
            error TEXT NOT NULL,
            parent_id TEXT NOT NULL,
            parent_line BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            finished_at BIGINT
        );
        CREATE INDEX uploads_tenant ON uploads (tenant, created_at);"
        ),
        inquiries::MIGRATION.to_owned(),
        jlis::MIGRATION.to_owned(),
        throttle::MIGRATION.to_owned(),
        jobs::MIGRATION.to_owned(),
    ]
}

/// PostgreSQL's `$n` placeholders as SQLite's numbered `?n` (SQLite would number `$n` by order of
/// appearance instead).
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

fn roles_text(roles: &[String]) -> String {
    roles.join(",")
}

fn roles_list(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

const ACCOUNT_COLUMNS: &str =
    "login_id, tenant, display_name, roles, password_hash, active, created_at";
const UPLOAD_COLUMNS: &str = "id, tenant, insurer_number, login_id, file_name, status, rows_total, rows_done, registered, held, error, parent_id, parent_line, created_at, finished_at";
