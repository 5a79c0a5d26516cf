//! PostgreSQL engine of the 副本 tables: chunks are staged with binary COPY; a commit is one
//! transaction under a per-(tenant, kind) advisory lock, set-based for a full file and chunked
//! (batched by key arrays) for a delta. Tables lead with `tenant` so they distribute by insurer.

use deadpool_postgres::GenericClient;
use renkei_store::postgres::Postgres;
use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, RowError, UploadMode};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::commit::commit;
use super::sql::*;
use super::{
    errors_from, errors_json, header_json, now, stale_before, Committed, Hook, Session, Started,
};
use crate::fuhon::delta::Staged;

#[path = "postgres_commit.rs"]
mod commit_tx;
#[path = "postgres_read.rs"]
mod read;

use commit_tx::PgCommit;
use read::latest;

pub(crate) const PG_MIGRATION: &str = "
CREATE TABLE fuhon_sessions (
    tenant TEXT NOT NULL, session TEXT NOT NULL, kind TEXT NOT NULL, mode TEXT NOT NULL, digest TEXT NOT NULL,
    insurer_number TEXT NOT NULL, file_name TEXT NOT NULL, header TEXT NOT NULL, as_of TEXT NOT NULL,
    state TEXT NOT NULL, created_at TEXT NOT NULL, version BIGINT,
    PRIMARY KEY (tenant, session)
);
CREATE TABLE fuhon_chunks (
    tenant TEXT NOT NULL, session TEXT NOT NULL, seq BIGINT NOT NULL, rows BIGINT NOT NULL,
    errors BIGINT NOT NULL, error_list TEXT NOT NULL,
    PRIMARY KEY (tenant, session, seq)
);
CREATE TABLE fuhon_staging (
    tenant TEXT NOT NULL, session TEXT NOT NULL, line BIGINT NOT NULL, op BIGINT NOT NULL, key TEXT NOT NULL,
    insured TEXT NOT NULL, branch TEXT NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (tenant, session, line)
);
CREATE INDEX fuhon_staging_key ON fuhon_staging (tenant, session, key);
CREATE TABLE fuhon_versions (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, version BIGINT NOT NULL, session TEXT NOT NULL, mode TEXT NOT NULL,
    digest TEXT NOT NULL, as_of TEXT NOT NULL, committed_at TEXT NOT NULL, records BIGINT NOT NULL,
    added BIGINT NOT NULL, changed BIGINT NOT NULL, deleted BIGINT NOT NULL, unchanged BIGINT NOT NULL,
    PRIMARY KEY (tenant, kind, version)
);
CREATE TABLE fuhon_records (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, from_version BIGINT NOT NULL, to_version BIGINT,
    insured TEXT NOT NULL, branch TEXT NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, key, from_version)
);
CREATE UNIQUE INDEX fuhon_records_current ON fuhon_records (tenant, kind, key) WHERE to_version IS NULL;
CREATE INDEX fuhon_records_closed ON fuhon_records (tenant, kind, to_version) WHERE to_version IS NOT NULL;
CREATE INDEX fuhon_records_branch ON fuhon_records (tenant, kind, branch);
";

pub struct PgFuhon {
    db: Postgres,
}

fn i(n: u64) -> i64 {
    n as i64
}

impl PgFuhon {
    pub fn new(db: Postgres) -> PgFuhon {
        PgFuhon { db }
    }

