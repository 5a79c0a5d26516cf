//! Failed sign-ins, counted per login ID and per client address, and the locks they lead to
//! (see `web::throttle` for the rules). Kept in the store so that a lock outlives a restart of
//! the web terminal and holds for every instance that serves one database.
//!
//! A row is one counter: its failures since `window_start`, and `locked_until` (0 when not
//! locked). A row whose window has passed and whose lock has ended means nothing more and is
//! swept when the next failure is counted.

use renkei_store::StoreError;

use super::{numbered, PgWebStore, SqliteWebStore, WebStore};

pub(super) const MIGRATION: &str = "CREATE TABLE login_failures (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    PRIMARY KEY (kind, subject)
);";

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Failures for one login ID (known or not).
    LoginId,
    /// Failures from one client address, whatever the login ID.
    Address,
}

impl FailureKind {
    fn as_str(self) -> &'static str {
        match self {
            FailureKind::LoginId => "login_id",
            FailureKind::Address => "address",
        }
    }
}

/// How many failures within how long lock a counter, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimit {
    pub max_failures: i64,
    pub window_secs: i64,
    pub lock_secs: i64,
}

/// A counter after one more failure: the failures in its window and, once they reach the
/// limit, the end of the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: i64,
    pub locked_until: Option<i64>,
}

/// One more failure. The counter starts afresh when its window has passed or its lock ended;
/// reaching the limit locks it until `now + lock_secs`. Both engines run this one statement.
/// `$3` now, `$4` the limit, `$5` the earliest window start still counted, `$6` the end of a
/// lock that starts now, `$7` the lock of a fresh counter (a limit of 1 locks at once).
const COUNT: &str =
    "INSERT INTO login_failures AS f (kind, subject, failures, window_start, locked_until)
    VALUES ($1, $2, 1, $3, $7)
    ON CONFLICT (kind, subject) DO UPDATE SET
    failures = CASE WHEN f.window_start < $5 OR (f.locked_until > 0 AND f.locked_until <= $3)
        THEN 1 ELSE f.failures + 1 END,
    window_start = CASE WHEN f.window_start < $5 OR (f.locked_until > 0 AND f.locked_until <= $3)
        THEN $3 ELSE f.window_start END,
    locked_until = CASE
        WHEN f.window_start < $5 OR (f.locked_until > 0 AND f.locked_until <= $3) THEN $7
        WHEN f.failures + 1 >= $4 THEN $6
        ELSE f.locked_until END
    RETURNING failures, locked_until";
const SWEEP: &str = "DELETE FROM login_failures WHERE window_start < $1 AND locked_until <= $2";
const LOCKED: &str =
    "SELECT locked_until FROM login_failures WHERE kind = $1 AND subject = $2 AND locked_until > $3";
const CLEAR: &str = "DELETE FROM login_failures WHERE kind = $1 AND subject = $2";
const LOCKED_ACCOUNTS: &str = "SELECT f.subject, f.locked_until FROM login_failures f
    JOIN accounts a ON a.login_id = f.subject
    WHERE f.kind = 'login_id' AND a.tenant = $1 AND f.locked_until > $2
    ORDER BY f.subject";

/// The parameters of [`COUNT`] after kind and subject.
fn count_params(now: i64, limit: FailureLimit) -> [i64; 5] {
    let lock_end = now + limit.lock_secs;
    let fresh_lock = if limit.max_failures <= 1 { lock_end } else { 0 };
    [
        now,
        limit.max_failures,
        now - limit.window_secs,
        lock_end,
        fresh_lock,
    ]
}

fn count_from(failures: i64, locked_until: i64, now: i64) -> FailureCount {
    FailureCount {
        failures,
        locked_until: (locked_until > now).then_some(locked_until),
    }
}

