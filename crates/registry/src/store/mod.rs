//! The registry's store: one table of residents keyed by the keyed hash of the 個人番号, with
//! the number's sealed copy beside it, on SQLite or PostgreSQL.
//!
//! [`Store`] chooses the engine from the store URL and holds the [`Protection`] keys, so
//! callers pass and receive plain [`MyNumber`]s while only hashes and ciphertext reach disk.
//! Both engines pass the same suite (`tests/it/store.rs`).

mod postgres;
mod sqlite;

use std::collections::HashSet;
use std::sync::Arc;

use renkei_core::{Date, MyNumber, ResidentCode, Sex};
use renkei_store::{StoreError, StoreUrl};
use renkei_wire::msg::registry::{CurrentResident, ResidentIdentity};

use crate::changes::{Municipality, Report, Verdict};
use crate::domain::{Protection, ResidentRecord};
use crate::history::{ChangeError, HistoryEntry, ResidentChange};
use crate::index::{prepare_all, Prepared, SearchIndex};
use crate::jlis::LogEntry;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// The registry's residents, on one engine, with the in-memory [`SearchIndex`] that the
/// store keeps in step with every write it makes.
#[derive(Clone)]
pub struct Store {
    engine: Engine,
    index: Arc<SearchIndex>,
}

#[derive(Clone)]
enum Engine {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match &$self.engine {
            Engine::Sqlite($s) => $call,
            Engine::Postgres($s) => $call,
        }
    };
}

/// A record ready for either engine: the look-up key and sealed copy are computed once, off
/// the async threads.
pub(crate) struct Encoded {
    key: [u8; 32],
    sealed: Vec<u8>,
    record: ResidentRecord,
}

/// A resident as read back for the search index.
pub(crate) struct IndexRow {
    pub(crate) number: MyNumber,
    pub(crate) name: String,
    pub(crate) kana: String,
    pub(crate) birth: Date,
    pub(crate) sex: Sex,
    pub(crate) address: String,
    pub(crate) removed: bool,
}

/// Where a scan of the residents stopped: a SQLite rowid or a PostgreSQL look-up key.
#[derive(Clone)]
pub(crate) enum ScanCursor {
    Row(i64),
    Key(Vec<u8>),
}

/// Rows read per batch when the index is built.
pub(crate) const SCAN_BATCH: usize = 50_000;

impl Store {
    /// Opens the store at `url` (PostgreSQL schema `registry` unless the URL names one),
    /// applies its migrations and builds the search index from the residents it holds.
    pub async fn open(url: &StoreUrl, protection: Protection) -> Result<Store, StoreError> {
        let engine = match url {
            StoreUrl::Sqlite(path) => Engine::Sqlite(SqliteStore::open(path, protection).await?),
            StoreUrl::Postgres { conn, schema } => {
                Engine::Postgres(PgStore::connect(conn, schema, protection).await?)
            }
        };
        let store = Store {
            engine,
            index: Arc::new(SearchIndex::new()),
        };
        store.build_index().await?;
        Ok(store)
    }

