//! The registry's store: one table of residents keyed by the keyed hash of the 個人番号, with
//! the number's sealed copy beside it, on SQLite or PostgreSQL.
//!
//! [`Store`] chooses the engine from the store URL and holds the [`Protection`] keys, so
//! callers pass and receive plain [`MyNumber`]s while only hashes and ciphertext reach disk.
//! Both engines pass the same suite (`tests/it/store.rs`).

mod postgres;
mod sqlite;

use std::collections::HashSet;

use renkei_core::{Date, MyNumber, ResidentCode};
use renkei_store::{StoreError, StoreUrl};
use renkei_wire::msg::registry::ResidentIdentity;

use crate::domain::{Protection, ResidentRecord};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The registry's residents, on one engine.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// A record ready for either engine: the look-up key and sealed copy are computed once, off
/// the async threads.
pub(crate) struct Encoded {
    key: [u8; 32],
    sealed: Vec<u8>,
    record: ResidentRecord,
}

impl Store {
    /// Opens the store at `url` (PostgreSQL schema `registry` unless the URL names one) and
    /// applies its migrations.
    pub async fn open(url: &StoreUrl, protection: Protection) -> Result<Store, StoreError> {
        Ok(match url {
            StoreUrl::Sqlite(path) => Store::Sqlite(SqliteStore::open(path, protection).await?),
            StoreUrl::Postgres { conn, schema } => {
                Store::Postgres(PgStore::connect(conn, schema, protection).await?)
            }
        })
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Inserts or updates residents (by 個人番号) in one transaction; returns how many were
    /// written. Re-loading a person updates their row; a 住民票コード that arrives with a new
    /// 個人番号 (番号の変更) replaces the row of the old number; within one batch the last
    /// record of a person wins. 消除 dates are kept.
    pub async fn upsert_residents(&self, records: &[ResidentRecord]) -> Result<u64, StoreError> {
        self.upsert_owned(records.to_vec()).await
    }

    /// Like [`Store::upsert_residents`], taking the batch by value (the CSV loader's path).
    pub async fn upsert_owned(&self, records: Vec<ResidentRecord>) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.upsert(records).await,
            Store::Postgres(s) => s.upsert(records).await,
        }
    }

    /// 本人確認情報 for each number, in order; `None` for numbers not registered.
    pub async fn identities(
        &self,
        numbers: &[MyNumber],
    ) -> Result<Vec<Option<ResidentIdentity>>, StoreError> {
        match self {
            Store::Sqlite(s) => s.identities(numbers.to_vec()).await,
            Store::Postgres(s) => s.identities(numbers.to_vec()).await,
        }
    }

    /// 住民票コード for each number, in order; `None` for numbers not registered.
    pub async fn resident_codes(
        &self,
        numbers: &[MyNumber],
    ) -> Result<Vec<Option<ResidentCode>>, StoreError> {
        match self {
            Store::Sqlite(s) => s.resident_codes(numbers.to_vec()).await,
            Store::Postgres(s) => s.resident_codes(numbers.to_vec()).await,
        }
    }

    /// Records (or with `None` clears) the 消除 date of residents; returns rows changed.
    pub async fn set_removed(
        &self,
        numbers: &[MyNumber],
        on: Option<Date>,
    ) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.set_removed(numbers.to_vec(), on).await,
            Store::Postgres(s) => s.set_removed(numbers.to_vec(), on).await,
        }
    }

    /// Reads back the 個人番号 of the resident with `code` from its sealed copy.
    pub async fn number_of(&self, code: &ResidentCode) -> Result<Option<MyNumber>, StoreError> {
        match self {
            Store::Sqlite(s) => s.number_of(code.clone()).await,
            Store::Postgres(s) => s.number_of(code).await,
        }
    }

    /// Number of residents held.
    pub async fn count(&self) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => s.count().await,
            Store::Postgres(s) => s.count().await,
        }
    }
}

/// Computes each record's look-up key and sealed copy off the async threads (on several
/// cores for a large batch) and keeps the last record of each person.
pub(crate) async fn encode(
    protection: &Protection,
    records: Vec<ResidentRecord>,
) -> Result<Vec<Encoded>, StoreError> {
    let p = protection.clone();
    tokio::task::spawn_blocking(move || last_wins(encode_blocking(&p, records)))
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn encode_blocking(p: &Protection, records: Vec<ResidentRecord>) -> Vec<Encoded> {
    let protect = |r: &ResidentRecord| {
        let key = p.number_key(&r.my_number);
        (key, p.seal(&r.my_number, &key))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let crypto: Vec<([u8; 32], Vec<u8>)> = if threads < 2 || records.len() < 2_000 {
        records.iter().map(protect).collect()
    } else {
        std::thread::scope(|scope| {
            let workers: Vec<_> = records
                .chunks(records.len().div_ceil(threads))
                .map(|chunk| scope.spawn(move || chunk.iter().map(protect).collect::<Vec<_>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("encoding thread"))
                .collect()
        })
    };
    records
        .into_iter()
        .zip(crypto)
        .map(|(record, (key, sealed))| Encoded {
            key,
            sealed,
            record,
        })
        .collect()
}

/// Keeps the last occurrence of each 個人番号 and each 住民票コード in a batch, as applying the
/// batch row by row would: a set-based upsert may touch each row only once.
pub(crate) fn last_wins(rows: Vec<Encoded>) -> Vec<Encoded> {
    let mut keep: Vec<bool> = {
        let mut keys = HashSet::with_capacity(rows.len());
        let mut codes = HashSet::with_capacity(rows.len());
        rows.iter()
            .rev()
            .map(|r| keys.insert(r.key) & codes.insert(r.record.resident_code.expose()))
            .collect()
    };
    keep.reverse();
    rows.into_iter()
        .zip(keep)
        .filter_map(|(row, keep)| keep.then_some(row))
        .collect()
}

/// Opens a sealed copy read from the store, as a store error if it does not open.
pub(crate) fn open_sealed(
    p: &Protection,
    sealed: &[u8],
    key: &[u8],
) -> Result<MyNumber, StoreError> {
    p.open(sealed, key)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}
