//! Residents on embedded SQLite: bulk loads run in one transaction with prepared
//! statements; look-ups run in one read transaction with a cached statement per key.
//! Dates are stored as Julian day numbers. Rows are appended in rowid order and found through
//! the unique index on `number_key`: with random keys as the table's own key, every batch
//! would rewrite pages all over the table.

use std::path::Path;

use renkei_core::{Date, MyNumber, ResidentCode, Sex};
use renkei_store::sqlite::{Sqlite, Tuning};
use renkei_store::StoreError;
use renkei_wire::msg::registry::ResidentIdentity;
use rusqlite::{params, OptionalExtension};

use renkei_wire::msg::registry::{CurrentResident, Removal};

use super::{open_sealed, Encoded, IndexRow, ScanCursor};
use crate::domain::Protection;
use crate::history::{parse_reason, ResidentChange};

/// Most numbers read inline by [`Sqlite::read_point`]; larger batches go to the blocking pool.
const POINT_READ_MAX: usize = 16;

#[path = "sqlite_report.rs"]
mod report;

#[path = "sqlite_log.rs"]
mod log;

#[path = "sqlite_schema.rs"]
mod schema;
use schema::MIGRATIONS;

/// Cache sizes: the writer's fills only while residents are loaded (and is handed back after a
/// bulk load, [`SqliteStore::release_memory`]); a reader's holds the upper levels of the
/// number index and what it can of the rows. Look-ups come in batches sorted by key, so a
/// batch walks the index leaves in order: a larger cache mostly buys random row pages,
/// each worth one `pread` from the OS's cache.
const TUNING: Tuning = Tuning {
    writer_cache_kib: 64 * 1024,
    reader_cache_kib: 32 * 1024,
};

const UPSERT: &str = "
    INSERT INTO residents (number_key, number_sealed, resident_code, name, kana, birth, sex, address,
                           municipality_code)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (number_key) DO UPDATE SET
        number_sealed = excluded.number_sealed, resident_code = excluded.resident_code,
        name = excluded.name, kana = excluded.kana, birth = excluded.birth, sex = excluded.sex,
        address = excluded.address, municipality_code = excluded.municipality_code";

/// The row of another 個人番号 holding this 住民票コード (the number was changed).
const DROP_OLD_NUMBER: &str = "DELETE FROM residents WHERE resident_code = ?1 AND number_key <> ?2
                               RETURNING number_key, number_sealed";

const CURRENT: &str = "SELECT name, kana, birth, sex, address, removed_on, removal_reason
                       FROM residents WHERE number_key = ?1";

fn current_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CurrentResident> {
    let removed: Option<i32> = row.get(5)?;
    let reason: Option<String> = row.get(6)?;
    Ok(CurrentResident {
        name: row.get(0)?,
        kana: row.get(1)?,
        birth: date(row.get(2)?)?,
        sex: sex(row.get(3)?)?,
        address: row.get(4)?,
        removal: removed.map(date).transpose()?.map(|on| Removal {
            on,
            reason: reason.as_deref().and_then(parse_reason),
        }),
    })
}

const IDENTITY: &str =
    "SELECT name, kana, birth, sex, address, removed_on FROM residents WHERE number_key = ?1";

#[derive(Clone)]
pub struct SqliteStore {
    db: Sqlite,
    protection: Protection,
}

/// `look_up` of each number's key, answered in the order of `numbers` but called in key order:
/// a batch then walks the number index from left to right, reaching each of its pages once,
/// instead of descending to a random leaf per number.
fn in_key_order<T>(
    protection: &Protection,
    numbers: &[MyNumber],
    mut look_up: impl FnMut(&[u8; 32]) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let keys: Vec<[u8; 32]> = numbers.iter().map(|n| protection.number_key(n)).collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut out: Vec<Option<T>> = (0..keys.len()).map(|_| None).collect();
    for i in order {
        out[i] = Some(look_up(&keys[i])?);
    }
    Ok(out
        .into_iter()
        .map(|t| t.expect("every position looked up"))
        .collect())
}

fn day(d: Date) -> i32 {
    d.to_julian_day()
}

fn date(day: i32) -> rusqlite::Result<Date> {
    Date::from_julian_day(day).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, e.into())
    })
}

