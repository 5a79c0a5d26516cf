//! The web terminal's tables in PostgreSQL (schema `terminal` unless the URL names another).

use renkei_store::postgres::Postgres;
use renkei_store::StoreError;
use tokio_postgres::Row;

use super::*;

pub struct PgWebStore {
    pub(super) db: Postgres,
}

fn account_from(r: &Row) -> Account {
    Account {
        login_id: r.get(0),
        tenant: r.get(1),
        display_name: r.get(2),
        roles: roles_list(r.get(3)),
        password_hash: r.get(4),
        active: r.get(5),
        created_at: r.get(6),
    }
}

fn upload_from(r: &Row) -> Result<Upload, StoreError> {
    Ok(Upload {
        id: r.get(0),
        tenant: r.get(1),
        insurer_number: r.get(2),
        login_id: r.get(3),
        file_name: r.get(4),
        status: UploadStatus::parse(r.get(5))?,
        rows_total: r.get(6),
        rows_done: r.get(7),
        registered: r.get(8),
        held: r.get(9),
        error: r.get(10),
        parent_id: r.get(11),
        parent_line: r.get(12),
        created_at: r.get(13),
        finished_at: r.get(14),
    })
}

impl PgWebStore {
    /// One page of `list` for `tenant`, and the tenant's total.
    pub(super) async fn page_of<T>(
        &self,
        list: &Listing,
        tenant: &str,
        page: PageQuery,
        map: impl Fn(&Row) -> Result<T, StoreError>,
    ) -> Result<(Vec<T>, i64), StoreError> {
        let client = self.db.client().await?;
        let total: i64 = client
            .query_one(&list.count_sql(), &[&tenant])
            .await?
            .get(0);
        let rows = client
            .query(&list.page_sql(&page), &[&tenant, &page.limit, &page.offset])
            .await?;
        Ok((rows.iter().map(map).collect::<Result<_, _>>()?, total))
    }

    pub async fn connect(conn: &str, schema: &str) -> Result<PgWebStore, StoreError> {
        let migrations = migrations("BIGSERIAL PRIMARY KEY", "BOOLEAN");
        let migrations: Vec<&str> = migrations.iter().map(String::as_str).collect();
        Ok(PgWebStore {
            db: Postgres::connect(conn, schema, &migrations).await?,
        })
    }

    pub async fn create_account(&self, a: &Account) -> Result<bool, StoreError> {
        let n = self
            .db
            .client()
            .await?
            .execute(
                &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login_id) DO NOTHING"),
                &[&a.login_id, &a.tenant, &a.display_name, &roles_text(&a.roles), &a.password_hash, &a.active, &a.created_at],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn account(&self, login_id: &str) -> Result<Option<Account>, StoreError> {
        let row = self
            .db
            .client()
            .await?
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login_id = $1"),
                &[&login_id],
            )
            .await?;
        Ok(row.as_ref().map(account_from))
    }