    /// Reads every resident into the search index, a batch at a time.
    async fn build_index(&self) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let mut after = None;
        loop {
            let (rows, last) = dispatch!(self, s => s.scan(after.clone(), SCAN_BATCH).await)?;
            if rows.is_empty() {
                break;
            }
            let removed: Vec<MyNumber> = rows
                .iter()
                .filter(|r| r.removed)
                .map(|r| r.number.clone())
                .collect();
            let prepared = tokio::task::spawn_blocking(move || {
                prepare_all(&rows, |r| {
                    Prepared::new(&r.number, &r.name, &r.kana, r.birth, r.sex, &r.address)
                })
            })
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.index.upsert(prepared);
            self.index.set_removed(&removed, true);
            after = last;
        }
        if !self.index.is_empty() {
            tracing::info!(
                residents = self.index.len(),
                seconds = started.elapsed().as_secs_f64(),
                "search index built"
            );
        }
        Ok(())
    }

    /// The keyed hash of a 個人番号 in hexadecimal: what the look-up log records instead of
    /// the number.
    pub fn number_key_hex(&self, number: &MyNumber) -> String {
        hex::encode(dispatch!(self, s => s.protection()).number_key(number))
    }

    pub fn engine(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite(_) => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }

    /// The search index over the residents (kept in step with every write of this store).
    pub fn index(&self) -> &SearchIndex {
        &self.index
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
        let (rows, prepared) = encode(dispatch!(self, s => s.protection()), records).await?;
        let (written, dropped) = dispatch!(self, s => s.upsert(rows).await)?;
        for number in &dropped {
            self.index.remove(number);
        }
        self.index.upsert(prepared);
        Ok(written)
    }

    /// 本人確認情報 for each number, in order; `None` for numbers not registered.
    pub async fn identities(
        &self,
        numbers: &[MyNumber],
    ) -> Result<Vec<Option<ResidentIdentity>>, StoreError> {
        dispatch!(self, s => s.identities(numbers.to_vec()).await)
    }

    /// Current 基本4情報 and 消除 (with its reason) for each number, in order.
    pub async fn current(
        &self,
        numbers: &[MyNumber],
    ) -> Result<Vec<Option<CurrentResident>>, StoreError> {
        dispatch!(self, s => s.current(numbers.to_vec()).await)
    }

    /// 住民票コード for each number, in order; `None` for numbers not registered.
    pub async fn resident_codes(
        &self,
        numbers: &[MyNumber],
    ) -> Result<Vec<Option<ResidentCode>>, StoreError> {
        dispatch!(self, s => s.resident_codes(numbers.to_vec()).await)
    }

    /// Records (or with `None` clears) the 消除 date of residents, without a reason and without
    /// history; returns rows changed. [`Store::record_change`] is the path with history.
    pub async fn set_removed(
        &self,
        numbers: &[MyNumber],
        on: Option<Date>,
    ) -> Result<u64, StoreError> {
        let changed = dispatch!(self, s => s.set_removed(numbers.to_vec(), on).await)?;
        self.index.set_removed(numbers, on.is_some());
        Ok(changed)
    }

    /// Applies a 転居, 氏名変更 or 消除 to the resident with `number` and appends it to their
    /// history, in one transaction. Returns `false` when no such resident is held; a change
    /// that would blank an item is refused before anything is written.
    pub async fn record_change(
        &self,
        number: &MyNumber,
        change: &ResidentChange,
    ) -> Result<bool, ChangeError> {
        change.validate().map_err(ChangeError::Invalid)?;
        let after = dispatch!(self, s => s.record_change(number.clone(), change.clone()).await)?;
        let Some(row) = after else {
            return Ok(false);
        };
        let removed = row.removed;
        let prepared = tokio::task::spawn_blocking(move || {
            Prepared::new(
                &row.number,
                &row.name,
                &row.kana,
                row.birth,
                row.sex,
                &row.address,
            )
        })
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.index.upsert(vec![prepared]);
        self.index
            .set_removed(std::slice::from_ref(number), removed);
        Ok(true)
    }

    /// Judges and applies a municipality's reported changes in order, in one transaction, and
    /// brings the search index up to date for those applied. A 変更ID this municipality has
    /// reported before is not applied again ([`Verdict::AlreadyApplied`] for the same change,
    /// [`Verdict::ChangeIdReused`] for another); a refused change does not keep its 変更ID.
    pub async fn report_changes(
        &self,
        reporter: &Municipality,
        reports: Vec<Report>,
    ) -> Result<Vec<Verdict>, StoreError> {
        let at = crate::jlis::now_rfc3339();
        let reporter = reporter.clone();
        let judged =
            dispatch!(self, s => s.report_changes(reporter.clone(), reports, at.clone()).await)?;
        let mut verdicts = Vec::with_capacity(judged.len());
        let mut now = Vec::new();
        for (verdict, row) in judged {
            verdicts.push(verdict);
            now.extend(row);
        }
        if !now.is_empty() {
            let removed: Vec<MyNumber> = now
                .iter()
                .filter(|r| r.removed)
                .map(|r| r.number.clone())
                .collect();
            let prepared = tokio::task::spawn_blocking(move || {
                prepare_all(&now, |r| {
                    Prepared::new(&r.number, &r.name, &r.kana, r.birth, r.sex, &r.address)
                })
            })
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            self.index.upsert(prepared);
            self.index.set_removed(&removed, true);
        }
        Ok(verdicts)
    }

    /// The history of the resident with `number`, oldest first (empty for an unknown number).
    pub async fn history(&self, number: &MyNumber) -> Result<Vec<HistoryEntry>, StoreError> {
        dispatch!(self, s => s.history(number.clone()).await)
    }

    /// Appends entries to the look-up log, in one transaction.
    pub async fn append_log(&self, entries: Vec<LogEntry>) -> Result<(), StoreError> {
        dispatch!(self, s => s.append_log(entries).await)
    }

    /// The last `limit` entries of the look-up log, oldest first.
    pub async fn recent_log(&self, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        dispatch!(self, s => s.recent_log(limit).await)
    }

    /// Reads back the 個人番号 of the resident with `code` from its sealed copy.
    pub async fn number_of(&self, code: &ResidentCode) -> Result<Option<MyNumber>, StoreError> {
        match &self.engine {
            Engine::Sqlite(s) => s.number_of(code.clone()).await,
            Engine::Postgres(s) => s.number_of(code).await,
        }
    }

    /// Number of residents held.
    pub async fn count(&self) -> Result<u64, StoreError> {
        dispatch!(self, s => s.count().await)
    }

    /// Releases memory a bulk load left in the store's write path (SQLite's writer page
    /// cache); call after loading many residents.
    pub async fn release_memory(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.release_memory().await)
    }
}

/// Computes each record's look-up key and sealed copy off the async threads (on several
/// cores for a large batch) and keeps the last record of each person.
pub(crate) async fn encode(
    protection: &Protection,
    records: Vec<ResidentRecord>,
) -> Result<(Vec<Encoded>, Vec<Prepared>), StoreError> {
    let p = protection.clone();
    tokio::task::spawn_blocking(move || {
        let rows = last_wins(encode_blocking(&p, records));
        let prepared = prepare_all(&rows, |row| {
            let r = &row.record;
            Prepared::new(&r.my_number, &r.name, &r.kana, r.birth, r.sex, &r.address)
        });
        (rows, prepared)
    })
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
