//! The steps of a 副本 commit on PostgreSQL ([`CommitTx`]), inside one transaction under the
//! (tenant, kind) advisory lock: the session row locked, a delta's current records read and
//! written a page at a time through key arrays.

use deadpool_postgres::Transaction;
use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, RowError, VersionInfo};
use tokio_postgres::types::ToSql;

use super::i;
use super::read::{keyed, latest, staged};
use crate::fuhon::delta::{Staged, Write};
use crate::fuhon::store::commit::{ChunkTotals, CommitTx};
use crate::fuhon::store::sql::*;
use crate::fuhon::store::{errors_from, state_from, CurrentMap, SessionState};

/// One session's commit inside the transaction `tx`.
pub(super) struct PgCommit<'a> {
    pub tx: &'a Transaction<'a>,
    pub tenant: &'a str,
    pub session: &'a str,
    pub kind: FuhonKind,
}

impl CommitTx for PgCommit<'_> {
    async fn session_state(&self) -> Result<Option<SessionState>, StoreError> {
        let row = self
            .tx
            .query_opt(
                "SELECT state FROM fuhon_sessions WHERE tenant = $1 AND session = $2 FOR UPDATE",
                &[&self.tenant, &self.session],
            )
            .await?;
        Ok(row.map(|r| state_from(r.get(0))))
    }

    async fn chunk_totals(&self) -> Result<ChunkTotals, StoreError> {
        let t = self
            .tx
            .query_one(&pg(SQL_CHUNK_TOTALS), &[&self.tenant, &self.session])
            .await?;
        Ok(ChunkTotals {
            chunks: t.get::<_, i64>(0) as u32,
            rows: t.get::<_, i64>(1) as u64,
            bad: t.get::<_, i64>(2) as u64,
        })
    }

    async fn chunk_errors(&self) -> Result<Vec<RowError>, StoreError> {
        let mut errors = Vec::new();
        for r in self
            .tx
            .query(&pg(SQL_ALL_CHUNK_ERRORS), &[&self.tenant, &self.session])
            .await?
        {
            errors.extend(errors_from(r.get(0))?);
        }
        Ok(errors)
    }

    async fn latest(&self) -> Result<Option<VersionInfo>, StoreError> {
        latest(self.tx, self.tenant, self.kind).await
    }

    async fn duplicates(&self) -> Result<Vec<(u64, String, String)>, StoreError> {
        Ok(self
            .tx
            .query(&pg(SQL_DUPLICATES), &[&self.tenant, &self.session])
            .await?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1), r.get(2)))
            .collect())
    }

    async fn close_unmatched(&self, version: u64) -> Result<u64, StoreError> {
        // Hash or merge anti-joins only, for this and the full commit's next two statements: with
        // the statistics of freshly filled tables the planner may pick a nested loop that scans
        // the 副本 once per staged row.
        self.tx
            .batch_execute("SET LOCAL enable_nestloop = off")
            .await?;
        self.full_step(SQL_FULL_CLOSE, version).await
    }

    async fn insert_unmatched(&self, version: u64) -> Result<u64, StoreError> {
        self.full_step(SQL_FULL_INSERT, version).await
    }

    async fn count_replaced(&self, version: u64) -> Result<u64, StoreError> {
        let (kind, v) = (self.kind.code(), i(version));
        let args: [&(dyn ToSql + Sync); 4] = [&self.tenant, &kind, &self.session, &v];
        let row = self.tx.query_one(&pg(SQL_FULL_CHANGED), &args).await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn staged_page(&self, after: u64, limit: usize) -> Result<Vec<Staged>, StoreError> {
        self.tx
            .query(
                &pg(SQL_STAGED_PAGE),
                &[&self.tenant, &self.session, &i(after), &(limit as i64)],
            )
            .await?
            .iter()
            .map(staged)
            .collect()
    }

    async fn current_of(&self, rows: &[Staged]) -> Result<CurrentMap, StoreError> {
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        let mut out: CurrentMap = keys.iter().map(|k| (k.to_string(), None)).collect();
        for r in self
            .tx
            .query(
                "SELECT key, from_version, insured, branch, fields FROM fuhon_records
                 WHERE tenant = $1 AND kind = $2 AND key = ANY($3) AND to_version IS NULL",
                &[&self.tenant, &self.kind.code(), &keys],
            )
            .await?
        {
            let (key, current) = keyed(&r);
            out.insert(key, Some(current));
        }
        Ok(out)
    }

    async fn apply_writes(&self, version: u64, writes: &[Write]) -> Result<(), StoreError> {
        let (tenant, kind, version) = (self.tenant, self.kind.code(), i(version));
        let w = Batches::of(writes);
        if !w.close.is_empty() {
            self.tx.execute(
                "UPDATE fuhon_records SET to_version = $4 WHERE tenant = $1 AND kind = $2 AND key = ANY($3) AND to_version IS NULL",
                &[&tenant, &kind, &w.close, &version],
            )
            .await?;
        }
        if !w.remove.is_empty() {
            self.tx.execute(
                "DELETE FROM fuhon_records WHERE tenant = $1 AND kind = $2 AND key = ANY($3) AND from_version = $4",
                &[&tenant, &kind, &w.remove, &version],
            )
            .await?;
        }
        if !w.keys.is_empty() {
            self.tx.execute(
                "INSERT INTO fuhon_records (tenant, kind, key, from_version, to_version, insured, branch, fields)
                 SELECT $1, $2, k, $3, NULL, i, b, f FROM UNNEST($4::text[], $5::text[], $6::text[], $7::text[]) AS u(k, i, b, f)",
                &[&tenant, &kind, &version, &w.keys, &w.insured, &w.branches, &w.fields],
            )
            .await?;
        }
        Ok(())
    }

    async fn insert_version(&self, info: &VersionInfo) -> Result<(), StoreError> {
        self.tx
            .execute(
                &pg(SQL_INSERT_VERSION),
                &[
                    &self.tenant,
                    &self.kind.code(),
                    &i(info.version),
                    &self.session,
                    &info.mode.code(),
                    &info.digest,
                    &info.as_of,
                    &info.committed_at,
                    &i(info.records),
                    &i(info.added),
                    &i(info.changed),
                    &i(info.deleted),
                    &i(info.unchanged),
                ],
            )
            .await?;
        Ok(())
    }

    async fn mark_done(&self, version: Option<u64>) -> Result<(), StoreError> {
        self.tx
            .execute(
                &pg(SQL_MARK_DONE),
                &[&self.tenant, &self.session, &version.map(i)],
            )
            .await?;
        Ok(())
    }
}

