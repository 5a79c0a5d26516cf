//! renkei-store: the engine plumbing under every system's own store traits.
//!
//! Each system (registry, hub, intermediate, …) defines its store traits and tables itself and
//! implements them twice, for SQLite and for PostgreSQL; this crate only opens the engines the
//! same way everywhere: [`StoreUrl`] chooses the engine from a URL, [`sqlite::Sqlite`] runs
//! blocking SQLite work off the async runtime, [`postgres::Postgres`] pools connections into one
//! schema per system, and both apply a system's ordered migrations. [`testing`] gives the test
//! suites both engines.

pub mod filter;
pub mod postgres;
pub mod sqlite;
pub mod testing;
mod url;

pub use url::StoreUrl;

/// A failure of the storage engine (not of a domain rule).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("接続プール: {0}")]
    Pool(String),
    #[error("保存先の指定が不正です: {0}")]
    Url(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("保存データが不正です: {0}")]
    Corrupt(String),
    #[error("停止処理中のため保存先を読み書きできません")]
    Stopped,
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Pool(e.to_string())
    }
}

/// Hands a call to the engine adapter inside a store enum (`Sqlite(..)` / `Postgres(..)`):
/// the one line by which a URL-chosen store implements its concern traits, each engine's
/// adapter implementing them in full beside it.
///
/// ```ignore
/// impl Residents for Store {
///     async fn count(&self) -> Result<u64, StoreError> {
///         by_engine!(self, Store, s => s.count().await)
///     }
/// }
/// ```
#[macro_export]
macro_rules! by_engine {
    ($value:expr, $store:ident, $adapter:ident => $call:expr) => {
        match $value {
            $store::Sqlite($adapter) => $call,
            $store::Postgres($adapter) => $call,
        }
    };
}
