//! The read side of the PostgreSQL 副本 tables: the tenant and session look-ups of an upload,
//! drift pages, versions and the records of a version, and the row decoders they share with
//! the commit.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, VersionInfo};
use tokio_postgres::Row;

use super::{i, PgFuhon};
use crate::fuhon::delta::{Current, Staged};
use crate::fuhon::drift::Keyed;
use crate::fuhon::store::sql::*;
use crate::fuhon::store::{
    drift_bound, header_from, kind_from, mode_from, op_from, state_from, tenant_numbers,
    DriftInput, Session, STEP_ROWS,
};

impl PgFuhon {
    pub async fn tenant_numbers(
        &self,
        insurer_number: &str,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let client = self.db.client().await?;
        let rows = client
            .query(&pg(SQL_TENANT_NUMBERS), &[&insurer_number])
            .await?;
        Ok(tenant_numbers(
            rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
        ))
    }

    pub async fn session(&self, tenant: &str, id: &str) -> Result<Option<Session>, StoreError> {
        let client = self.db.client().await?;
        client
            .query_opt(&pg(SQL_SESSION), &[&tenant, &id])
            .await?
            .as_ref()
            .map(session)
            .transpose()
    }

    pub async fn branches(
        &self,
        tenant: &str,
        insured: Vec<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        let client = self.db.client().await?;
        let rows = client
            .query(
                "SELECT insured_number, branch FROM subscribers WHERE tenant = $1 AND insured_number = ANY($2)",
                &[&tenant, &insured],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn drift_input(
        &self,
        tenant: &str,
        session: &Session,
        after: &str,
    ) -> Result<DriftInput, StoreError> {
        let client = self.db.client().await?;
        let version = latest(&client, tenant, session.kind)
            .await?
            .map(|v| v.version);
        let limit = STEP_ROWS as i64;
        let mut master = client
            .query(
                &pg(SQL_MASTER_PAGE),
                &[&tenant, &session.id, &after, &limit],
            )
            .await?
            .iter()
            .map(staged)
            .collect::<Result<Vec<_>, _>>()?;
        let mut fuhon: Vec<Keyed> = client
            .query(
                &pg(SQL_CURRENT_PAGE),
                &[&tenant, &session.kind.code(), &after, &limit],
            )
            .await?
            .iter()
            .map(keyed)
            .collect();
        let next = drift_bound(&mut master, &mut fuhon);
        Ok(DriftInput {
            version,
            master,
            fuhon,
            next,
        })
    }

    pub async fn versions(
        &self,
        tenant: &str,
        kind: FuhonKind,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        let client = self.db.client().await?;
        client
            .query(&pg(SQL_VERSIONS), &[&tenant, &kind.code()])
            .await?
            .iter()
            .map(version_info)
            .collect()
    }

    pub async fn version_as_of(
        &self,
        tenant: &str,
        kind: FuhonKind,
        as_of: &str,
    ) -> Result<Option<VersionInfo>, StoreError> {
        let client = self.db.client().await?;
        client
            .query_opt(&pg(SQL_VERSION_AS_OF), &[&tenant, &kind.code(), &as_of])
            .await?
            .as_ref()
            .map(version_info)
            .transpose()
    }

    pub async fn records_in(
        &self,
        tenant: &str,
        kind: FuhonKind,
        branch: &str,
        version: u64,
    ) -> Result<Vec<Keyed>, StoreError> {
        let client = self.db.client().await?;
        Ok(client
            .query(
                &pg(SQL_RECORDS_IN),
                &[&tenant, &kind.code(), &branch, &i(version)],
            )
            .await?
            .iter()
            .map(keyed)
            .collect())
    }
}

pub(super) async fn latest(
    client: &impl GenericClient,
    tenant: &str,
    kind: FuhonKind,
) -> Result<Option<VersionInfo>, StoreError> {
    client
        .query_opt(&pg(SQL_LATEST), &[&tenant, &kind.code()])
        .await?
        .as_ref()
        .map(version_info)
        .transpose()
}

fn version_info(r: &Row) -> Result<VersionInfo, StoreError> {
    let n = |i: usize| r.get::<_, i64>(i) as u64;
    Ok(VersionInfo {
        kind: kind_from(r.get(11))?,
        version: n(0),
        mode: mode_from(r.get(2))?,
        digest: r.get(3),
        as_of: r.get(4),
        committed_at: r.get(5),
        records: n(6),
        added: n(7),
        changed: n(8),
        deleted: n(9),
        unchanged: n(10),
    })
}

fn session(r: &Row) -> Result<Session, StoreError> {
    Ok(Session {
        id: r.get(0),
        kind: kind_from(r.get(1))?,
        mode: mode_from(r.get(2))?,
        digest: r.get(3),
        insurer_number: r.get(4),
        file_name: r.get(5),
        header: header_from(r.get(6))?,
        as_of: r.get(7),
        state: state_from(r.get(8)),
    })
}

pub(super) fn staged(r: &Row) -> Result<Staged, StoreError> {
    Ok(Staged {
        line: r.get::<_, i64>(0) as u64,
        op: op_from(r.get(1))?,
        key: r.get(2),
        insured: r.get(3),
        branch: r.get(4),
        fields: r.get(5),
    })
}

pub(super) fn keyed(r: &Row) -> (String, Current) {
    (
        r.get(0),
        Current {
            from_version: r.get::<_, i64>(1) as u64,
            insured: r.get(2),
            branch: r.get(3),
            fields: r.get(4),
        },
    )
}