    pub async fn start(&self, tenant: &str, session: &Session) -> Result<Started, StoreError> {
        let mut client = self.db.client().await?;
        let stale: Vec<String> = client
            .query(&pg(SQL_STALE_SESSIONS), &[&tenant, &stale_before()])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for id in stale {
            drop_session(&mut client, tenant, &id).await?;
        }
        let tx = client.transaction().await?;
        lock(&tx, self.db.schema(), tenant, session.kind).await?;
        if let Some(latest) = latest(&tx, tenant, session.kind).await? {
            if session.mode != UploadMode::Check {
                if latest.digest == session.digest && latest.mode == session.mode {
                    return Ok(Started::Already(latest));
                }
                if session.as_of < latest.as_of {
                    return Ok(Started::AsOfBeforeLatest(latest.as_of));
                }
            }
        }
        tx.execute(
            &pg(SQL_INSERT_SESSION),
            &[
                &tenant,
                &session.id,
                &session.kind.code(),
                &session.mode.code(),
                &session.digest,
                &session.insurer_number,
                &session.file_name,
                &header_json(&session.header),
                &session.as_of,
                &now(),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Started::Open)
    }

    pub async fn stage(
        &self,
        tenant: &str,
        session: &str,
        seq: u32,
        rows: Vec<Staged>,
        errors: Vec<RowError>,
    ) -> Result<Vec<RowError>, StoreError> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!(
                "fuhon-chunk:{}:{tenant}:{session}:{seq}",
                self.db.schema()
            )],
        )
        .await?;
        if let Some(row) = tx
            .query_opt(&pg(SQL_CHUNK_ERRORS), &[&tenant, &session, &i(seq.into())])
            .await?
        {
            return errors_from(row.get(0));
        }
        if !rows.is_empty() {
            use Type as T;
            let sink = tx
                .copy_in("COPY fuhon_staging (tenant, session, line, op, key, insured, branch, fields) FROM STDIN BINARY")
                .await?;
            let types = [
                T::TEXT,
                T::TEXT,
                T::INT8,
                T::INT8,
                T::TEXT,
                T::TEXT,
                T::TEXT,
                T::TEXT,
            ];
            let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
            for r in &rows {
                let row: [&(dyn ToSql + Sync); 8] = [
                    &tenant,
                    &session,
                    &i(r.line),
                    &r.op.code(),
                    &r.key,
                    &r.insured,
                    &r.branch,
                    &r.fields,
                ];
                writer.as_mut().write(&row).await?;
            }
            writer.finish().await?;
        }
        let bad: std::collections::HashSet<u64> = errors.iter().map(|e| e.line).collect();
        tx.execute(
            &pg(SQL_INSERT_CHUNK),
            &[
                &tenant,
                &session,
                &i(seq.into()),
                &i((rows.len() + bad.len()) as u64),
                &i(bad.len() as u64),
                &errors_json(&errors),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(errors)
    }

    pub async fn commit(
        &self,
        tenant: &str,
        session: &Session,
        chunks: u32,
        rows: u64,
        hook: Hook,
    ) -> Result<Committed, StoreError> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        lock(&tx, self.db.schema(), tenant, session.kind).await?;
        let steps = PgCommit {
            tx: &tx,
            tenant,
            session: &session.id,
            kind: session.kind,
        };
        let outcome = commit(&steps, session, chunks, rows, &hook).await?;
        if outcome.commits_transaction() {
            tx.commit().await?;
        } else {
            drop(tx);
        }
        if outcome.drops_staging() {
            client
                .execute(&pg(SQL_DELETE_STAGING), &[&tenant, &session.id])
                .await?;
        }
        Ok(outcome)
    }

    pub async fn discard(&self, tenant: &str, session: &str) -> Result<(), StoreError> {
        let mut client = self.db.client().await?;
        drop_session(&mut client, tenant, session).await
    }
}

/// One commit (or start) at a time per (tenant, kind). Advisory locks are database-wide, so the
/// key names the schema too.
async fn lock(
    client: &impl GenericClient,
    schema: &str,
    tenant: &str,
    kind: FuhonKind,
) -> Result<(), StoreError> {
    client
        .execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("fuhon:{schema}:{tenant}:{}", kind.code())],
        )
        .await?;
    Ok(())
}

async fn drop_session(
    client: &mut deadpool_postgres::Object,
    tenant: &str,
    session: &str,
) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute(&pg(SQL_DELETE_STAGING), &[&tenant, &session])
        .await?;
    tx.execute(&pg(SQL_DELETE_CHUNKS), &[&tenant, &session])
        .await?;
    tx.execute(&pg(SQL_DELETE_SESSION), &[&tenant, &session])
        .await?;
    tx.commit().await?;
    Ok(())
}
