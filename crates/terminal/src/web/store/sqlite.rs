//! The web terminal's tables in embedded SQLite.

use std::path::Path;

use renkei_store::sqlite::{Sqlite, Tuning};
use renkei_store::StoreError;
use rusqlite::{params, OptionalExtension, Row};

use super::*;

pub struct SqliteWebStore {
    pub(super) db: Sqlite,
}

fn account_from(r: &Row) -> rusqlite::Result<Account> {
    Ok(Account {
        login_id: r.get(0)?,
        tenant: r.get(1)?,
        display_name: r.get(2)?,
        roles: roles_list(&r.get::<_, String>(3)?),
        password_hash: r.get(4)?,
        active: r.get(5)?,
        created_at: r.get(6)?,
    })
}

fn upload_from(r: &Row) -> rusqlite::Result<(Upload, String)> {
    let status: String = r.get(5)?;
    Ok((
        Upload {
            id: r.get(0)?,
            tenant: r.get(1)?,
            insurer_number: r.get(2)?,
            login_id: r.get(3)?,
            file_name: r.get(4)?,
            status: UploadStatus::Running,
            rows_total: r.get(6)?,
            rows_done: r.get(7)?,
            registered: r.get(8)?,
            held: r.get(9)?,
            error: r.get(10)?,
            parent_id: r.get(11)?,
            parent_line: r.get(12)?,
            created_at: r.get(13)?,
            finished_at: r.get(14)?,
        },
        status,
    ))
}

fn with_status((mut upload, status): (Upload, String)) -> Result<Upload, StoreError> {
    upload.status = UploadStatus::parse(&status)?;
    Ok(upload)
}

/// One page of `list` for `tenant`, and the tenant's total.
pub(super) fn page_of<T>(
    c: &rusqlite::Connection,
    list: &Listing,
    tenant: &str,
    page: PageQuery,
    map: impl FnMut(&Row) -> rusqlite::Result<T>,
) -> Result<(Vec<T>, i64), StoreError> {
    let total: i64 = c.query_row(&numbered(&list.count_sql()), [tenant], |r| r.get(0))?;
    let mut stmt = c.prepare(&numbered(&list.page_sql(&page)))?;
    let rows = stmt.query_map(params![tenant, page.limit, page.offset], map)?;
    Ok((rows.collect::<Result<Vec<_>, _>>()?, total))
}

impl SqliteWebStore {
    pub fn open(path: &Path) -> Result<SqliteWebStore, StoreError> {
        let migrations = migrations("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER");
        let migrations: Vec<&str> = migrations.iter().map(String::as_str).collect();
        // Small tables: a few MiB of cache is plenty.
        let tuning = Tuning {
            writer_cache_kib: 4096,
            reader_cache_kib: 4096,
        };
        Ok(SqliteWebStore {
            db: Sqlite::open_with(path, &migrations, tuning)?,
        })
    }

    pub async fn create_account(&self, a: &Account) -> Result<bool, StoreError> {
        let a = a.clone();
        self.db
            .write(move |c| {
                let n = c.execute(
                    &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (login_id) DO NOTHING"),
                    params![a.login_id, a.tenant, a.display_name, roles_text(&a.roles), a.password_hash, a.active, a.created_at],
                )?;
                Ok(n == 1)
            })
            .await
    }