impl WebStore {
    /// Counts one failed sign-in for `subject`.
    pub async fn count_login_failure(
        &self,
        kind: FailureKind,
        subject: &str,
        now: i64,
        limit: FailureLimit,
    ) -> Result<FailureCount, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.count_login_failure(kind, subject, now, limit).await,
            WebStore::Postgres(s) => s.count_login_failure(kind, subject, now, limit).await,
        }
    }

    /// The end of `subject`'s lock, if it is locked at `now`.
    pub async fn login_locked_until(
        &self,
        kind: FailureKind,
        subject: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.login_locked_until(kind, subject, now).await,
            WebStore::Postgres(s) => s.login_locked_until(kind, subject, now).await,
        }
    }

    /// Forgets `subject`'s failures and lifts its lock (a successful sign-in, an unlock).
    pub async fn clear_login_failures(
        &self,
        kind: FailureKind,
        subject: &str,
    ) -> Result<(), StoreError> {
        match self {
            WebStore::Sqlite(s) => s.clear_login_failures(kind, subject).await,
            WebStore::Postgres(s) => s.clear_login_failures(kind, subject).await,
        }
    }

    /// The tenant's accounts locked at `now` and the end of each lock, by login ID.
    pub async fn locked_accounts(
        &self,
        tenant: &str,
        now: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        match self {
            WebStore::Sqlite(s) => s.locked_accounts(tenant, now).await,
            WebStore::Postgres(s) => s.locked_accounts(tenant, now).await,
        }
    }
}

impl SqliteWebStore {
    async fn count_login_failure(
        &self,
        kind: FailureKind,
        subject: &str,
        now: i64,
        limit: FailureLimit,
    ) -> Result<FailureCount, StoreError> {
        let subject = subject.to_owned();
        let [now, max, floor, lock_end, fresh] = count_params(now, limit);
        self.db
            .write(move |c| {
                c.execute(&numbered(SWEEP), [floor, now])?;
                let (failures, locked_until) = c.query_row(
                    &numbered(COUNT),
                    rusqlite::params![kind.as_str(), subject, now, max, floor, lock_end, fresh],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                Ok(count_from(failures, locked_until, now))
            })
            .await
    }

    async fn login_locked_until(
        &self,
        kind: FailureKind,
        subject: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        use rusqlite::OptionalExtension;
        let subject = subject.to_owned();
        self.db
            .read(move |c| {
                Ok(c.query_row(
                    &numbered(LOCKED),
                    rusqlite::params![kind.as_str(), subject, now],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await
    }

    async fn clear_login_failures(
        &self,
        kind: FailureKind,
        subject: &str,
    ) -> Result<(), StoreError> {
        let subject = subject.to_owned();
        self.db
            .write(move |c| {
                c.execute(&numbered(CLEAR), rusqlite::params![kind.as_str(), subject])?;
                Ok(())
            })
            .await
    }

    async fn locked_accounts(
        &self,
        tenant: &str,
        now: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |c| {
                let mut stmt = c.prepare(&numbered(LOCKED_ACCOUNTS))?;
                let rows = stmt.query_map(rusqlite::params![tenant, now], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}

impl PgWebStore {
    async fn count_login_failure(
        &self,
        kind: FailureKind,
        subject: &str,
        now: i64,
        limit: FailureLimit,
    ) -> Result<FailureCount, StoreError> {
        let [now, max, floor, lock_end, fresh] = count_params(now, limit);
        let client = self.db.client().await?;
        client.execute(SWEEP, &[&floor, &now]).await?;
        let row = client
            .query_one(
                COUNT,
                &[
                    &kind.as_str(),
                    &subject,
                    &now,
                    &max,
                    &floor,
                    &lock_end,
                    &fresh,
                ],
            )
            .await?;
        Ok(count_from(row.get(0), row.get(1), now))
    }

    async fn login_locked_until(
        &self,
        kind: FailureKind,
        subject: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = self
            .db
            .client()
            .await?
            .query_opt(LOCKED, &[&kind.as_str(), &subject, &now])
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn clear_login_failures(
        &self,
        kind: FailureKind,
        subject: &str,
    ) -> Result<(), StoreError> {
        self.db
            .client()
            .await?
            .execute(CLEAR, &[&kind.as_str(), &subject])
            .await?;
        Ok(())
    }

    async fn locked_accounts(
        &self,
        tenant: &str,
        now: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self
            .db
            .client()
            .await?
            .query(LOCKED_ACCOUNTS, &[&tenant, &now])
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
