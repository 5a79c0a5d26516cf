//! The look-ups inquiries need in the subscriber tables, on both engines: 枝番 → the
//! insurer's 符号 (asking) and 符号 → 枝番 (answering the hub). The migration adds the index
//! the second one needs.

use renkei_store::StoreError;
use rusqlite::OptionalExtension;

use crate::store::Store;

/// Appended to both engines' migration lists (same SQL on both).
pub const MIGRATION: &str = "CREATE INDEX subscribers_fugo ON subscribers (tenant, fugo);";

/// The tenant's 符号 of the subscriber with 枝番 `branch`.
pub async fn fugo_of_branch(
    store: &Store,
    tenant: &str,
    branch: &str,
) -> Result<Option<String>, StoreError> {
    one(store, "SELECT fugo FROM subscribers WHERE tenant = $1 AND branch = $2", tenant, branch).await
}

/// The 枝番 of the tenant's subscriber with 符号 `fugo`.
pub async fn branch_of_fugo(
    store: &Store,
    tenant: &str,
    fugo: &str,
) -> Result<Option<String>, StoreError> {
    one(store, "SELECT branch FROM subscribers WHERE tenant = $1 AND fugo = $2", tenant, fugo).await
}

/// One text column of at most one row, with two text parameters (`$1`, `$2` — SQLite reads
/// them as numbered parameters too).
async fn one(store: &Store, sql: &'static str, a: &str, b: &str) -> Result<Option<String>, StoreError> {
    match store {
        Store::Sqlite(s) => {
            let (a, b) = (a.to_owned(), b.to_owned());
            s.db.read(move |conn| -> Result<_, StoreError> {
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
                .query_opt(&stmt, &[&a, &b])
                .await?
                .map(|r| r.try_get(0))
                .transpose()?)
        }
    }
}
