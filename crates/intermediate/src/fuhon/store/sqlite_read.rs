//! The read side of the SQLite 副本 tables: the tenant and session look-ups of an upload,
//! drift pages, versions and the records of a version, and the row decoders they share with
//! the commit.

use std::collections::HashMap;

use renkei_store::StoreError;
use renkei_wire::msg::fuhon::{FuhonKind, VersionInfo};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::SqliteFuhon;
use crate::fuhon::delta::{Current, Staged};
use crate::fuhon::drift::Keyed;
use crate::fuhon::store::sql::*;
use crate::fuhon::store::{
    drift_bound, header_from, kind_from, mode_from, op_from, state_from, tenant_numbers,
    DriftInput, Session, STEP_ROWS,
};

impl SqliteFuhon {
    pub async fn tenant_numbers(
        &self,
        insurer_number: &str,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let number = insurer_number.to_owned();
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(SQL_TENANT_NUMBERS)?;
                let rows = stmt.query_map([&number], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(tenant_numbers(rows.collect::<Result<_, _>>()?))
            })
            .await
    }

    pub async fn session(&self, tenant: &str, id: &str) -> Result<Option<Session>, StoreError> {
        let (tenant, id) = (tenant.to_owned(), id.to_owned());
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(SQL_SESSION)?;
                let mut rows = stmt.query([&tenant, &id])?;
                rows.next()?.map(session).transpose()
            })
            .await
    }

    pub async fn branches(
        &self,
        tenant: &str,
        insured: Vec<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT branch FROM subscribers WHERE tenant = ?1 AND insured_number = ?2",
                )?;
                let mut out = HashMap::new();
                for n in insured {
                    if let Some(branch) = stmt
                        .query_row([&tenant, &n], |r| r.get::<_, String>(0))
                        .optional()?
                    {
                        out.insert(n, branch);
                    }
                }
                Ok(out)
            })
            .await
    }

    pub async fn drift_input(
        &self,
        tenant: &str,
        session: &Session,
        after: &str,
    ) -> Result<DriftInput, StoreError> {
        let (tenant, session, after) = (tenant.to_owned(), session.clone(), after.to_owned());
        self.db
            .read(move |conn| {
                let version = latest(conn, &tenant, session.kind)?.map(|v| v.version);
                let mut master = {
                    let mut stmt = conn.prepare_cached(SQL_MASTER_PAGE)?;
                    let rows = stmt
                        .query_map(params![tenant, session.id, after, STEP_ROWS as u64], staged)?;
                    rows.collect::<Result<Result<Vec<_>, _>, _>>()??
                };
                let mut fuhon = {
                    let mut stmt = conn.prepare_cached(SQL_CURRENT_PAGE)?;
                    let rows = stmt.query_map(
                        params![tenant, session.kind.code(), after, STEP_ROWS as u64],
                        keyed,
                    )?;
                    rows.collect::<Result<Vec<_>, _>>()?
                };
                let next = drift_bound(&mut master, &mut fuhon);
                Ok(DriftInput {
                    version,
                    master,
                    fuhon,
                    next,
                })
            })
            .await
    }

    pub async fn versions(
        &self,
        tenant: &str,
        kind: FuhonKind,
    ) -> Result<Vec<VersionInfo>, StoreError> {
        let tenant = tenant.to_owned();
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(SQL_VERSIONS)?;
                let rows = stmt.query_map(params![tenant, kind.code()], version_info)?;
                rows.map(|r| r?).collect()
            })
            .await
    }

    pub async fn version_as_of(
        &self,
        tenant: &str,
        kind: FuhonKind,
        as_of: &str,
    ) -> Result<Option<VersionInfo>, StoreError> {
        let (tenant, as_of) = (tenant.to_owned(), as_of.to_owned());
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(SQL_VERSION_AS_OF)?;
                stmt.query_row(params![tenant, kind.code(), as_of], version_info)
                    .optional()?
                    .transpose()
            })
            .await
    }

    pub async fn records_in(
        &self,
        tenant: &str,
        kind: FuhonKind,
        branch: &str,
        version: u64,
    ) -> Result<Vec<Keyed>, StoreError> {
        let (tenant, branch) = (tenant.to_owned(), branch.to_owned());
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(SQL_RECORDS_IN)?;
                let rows = stmt.query_map(params![tenant, kind.code(), branch, version], keyed)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}

pub(super) fn latest(
    conn: &Connection,
    tenant: &str,
    kind: FuhonKind,
) -> Result<Option<VersionInfo>, StoreError> {
    let mut stmt = conn.prepare_cached(SQL_LATEST)?;
    stmt.query_row(params![tenant, kind.code()], version_info)
        .optional()?
        .transpose()
}

fn version_info(r: &Row<'_>) -> rusqlite::Result<Result<VersionInfo, StoreError>> {
    let mode: String = r.get(2)?;
    let kind: String = r.get(11)?;
    let (mode, kind) = match (mode_from(&mode), kind_from(&kind)) {
        (Ok(m), Ok(k)) => (m, k),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    Ok(Ok(VersionInfo {
        kind,
        version: r.get(0)?,
        mode,
        digest: r.get(3)?,
        as_of: r.get(4)?,
        committed_at: r.get(5)?,
        records: r.get(6)?,
        added: r.get(7)?,
        changed: r.get(8)?,
        deleted: r.get(9)?,
        unchanged: r.get(10)?,
    }))
}

fn session(r: &Row<'_>) -> Result<Session, StoreError> {
    Ok(Session {
        id: r.get(0)?,
        kind: kind_from(&r.get::<_, String>(1)?)?,
        mode: mode_from(&r.get::<_, String>(2)?)?,
        digest: r.get(3)?,
        insurer_number: r.get(4)?,
        file_name: r.get(5)?,
        header: header_from(&r.get::<_, String>(6)?)?,
        as_of: r.get(7)?,
        state: state_from(&r.get::<_, String>(8)?),
    })
}

pub(super) fn staged(r: &Row<'_>) -> rusqlite::Result<Result<Staged, StoreError>> {
    let op = match op_from(r.get(1)?) {
        Ok(op) => op,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Staged {
        line: r.get(0)?,
        op,
        key: r.get(2)?,
        insured: r.get(3)?,
        branch: r.get(4)?,
        fields: r.get(5)?,
    }))
}

fn keyed(r: &Row<'_>) -> rusqlite::Result<Keyed> {
    Ok((
        r.get(0)?,
        Current {
            from_version: r.get(1)?,
            insured: r.get(2)?,
            branch: r.get(3)?,
            fields: r.get(4)?,
        },
    ))
}
