//! The look-ups inquiries need in the subscriber tables, on both engines: 枝番 → the
//! insurer's 符号 (asking), 符号 → 枝番 (answering the hub) and the person index between
//! tenants. The migration adds the index the second one needs.

use renkei_core::AgencyCode;
use renkei_store::StoreError;
use rusqlite::OptionalExtension;

use crate::store::{sqlite_schema, Store};

/// Appended to both engines' migration lists (same SQL on both). SQLite later indexes the
/// 符号 by prefix instead ([`crate::store::sqlite_schema`]).
pub const MIGRATION: &str = "CREATE INDEX subscribers_fugo ON subscribers (tenant, fugo);";

/// The engine, for the tenants' own record of their exchanges ([`renkei_ledger::party`]).
pub fn engine(store: &Store) -> renkei_ledger::party::Engine {
    match store {
        Store::Sqlite(s) => renkei_ledger::party::Engine::Sqlite(s.db.clone()),
        Store::Postgres(s) => renkei_ledger::party::Engine::Postgres(s.db.clone()),
    }
}

/// The 枝番 of the tenant's subscriber with 符号 `fugo`.
pub async fn branch_of_fugo(
    store: &Store,
    tenant: &str,
    fugo: &str,
) -> Result<Option<String>, StoreError> {
    match store {
        Store::Sqlite(s) => {
            let (a, b) = (tenant.to_owned(), fugo.to_owned());
            s.db.read_point(move |conn| -> Result<_, StoreError> {
                let sql = format!("SELECT branch {}", sqlite_schema::BY_FUGO);
                Ok(conn
                    .prepare_cached(&sql)?
                    .query_row([&a, &b], |r| r.get(0))
                    .optional()?)
            })
            .await
        }
        Store::Postgres(s) => {
            let client = s.db.client().await?;
            let stmt = client
                .prepare_cached("SELECT branch FROM subscribers WHERE tenant = $1 AND fugo = $2")
                .await?;
            Ok(client
                .query_opt(&stmt, &[&tenant, &fugo])
                .await?
                .map(|r| r.try_get(0))
                .transpose()?)
        }
    }
}

/// The person index key (keyed hash of the 個人番号, shared across tenants) of the tenant's
/// subscriber `branch`.
pub async fn person_of_branch(
    store: &Store,
    tenant: &str,
    branch: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let sql = "SELECT person_key FROM subscribers WHERE tenant = $1 AND branch = $2";
    match store {
        Store::Sqlite(s) => {
            let (a, b) = (tenant.to_owned(), branch.to_owned());
            s.db.read_point(move |conn| -> Result<_, StoreError> {
                Ok(conn
                    .prepare_cached(sql)?
                    .query_row([&a, &b], |r| r.get(0))
                    .optional()?)
            })
            .await
        }
        Store::Postgres(s) => {
            let client = s.db.client().await?;
            let stmt = client.prepare_cached(sql).await?;
            Ok(client
                .query_opt(&stmt, &[&tenant, &branch])
                .await?
                .map(|r| r.try_get(0))
                .transpose()?)
        }
    }
}

/// (枝番, 符号) of the person with index key `person` at `tenant`, if a subscriber there.
pub async fn subscriber_of_person(
    store: &Store,
    tenant: &str,
    person: &[u8],
) -> Result<Option<(String, String)>, StoreError> {
    match store {
        Store::Sqlite(s) => {
            let (a, b) = (tenant.to_owned(), person.to_vec());
            s.db.read_point(move |conn| -> Result<_, StoreError> {
                let sql = format!("SELECT branch, fugo {}", sqlite_schema::BY_PERSON);
                Ok(conn
                    .prepare_cached(&sql)?
                    .query_row(rusqlite::params![a, b], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?)
            })
            .await
        }
        Store::Postgres(s) => {
            let client = s.db.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT branch, fugo FROM subscribers WHERE tenant = $1 AND person_key = $2",
                )
                .await?;
            client
                .query_opt(&stmt, &[&tenant, &person])
                .await?
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .transpose()
        }
    }
}

/// Everything asking needs, in one statement: the tenant holding `insurer_number`, its 符号 of
/// the subscriber `branch` (if any), and whether `provider` is a tenant here too.
pub async fn asker_context(
    store: &Store,
    insurer_number: &str,
    branch: &str,
    provider: &str,
) -> Result<Option<(AgencyCode, Option<String>, bool)>, StoreError> {
    let found = asker_row(store, insurer_number, branch, provider).await?;
    found
        .map(|(tenant, fugo, internal)| {
            let tenant = AgencyCode::parse(&tenant)
                .map_err(|e| StoreError::Corrupt(format!("insurer_numbers.tenant: {e}")))?;
            Ok((tenant, fugo, internal))
        })
        .transpose()
}

async fn asker_row(
    store: &Store,
    insurer_number: &str,
    branch: &str,
    provider: &str,
) -> Result<Option<(String, Option<String>, bool)>, StoreError> {
    let sql = "SELECT n.tenant,
                      (SELECT s.fugo FROM subscribers s WHERE s.tenant = n.tenant AND s.branch = $2),
                      EXISTS (SELECT 1 FROM tenants t WHERE t.code = $3)
               FROM insurer_numbers n WHERE n.insurer_number = $1";
    match store {
        Store::Sqlite(s) => {
            let args = [
                insurer_number.to_owned(),
                branch.to_owned(),
                provider.to_owned(),
            ];
            // `?N` binds by number in SQLite (`$N` would bind in order of appearance).
            let sql = sql.replace('$', "?");
            s.db.read_point(move |conn| -> Result<_, StoreError> {
                Ok(conn
                    .prepare_cached(&sql)?
                    .query_row(rusqlite::params![args[0], args[1], args[2]], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?)
            })
            .await
        }
        Store::Postgres(s) => {
            let client = s.db.client().await?;
            let stmt = client.prepare_cached(sql).await?;
            client
                .query_opt(&stmt, &[&insurer_number, &branch, &provider])
                .await?
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .transpose()
        }
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
