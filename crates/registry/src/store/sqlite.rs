//! Residents on embedded SQLite: bulk loads run in one transaction with prepared
//! statements; look-ups run in one read transaction with a cached statement per key.
//! Dates are stored as Julian day numbers. Rows are appended in rowid order and found through
//! the unique index on `number_key`: with random keys as the table's own key, every batch
//! would rewrite pages all over the table.

use std::path::Path;

use renkei_core::{Date, MyNumber, ResidentCode, Sex};
use renkei_store::sqlite::Sqlite;
use renkei_store::StoreError;
use renkei_wire::msg::registry::ResidentIdentity;
use rusqlite::{params, OptionalExtension};

use super::{encode, open_sealed};
use crate::domain::{Protection, ResidentRecord};

const MIGRATIONS: &[&str] = &["
    CREATE TABLE residents (
        id                INTEGER PRIMARY KEY,
        number_key        BLOB NOT NULL UNIQUE,  -- HMAC-SHA256(number_hash, 個人番号)
        number_sealed     BLOB NOT NULL,         -- AES-256-GCM(seal, 個人番号), bound to number_key
        resident_code     TEXT NOT NULL UNIQUE,
        name              TEXT NOT NULL,
        kana              TEXT NOT NULL,
        birth             INTEGER NOT NULL,
        sex               INTEGER NOT NULL,
        address           TEXT NOT NULL,
        municipality_code TEXT NOT NULL,
        removed_on        INTEGER
    );
"];

const UPSERT: &str = "
    INSERT INTO residents (number_key, number_sealed, resident_code, name, kana, birth, sex, address,
                           municipality_code)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (number_key) DO UPDATE SET
        number_sealed = excluded.number_sealed, resident_code = excluded.resident_code,
        name = excluded.name, kana = excluded.kana, birth = excluded.birth, sex = excluded.sex,
        address = excluded.address, municipality_code = excluded.municipality_code";

/// The row of another 個人番号 holding this 住民票コード (the number was changed).
const DROP_OLD_NUMBER: &str = "DELETE FROM residents WHERE resident_code = ?1 AND number_key <> ?2";

const IDENTITY: &str =
    "SELECT name, kana, birth, sex, address, removed_on FROM residents WHERE number_key = ?1";

#[derive(Clone)]
pub struct SqliteStore {
    db: Sqlite,
    protection: Protection,
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
        let db = tokio::task::spawn_blocking(move || Sqlite::open(&path, MIGRATIONS))
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))??;
        Ok(SqliteStore { db, protection })
    }

    pub(super) async fn upsert(&self, records: Vec<ResidentRecord>) -> Result<u64, StoreError> {
        let rows = encode(&self.protection, records).await?;
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                {
                    let mut drop_old = tx.prepare_cached(DROP_OLD_NUMBER)?;
                    let mut upsert = tx.prepare_cached(UPSERT)?;
                    for row in &rows {
                        let r = &row.record;
                        drop_old.execute(params![r.resident_code.expose(), &row.key[..]])?;
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
                Ok(rows.len() as u64)
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
                let mut out = Vec::with_capacity(numbers.len());
                for n in &numbers {
                    let key = protection.number_key(n);
                    let found = stmt
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
                        .optional()?;
                    out.push(found);
                }
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
                let mut out = Vec::with_capacity(numbers.len());
                for n in &numbers {
                    let key = protection.number_key(n);
                    let code: Option<String> =
                        stmt.query_row([&key[..]], |row| row.get(0)).optional()?;
                    let code = code
                        .map(|c| {
                            ResidentCode::parse(&c).map_err(|e| StoreError::Corrupt(e.to_string()))
                        })
                        .transpose()?;
                    out.push(code);
                }
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
                        "UPDATE residents SET removed_on = ?1 WHERE number_key = ?2",
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
}
