//! The hub's store of links between an agency's view of a person and their 機関別符号:
//! (agency, number_key) → (person_key, 符号, issued_at), on SQLite or PostgreSQL.
//!
//! Only keyed hashes and 符号 rest here — never a 個人番号 or a 住民票コード. Inserting is
//! idempotent: a link that exists (same agency and number, or same agency and 符号) is left
//! as it is, so a resent or interrupted batch changes nothing. Both engines pass the same
//! suite (`tests/it/store.rs`).

mod log;
mod postgres;
mod sqlite;

use renkei_store::{StoreError, StoreUrl};
use renkei_wire::msg::hub::Fugo;

use crate::domain::AgencyCode;
use renkei_ledger::record_log::{Checkpoint, Entry};

pub use log::{LogHead, StoredLog};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The hub's links, on one engine.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// A link to record for one agency.
#[derive(Clone)]
pub struct NewLink {
    pub number_key: [u8; 32],
    pub person_key: [u8; 32],
    pub fugo: Fugo,
}

impl Store {
    /// Opens the store at `url` (PostgreSQL schema `hub` unless the URL names one) and applies
    /// its migrations.
    pub async fn open(url: &StoreUrl) -> Result<Store, StoreError> {
        Ok(match url {
            StoreUrl::Sqlite(path) => Store::Sqlite(SqliteStore::open(path).await?),
            StoreUrl::Postgres { conn, schema } => {
                Store::Postgres(PgStore::connect(conn, schema).await?)
            }
        })
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// The 符号 already issued to `agency` for each look-up key, in order.
    pub async fn find_links(
        &self,
        agency: &AgencyCode,
        keys: &[[u8; 32]],
    ) -> Result<Vec<Option<Fugo>>, StoreError> {
        match self {
            Store::Sqlite(s) => s.find_links(agency.clone(), keys.to_vec()).await,
            Store::Postgres(s) => s.find_links(agency, keys).await,
        }
    }

    /// Records links for `agency` in one transaction, leaving existing ones as they are;
    /// returns how many were new.
    pub async fn insert_links(
        &self,
        agency: &AgencyCode,
        links: Vec<NewLink>,
    ) -> Result<u64, StoreError> {
        if links.is_empty() {
            return Ok(0);
        }
        match self {
            Store::Sqlite(s) => s.insert_links(agency.clone(), links).await,
            Store::Postgres(s) => s.insert_links(agency, links).await,
        }
    }

    /// The person key behind an agency's 符号 (the first step of 符号変換).
    pub async fn person_of(
        &self,
        agency: &AgencyCode,
        fugo: &Fugo,
    ) -> Result<Option<[u8; 32]>, StoreError> {
        let key = match self {
            Store::Sqlite(s) => s.person_of(agency.clone(), fugo.clone()).await?,
            Store::Postgres(s) => s.person_of(agency, fugo).await?,
        };
        key.map(|k| {
            <[u8; 32]>::try_from(k.as_slice()).map_err(|_| StoreError::Corrupt("person_key".into()))
        })
        .transpose()
    }

    /// Number of links held.
    pub async fn count(&self) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.count().await,
            Store::Postgres(s) => s.count().await,
        }
    }

    /// Appends entries of the 情報提供等記録 and the checkpoints covering them, in one
    /// transaction. Only the hub's log writer calls it, in chain order.
    pub async fn append_log(
        &self,
        entries: Vec<Entry>,
        checkpoints: Vec<Checkpoint>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() && checkpoints.is_empty() {
            return Ok(());
        }
        match self {
            Store::Sqlite(s) => s.append_log(entries, checkpoints).await,
            Store::Postgres(s) => s.append_log(&entries, &checkpoints).await,
        }
    }

    /// The entries already recorded for (asker, request id): at most one with a final outcome
    /// (first) and at most one `unavailable`.
    pub async fn recorded(&self, asker: &str, request_id: &str) -> Result<Vec<Entry>, StoreError> {
        match self {
            Store::Sqlite(s) => s.recorded(asker.to_owned(), request_id.to_owned()).await,
            Store::Postgres(s) => s.recorded(asker, request_id).await,
        }
    }

    /// The last entry and the last checkpointed sequence number, to resume the writer.
    pub async fn log_head(&self) -> Result<LogHead, StoreError> {
        match self {
            Store::Sqlite(s) => s.log_head().await,
            Store::Postgres(s) => s.log_head().await,
        }
    }

    /// The whole log, for `renkei audit verify`.
    pub async fn read_log(&self) -> Result<StoredLog, StoreError> {
        match self {
            Store::Sqlite(s) => s.read_log().await,
            Store::Postgres(s) => s.read_log().await,
        }
    }
}