fn sex(code: u8) -> rusqlite::Result<Sex> {
    Sex::from_code(code).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Integer, e.into())
    })
}

impl SqliteStore {
    pub async fn open(path: &Path, protection: Protection) -> Result<SqliteStore, StoreError> {
        let path = path.to_owned();
        let db = tokio::task::spawn_blocking(move || Sqlite::open_with(&path, MIGRATIONS, TUNING))
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))??;
        Ok(SqliteStore { db, protection })
    }

    pub(super) fn protection(&self) -> &Protection {
        &self.protection
    }

    /// Writes encoded residents; returns rows written and the numbers whose row was dropped
    /// because their 住民票コード arrived with a new number.
    pub(super) async fn upsert(
        &self,
        rows: Vec<Encoded>,
    ) -> Result<(u64, Vec<MyNumber>), StoreError> {
        let protection = self.protection.clone();
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                let mut dropped = Vec::new();
                {
                    let mut drop_old = tx.prepare_cached(DROP_OLD_NUMBER)?;
                    let mut upsert = tx.prepare_cached(UPSERT)?;
                    for row in &rows {
                        let r = &row.record;
                        let mut gone =
                            drop_old.query(params![r.resident_code.expose(), &row.key[..]])?;
                        while let Some(old) = gone.next()? {
                            let (key, sealed): (Vec<u8>, Vec<u8>) = (old.get(0)?, old.get(1)?);
                            dropped.push(open_sealed(&protection, &sealed, &key)?);
                        }
                        drop(gone);
                        upsert.execute(params![
                            &row.key[..],
                            row.sealed,
                            r.resident_code.expose(),
                            r.name,
                            r.kana,
                            day(r.birth),
                            r.sex.code(),
                            r.address,
                            r.municipality_code,
                        ])?;
                    }
                }
                tx.commit()?;
                Ok((rows.len() as u64, dropped))
            })
            .await
    }

    pub(super) async fn current(
        &self,
        numbers: Vec<MyNumber>,
    ) -> Result<Vec<Option<CurrentResident>>, StoreError> {
        let small = numbers.len() <= POINT_READ_MAX;
        let protection = self.protection.clone();
        let read = move |conn: &rusqlite::Connection| {
            let tx = conn.unchecked_transaction()?;
            let mut stmt = tx.prepare_cached(CURRENT)?;
            let out = in_key_order(&protection, &numbers, |key| {
                Ok(stmt.query_row([&key[..]], current_row).optional()?)
            })?;
            drop(stmt);
            tx.finish()?;
            Ok(out)
        };
        // A few keys are a point read: done on the calling thread, without the two thread
        // wake-ups of the blocking pool (most look-ups by 個人番号 ask for one number).
        if small {
            self.db.read_point(read).await
        } else {
            self.db.read(read).await
        }
    }

    /// A batch of residents after `after` (in rowid order), with their numbers opened.
    pub(super) async fn scan(
        &self,
        after: Option<ScanCursor>,
        limit: usize,
    ) -> Result<(Vec<IndexRow>, Option<ScanCursor>), StoreError> {
        let from = match after {
            Some(ScanCursor::Row(id)) => id,
            _ => 0,
        };
        let protection = self.protection.clone();
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, number_key, number_sealed, name, kana, birth, sex, address,
                            removed_on IS NOT NULL
                     FROM residents WHERE id > ?1 ORDER BY id LIMIT ?2",
                )?;
                let mut rows = stmt.query(params![from, limit as i64])?;
                let mut out = Vec::with_capacity(limit);
                let mut last = None;
                while let Some(row) = rows.next()? {
                    last = Some(ScanCursor::Row(row.get(0)?));
                    let (key, sealed): (Vec<u8>, Vec<u8>) = (row.get(1)?, row.get(2)?);
                    out.push(IndexRow {
                        number: open_sealed(&protection, &sealed, &key)?,
                        name: row.get(3)?,
                        kana: row.get(4)?,
                        birth: date(row.get(5)?)?,
                        sex: sex(row.get(6)?)?,
                        address: row.get(7)?,
                        removed: row.get(8)?,
                    });
                }
                Ok((out, last))
            })
            .await
    }

    /// Applies a change and appends it to the history; returns the resident as it is now.
    pub(super) async fn record_change(
        &self,
        number: MyNumber,
        change: ResidentChange,
    ) -> Result<Option<IndexRow>, StoreError> {
        let key = self.protection.number_key(&number);
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                let now = report::apply_change(&tx, &key, &number, &change)?;
                tx.commit()?;
                Ok(now)
            })
            .await
    }
    pub(super) async fn identities(
        &self,
        numbers: Vec<MyNumber>,
    ) -> Result<Vec<Option<ResidentIdentity>>, StoreError> {
        let protection = self.protection.clone();
        self.db
            .read(move |conn| {
                let tx = conn.unchecked_transaction()?;
                let mut stmt = tx.prepare_cached(IDENTITY)?;
                let out = in_key_order(&protection, &numbers, |key| {
                    Ok(stmt
                        .query_row([&key[..]], |row| {
                            Ok(ResidentIdentity {
                                name: row.get(0)?,
                                kana: row.get(1)?,
                                birth: date(row.get(2)?)?,
                                sex: sex(row.get(3)?)?,
                                address: row.get(4)?,
                                removed_on: row.get::<_, Option<i32>>(5)?.map(date).transpose()?,
                            })
                        })
                        .optional()?)
                })?;
                drop(stmt);
                tx.finish()?;
                Ok(out)
            })
            .await
    }

    pub(super) async fn resident_codes(
        &self,
        numbers: Vec<MyNumber>,
    ) -> Result<Vec<Option<ResidentCode>>, StoreError> {
        let protection = self.protection.clone();
        self.db
            .read(move |conn| {
                let tx = conn.unchecked_transaction()?;
                let mut stmt =
                    tx.prepare_cached("SELECT resident_code FROM residents WHERE number_key = ?1")?;
                let out = in_key_order(&protection, &numbers, |key| {
                    let code: Option<String> =
                        stmt.query_row([&key[..]], |row| row.get(0)).optional()?;
                    code.map(|c| {
                        ResidentCode::parse(&c).map_err(|e| StoreError::Corrupt(e.to_string()))
                    })
                    .transpose()
                })?;
                drop(stmt);
                tx.finish()?;
                Ok(out)
            })
            .await
    }

    pub(super) async fn set_removed(
        &self,
        numbers: Vec<MyNumber>,
        on: Option<Date>,
    ) -> Result<u64, StoreError> {
        let protection = self.protection.clone();
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                let mut changed = 0;
                {
                    let mut stmt = tx.prepare_cached(
                        "UPDATE residents SET removed_on = ?1, removal_reason = NULL
                         WHERE number_key = ?2",
                    )?;
                    for n in &numbers {
                        changed += stmt
                            .execute(params![on.map(day), &protection.number_key(n)[..]])?
                            as u64;
                    }
                }
                tx.commit()?;
                Ok(changed)
            })
            .await
    }

    pub(super) async fn number_of(
        &self,
        code: ResidentCode,
    ) -> Result<Option<MyNumber>, StoreError> {
        let protection = self.protection.clone();
        self.db
            .read(move |conn| {
                let row: Option<(Vec<u8>, Vec<u8>)> = conn
                    .query_row(
                        "SELECT number_key, number_sealed FROM residents WHERE resident_code = ?1",
                        [code.expose()],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?;
                row.map(|(key, sealed)| open_sealed(&protection, &sealed, &key))
                    .transpose()
            })
            .await
    }

    pub(super) async fn count(&self) -> Result<u64, StoreError> {
        self.db
            .read(|conn| {
                Ok(conn.query_row("SELECT COUNT(*) FROM residents", [], |row| {
                    row.get::<_, i64>(0)
                })? as u64)
            })
            .await
    }

    /// Hands the writer's page cache back after a bulk load: look-ups run on the readers, so
    /// the cache the load filled would otherwise stay resident for nothing.
    pub(super) async fn release_memory(&self) -> Result<(), StoreError> {
        self.db
            .write(|conn| {
                conn.execute_batch("PRAGMA shrink_memory")?;
                Ok(())
            })
            .await
    }
}