    pub async fn account(&self, login_id: &str) -> Result<Option<Account>, StoreError> {
        let login_id = login_id.to_owned();
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login_id = ?1"),
                    [login_id],
                    account_from,
                )
                .optional()?)
            })
            .await
    }

    pub async fn accounts(&self, tenant: &str) -> Result<Vec<Account>, StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE tenant = ?1 ORDER BY login_id"
                ))?;
                let rows = stmt.query_map([tenant], account_from)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    pub async fn update_account(
        &self,
        tenant: &str,
        login_id: &str,
        display_name: &str,
        roles: &[String],
        active: bool,
    ) -> Result<bool, StoreError> {
        let (tenant, login_id, name, roles) = (
            tenant.to_owned(),
            login_id.to_owned(),
            display_name.to_owned(),
            roles_text(roles),
        );
        self.db
            .write(move |c| {
                let n = c.execute(
                    "UPDATE accounts SET display_name = ?3, roles = ?4, active = ?5 WHERE tenant = ?1 AND login_id = ?2",
                    params![tenant, login_id, name, roles, active],
                )?;
                Ok(n == 1)
            })
            .await
    }

    pub async fn set_password(
        &self,
        tenant: &str,
        login_id: &str,
        hash: &str,
    ) -> Result<bool, StoreError> {
        let (tenant, login_id, hash) = (tenant.to_owned(), login_id.to_owned(), hash.to_owned());
        self.db
            .write(move |c| {
                let n = c.execute(
                    "UPDATE accounts SET password_hash = ?3 WHERE tenant = ?1 AND login_id = ?2",
                    params![tenant, login_id, hash],
                )?;
                Ok(n == 1)
            })
            .await
    }

    pub async fn create_session(&self, s: &Session) -> Result<(), StoreError> {
        let s = s.clone();
        self.db
            .write(move |c| {
                // Expired sessions are swept whenever a new one starts.
                c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [s.created_at])?;
                c.execute(
                    "INSERT INTO sessions (token_hash, login_id, tenant, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![s.token_hash, s.login_id, s.tenant, s.csrf, s.created_at, s.expires_at],
                )?;
                Ok(())
            })
            .await
    }

    pub async fn session(&self, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let token_hash = token_hash.to_owned();
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT s.token_hash, s.login_id, s.tenant, s.csrf, s.created_at, s.expires_at
                     FROM sessions s JOIN accounts a ON a.login_id = s.login_id AND a.tenant = s.tenant
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.active",
                    params![token_hash, now],
                    |r| {
                        Ok(Session {
                            token_hash: r.get(0)?,
                            login_id: r.get(1)?,
                            tenant: r.get(2)?,
                            csrf: r.get(3)?,
                            created_at: r.get(4)?,
                            expires_at: r.get(5)?,
                        })
                    },
                )
                .optional()?)
            })
            .await
    }

    pub async fn touch_session(&self, token_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE sessions SET expires_at = ?2 WHERE token_hash = ?1",
                    params![token_hash, expires_at],
                )?;
                Ok(())
            })
            .await
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.db
            .write(move |c| {
                c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
                Ok(())
            })
            .await
    }

    pub async fn delete_sessions_of(&self, login_id: &str) -> Result<(), StoreError> {
        let login_id = login_id.to_owned();
        self.db
            .write(move |c| {
                c.execute("DELETE FROM sessions WHERE login_id = ?1", [login_id])?;
                Ok(())
            })
            .await
    }

    pub async fn append_log(&self, e: &LogEntry) -> Result<(), StoreError> {
        let e = e.clone();
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT INTO office_log (tenant, at, login_id, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![e.tenant, e.at, e.login_id, e.action, e.detail],
                )?;
                Ok(())
            })
            .await
    }

    pub async fn log(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<LogEntry>, i64), StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |c| {
                page_of(c, &LOG_LIST, &tenant, page, |r| {
                    Ok(LogEntry {
                        tenant: r.get(0)?,
                        at: r.get(1)?,
                        login_id: r.get(2)?,
                        action: r.get(3)?,
                        detail: r.get(4)?,
                    })
                })
            })
            .await
    }

    pub async fn insert_upload(&self, u: &Upload) -> Result<(), StoreError> {
        let u = u.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &format!("INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
                    params![u.id, u.tenant, u.insurer_number, u.login_id, u.file_name, u.status.as_str(), u.rows_total, u.rows_done, u.registered, u.held, u.error, u.parent_id, u.parent_line, u.created_at, u.finished_at],
                )?;
                Ok(())
            })
            .await
    }

    pub async fn update_upload(&self, id: &str, p: &UploadProgress) -> Result<(), StoreError> {
        let (id, p) = (id.to_owned(), p.clone());
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE uploads SET status = ?2, rows_total = ?3, rows_done = ?4, registered = ?5, held = ?6, error = ?7, finished_at = ?8 WHERE id = ?1",
                    params![id, p.status.as_str(), p.rows_total, p.rows_done, p.registered, p.held, p.error, p.finished_at],
                )?;
                Ok(())
            })
            .await
    }

    pub async fn upload(&self, tenant: &str, id: &str) -> Result<Option<Upload>, StoreError> {
        let (tenant, id) = (tenant.to_owned(), id.to_owned());
        let row = self
            .db
            .read(move |c| {
                Ok::<_, StoreError>(
                    c.query_row(
                        &format!(
                            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE tenant = ?1 AND id = ?2"
                        ),
                        [tenant, id],
                        upload_from,
                    )
                    .optional()?,
                )
            })
            .await?;
        row.map(with_status).transpose()
    }

    pub async fn uploads(
        &self,
        tenant: &str,
        page: PageQuery,
    ) -> Result<(Vec<Upload>, i64), StoreError> {
        let tenant = tenant.to_owned();
        let (rows, total) = self
            .db
            .read(move |c| page_of(c, &UPLOAD_LIST, &tenant, page, upload_from))
            .await?;
        let rows = rows
            .into_iter()
            .map(with_status)
            .collect::<Result<_, _>>()?;
        Ok((rows, total))
    }

    pub async fn corrections(
        &self,
        tenant: &str,
        parent_id: &str,
    ) -> Result<Vec<Upload>, StoreError> {
        let (tenant, parent_id) = (tenant.to_owned(), parent_id.to_owned());
        let rows = self
            .db
            .read(move |c| {
                let mut stmt = c.prepare(&format!(
                    "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE tenant = ?1 AND parent_id = ?2 ORDER BY created_at, id"
                ))?;
                let rows = stmt.query_map([tenant, parent_id], upload_from)?;
                Ok::<_, StoreError>(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        rows.into_iter().map(with_status).collect()
    }

    pub async fn interrupt_running(&self) -> Result<u64, StoreError> {
        self.db
            .write(|c| {
                Ok(c.execute(
                    "UPDATE uploads SET status = 'interrupted' WHERE status = 'running'",
                    [],
                )? as u64)
            })
            .await
    }
}
