//! The steps of a 副本 commit on SQLite ([`CommitTx`]), inside one IMMEDIATE transaction on the
//! writer thread: cached prepared statements, a delta's current records probed and written one
//! key at a time.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use rusqlite::{params, Connection, OptionalExtension};

use super::read::{latest, staged};
use crate::fuhon::delta::{Current, Staged, Write};
use crate::fuhon::store::commit::{ChunkTotals, CommitTx};
use crate::fuhon::store::sql::*;
use crate::fuhon::store::{errors_from, state_from, CurrentMap, SessionState};
use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, RowError, VersionInfo};

/// One session's commit inside the transaction `tx`.
pub(super) struct SqliteCommit<'a> {
    pub tx: &'a Connection,
    pub tenant: &'a str,
    pub session: &'a str,
    pub kind: FuhonKind,
}

/// Runs the commit on the calling (writer) thread. Every step of [`SqliteCommit`] is a blocking
/// call that is done when it returns, so the commit never waits and one poll finishes it.
pub(super) fn run_blocking<T>(commit: impl Future<Output = T>) -> T {
    match pin!(commit).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("a SQLite commit step waited"),
    }
}

impl CommitTx for SqliteCommit<'_> {
    async fn session_state(&self) -> Result<Option<SessionState>, StoreError> {
        let state: Option<String> = self
            .tx
            .query_row(
                "SELECT state FROM fuhon_sessions WHERE tenant = ?1 AND session = ?2",
                params![self.tenant, self.session],
                |r| r.get(0),
            )
            .optional()?;
        Ok(state.as_deref().map(state_from))
    }

    async fn chunk_totals(&self) -> Result<ChunkTotals, StoreError> {
        let totals =
            self.tx
                .query_row(SQL_CHUNK_TOTALS, params![self.tenant, self.session], |r| {
                    Ok(ChunkTotals {
                        chunks: r.get(0)?,
                        rows: r.get(1)?,
                        bad: r.get(2)?,
                    })
                })?;
        Ok(totals)
    }

    async fn chunk_errors(&self) -> Result<Vec<RowError>, StoreError> {
        let mut stmt = self.tx.prepare_cached(SQL_ALL_CHUNK_ERRORS)?;
        let lists = stmt.query_map(params![self.tenant, self.session], |r| {
            r.get::<_, String>(0)
        })?;
        let mut errors = Vec::new();
        for list in lists {
            errors.extend(errors_from(&list?)?);
        }
        Ok(errors)
    }

    async fn latest(&self) -> Result<Option<VersionInfo>, StoreError> {
        latest(self.tx, self.tenant, self.kind)
    }

    async fn duplicates(&self) -> Result<Vec<(u64, String, String)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(SQL_DUPLICATES)?;
        let rows = stmt.query_map(params![self.tenant, self.session], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    async fn close_unmatched(&self, version: u64) -> Result<u64, StoreError> {
        self.full_step(SQL_FULL_CLOSE, version)
    }

    async fn insert_unmatched(&self, version: u64) -> Result<u64, StoreError> {
        self.full_step(SQL_FULL_INSERT, version)
    }

    async fn count_replaced(&self, version: u64) -> Result<u64, StoreError> {
        let args = params![self.tenant, self.kind.code(), self.session, version];
        Ok(self.tx.query_row(SQL_FULL_CHANGED, args, |r| r.get(0))?)
    }

    async fn staged_page(&self, after: u64, limit: usize) -> Result<Vec<Staged>, StoreError> {
        let mut stmt = self.tx.prepare_cached(SQL_STAGED_PAGE)?;
        let rows = stmt.query_map(
            params![self.tenant, self.session, after, limit as u64],
            staged,
        )?;
        rows.collect::<Result<Result<Vec<_>, _>, _>>()?
    }

    async fn current_of(&self, rows: &[Staged]) -> Result<CurrentMap, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT from_version, insured, branch, fields FROM fuhon_records
             WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND to_version IS NULL",
        )?;
        let mut out = CurrentMap::new();
        for r in rows {
            if out.contains_key(&r.key) {
                continue;
            }
            let found = stmt
                .query_row(params![self.tenant, self.kind.code(), r.key], |r| {
                    Ok(Current {
                        from_version: r.get(0)?,
                        insured: r.get(1)?,
                        branch: r.get(2)?,
                        fields: r.get(3)?,
                    })
                })
                .optional()?;
            out.insert(r.key.clone(), found);
        }
        Ok(out)
    }

    async fn apply_writes(&self, version: u64, writes: &[Write]) -> Result<(), StoreError> {
        let (tx, tenant, kind) = (self.tx, self.tenant, self.kind.code());
        let mut close = tx.prepare_cached(
            "UPDATE fuhon_records SET to_version = ?4 WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND to_version IS NULL",
        )?;
        let mut remove = tx.prepare_cached(
            "DELETE FROM fuhon_records WHERE tenant = ?1 AND kind = ?2 AND key = ?3 AND from_version = ?4",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO fuhon_records (tenant, kind, key, from_version, to_version, insured, branch, fields)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7)",
        )?;
        for w in writes {
            match w {
                Write::Close { key } => close.execute(params![tenant, kind, key, version])?,
                Write::Remove { key } => remove.execute(params![tenant, kind, key, version])?,
                Write::Insert { key, record } => insert.execute(params![
                    tenant,
                    kind,
                    key,
                    version,
                    record.insured,
                    record.branch,
                    record.fields
                ])?,
            };
        }
        Ok(())
    }

    async fn insert_version(&self, info: &VersionInfo) -> Result<(), StoreError> {
        self.tx.execute(
            SQL_INSERT_VERSION,
            params![
                self.tenant,
                self.kind.code(),
                info.version,
                self.session,
                info.mode.code(),
                info.digest,
                info.as_of,
                info.committed_at,
                info.records,
                info.added,
                info.changed,
                info.deleted,
                info.unchanged
            ],
        )?;
        Ok(())
    }

    async fn mark_done(&self, version: Option<u64>) -> Result<(), StoreError> {
        self.tx
            .execute(SQL_MARK_DONE, params![self.tenant, self.session, version])?;
        Ok(())
    }
}

impl SqliteCommit<'_> {
    /// One set-based statement of a full commit; returns the rows it wrote.
    fn full_step(&self, sql: &str, version: u64) -> Result<u64, StoreError> {
        let args = params![self.tenant, self.kind.code(), self.session, version];
        Ok(self.tx.execute(sql, args)? as u64)
    }
}