    pub async fn accounts(&self, tenant: &str) -> Result<Vec<Account>, StoreError> {
        let rows = self
            .db
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE tenant = $1 ORDER BY login_id"
                ),
                &[&tenant],
            )
            .await?;
        Ok(rows.iter().map(account_from).collect())
    }

    pub async fn update_account(
        &self,
        tenant: &str,
        login_id: &str,
        display_name: &str,
        roles: &[String],
        active: bool,
    ) -> Result<bool, StoreError> {
        let n = self
            .db
            .client()
            .await?
            .execute(
                "UPDATE accounts SET display_name = $3, roles = $4, active = $5 WHERE tenant = $1 AND login_id = $2",
                &[&tenant, &login_id, &display_name, &roles_text(roles), &active],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn set_password(
        &self,
        tenant: &str,
        login_id: &str,
        hash: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .db
            .client()
            .await?
            .execute(
                "UPDATE accounts SET password_hash = $3 WHERE tenant = $1 AND login_id = $2",
                &[&tenant, &login_id, &hash],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn create_session(&self, s: &Session) -> Result<(), StoreError> {
        let client = self.db.client().await?;
        client
            .execute(
                "DELETE FROM sessions WHERE expires_at <= $1",
                &[&s.created_at],
            )
            .await?;
        client
            .execute(
                "INSERT INTO sessions (token_hash, login_id, tenant, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&s.token_hash, &s.login_id, &s.tenant, &s.csrf, &s.created_at, &s.expires_at],
            )
            .await?;
        Ok(())
    }

    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let row = self
            .db
            .client()
            .await?
            .query_opt(
                "SELECT s.token_hash, s.login_id, s.tenant, s.csrf, s.created_at, s.expires_at
                 FROM sessions s JOIN accounts a ON a.login_id = s.login_id AND a.tenant = s.tenant
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.active",
                &[&token_hash, &now],
            )
            .await?;
        Ok(row.map(|r| Session {
            token_hash: r.get(0),
            login_id: r.get(1),
            tenant: r.get(2),
            csrf: r.get(3),
            created_at: r.get(4),
            expires_at: r.get(5),
        }))
    }

    pub async fn touch_session(&self, token_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                "UPDATE sessions SET expires_at = $2 WHERE token_hash = $1",
                &[&token_hash, &expires_at],
            )
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .await?;
        Ok(())
    }

    pub async fn delete_sessions_of(&self, login_id: &str) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute("DELETE FROM sessions WHERE login_id = $1", &[&login_id])
            .await?;
        Ok(())
    }

    pub async fn append_log(&self, e: &LogEntry) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                "INSERT INTO office_log (tenant, at, login_id, action, detail) VALUES ($1, $2, $3, $4, $5)",
                &[&e.tenant, &e.at, &e.login_id, &e.action, &e.detail],
            )
            .await?;
        Ok(())
    }

    pub async fn log(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<LogEntry>, i64), StoreError> {
        self.page_of(&LOG_LIST, tenant, page, |r| {
            Ok(LogEntry {
                tenant: r.get(0),
                at: r.get(1),
                login_id: r.get(2),
                action: r.get(3),
                detail: r.get(4),
            })
        })
        .await
    }

    pub async fn insert_upload(&self, u: &Upload) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                &format!("INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"),
                &[&u.id, &u.tenant, &u.insurer_number, &u.login_id, &u.file_name, &u.status.as_str(), &u.rows_total, &u.rows_done, &u.registered, &u.held, &u.error, &u.parent_id, &u.parent_line, &u.created_at, &u.finished_at],
            )
            .await?;
        Ok(())
    }

    pub async fn update_upload(&self, id: &str, p: &UploadProgress) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(
                "UPDATE uploads SET status = $2, rows_total = $3, rows_done = $4, registered = $5, held = $6, error = $7, finished_at = $8 WHERE id = $1",
                &[&id, &p.status.as_str(), &p.rows_total, &p.rows_done, &p.registered, &p.held, &p.error, &p.finished_at],
            )
            .await?;
        Ok(())
    }

    pub async fn upload(&self, tenant: &str, id: &str) -> Result<Option<Upload>, StoreError> {
        let row = self
            .db
            .client()
            .await?
            .query_opt(
                &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE tenant = $1 AND id = $2"),
                &[&tenant, &id],
            )
            .await?;
        row.as_ref().map(upload_from).transpose()
    }

    pub async fn uploads(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Upload>, i64), StoreError> {
        self.page_of(&UPLOAD_LIST, tenant, page, upload_from).await
    }

    pub async fn corrections(
        &self,
        tenant: &str,
        parent_id: &str,
    ) -> Result<Vec<Upload>, StoreError> {
        let rows = self
            .db
            .client()
            .await?
            .query(
                &format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE tenant = $1 AND parent_id = $2 ORDER BY created_at, id"),
                &[&tenant, &parent_id],
            )
            .await?;
        rows.iter().map(upload_from).collect()
    }

    pub async fn interrupt_running(&self) -> Result<u64, StoreError> {
        Ok(self
            .db
            .client()
            .await?
            .execute(
                "UPDATE uploads SET status = 'interrupted' WHERE status = 'running'",
                &[],
            )
            .await?)
    }
}
