//! An agency's store, on SQLite or PostgreSQL: its residents (宛名番号 → its own 機関別符号)
//! and what it holds about them (符号, 特定個人情報コード → items as JSON). No 個人番号 rests
//! here: the agency used the numbers only to obtain its 符号 from the hub. Both engines pass
//! the same suite (`tests/store.rs`).
//!
//! The storage idiom of renkei: one trait per concern ([`Residents`]), one adapter per engine
//! beside it ([`sqlite::SqliteResidents`], [`postgres::PgResidents`]), and the store a URL
//! names ([`Store`]) implementing the trait by handing each call to its engine
//! ([`renkei_store::by_engine`]).

use std::future::Future;

use renkei_store::{by_engine, StoreError, StoreUrl};
use renkei_wire::msg::hub::Fugo;

use crate::holdings::Items;

mod postgres;
mod sqlite;

pub use postgres::PgResidents;
pub use sqlite::SqliteResidents;

/// A resident to record, with everything held about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResident {
    pub atena: String,
    pub fugo: Fugo,
    pub holdings: Vec<(String, Items)>,
}

/// The agency's residents, by its own 符号, and what it holds about them.
pub trait Residents: Send + Sync {
    /// Records residents and their holdings in one transaction; a resident already recorded
    /// is replaced (its holdings too), so loading again is harmless.
    fn upsert_residents(
        &self,
        residents: Vec<NewResident>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// This agency's 符号 of the resident with 宛名番号 `atena`.
    fn fugo_of(&self, atena: &str)
        -> impl Future<Output = Result<Option<Fugo>, StoreError>> + Send;

    /// What is held under `info` about the resident with this agency's 符号 `fugo`.
    fn holding(
        &self,
        fugo: &Fugo,
        info: &str,
    ) -> impl Future<Output = Result<Option<Items>, StoreError>> + Send;

    /// Number of residents.
    fn count(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// The store a URL names.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteResidents),
    Postgres(PgResidents),
}

impl Store {
    pub async fn open(url: &StoreUrl) -> Result<Store, StoreError> {
        Ok(match url {
            StoreUrl::Sqlite(path) => Store::Sqlite(SqliteResidents::open(path).await?),
            StoreUrl::Postgres { conn, schema } => {
                Store::Postgres(PgResidents::connect(conn, schema).await?)
            }
        })
    }

    /// The engine, for this agency's own record of its exchanges ([`renkei_ledger::party`]).
    pub fn engine(&self) -> renkei_ledger::party::Engine {
        match self {
            Store::Sqlite(s) => renkei_ledger::party::Engine::Sqlite(s.db.clone()),
            Store::Postgres(s) => renkei_ledger::party::Engine::Postgres(s.db.clone()),
        }
    }
}

impl Residents for Store {
    async fn upsert_residents(&self, residents: Vec<NewResident>) -> Result<(), StoreError> {
        by_engine!(self, Store, s => s.upsert_residents(residents).await)
    }

    async fn fugo_of(&self, atena: &str) -> Result<Option<Fugo>, StoreError> {
        by_engine!(self, Store, s => s.fugo_of(atena).await)
    }

    async fn holding(&self, fugo: &Fugo, info: &str) -> Result<Option<Items>, StoreError> {
        by_engine!(self, Store, s => s.holding(fugo, info).await)
    }

    async fn count(&self) -> Result<u64, StoreError> {
        by_engine!(self, Store, s => s.count().await)
    }
}

fn json(items: &Items) -> String {
    serde_json::to_string(items).expect("a map of strings")
}

fn items(text: &str) -> Result<Items, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt("holdings.items".into()))
}