impl PgCommit<'_> {
    /// One set-based statement of a full commit; returns the rows it wrote.
    async fn full_step(&self, sql: &str, version: u64) -> Result<u64, StoreError> {
        let (kind, v) = (self.kind.code(), i(version));
        let args: [&(dyn ToSql + Sync); 4] = [&self.tenant, &kind, &self.session, &v];
        Ok(self.tx.execute(&pg(sql), &args).await?)
    }
}

/// A page of a delta's writes as the key arrays of three statements: the closes, the removals,
/// and the inserted records column by column.
#[derive(Default)]
struct Batches<'w> {
    close: Vec<&'w str>,
    remove: Vec<&'w str>,
    keys: Vec<&'w str>,
    insured: Vec<&'w str>,
    branches: Vec<&'w str>,
    fields: Vec<&'w str>,
}

impl<'w> Batches<'w> {
    fn of(writes: &'w [Write]) -> Batches<'w> {
        let mut b = Batches::default();
        for w in writes {
            match w {
                Write::Close { key } => b.close.push(key.as_str()),
                Write::Remove { key } => b.remove.push(key.as_str()),
                Write::Insert { key, record } => {
                    b.keys.push(key.as_str());
                    b.insured.push(record.insured.as_str());
                    b.branches.push(record.branch.as_str());
                    b.fields.push(record.fields.as_str());
                }
            }
        }
        b
    }
}
