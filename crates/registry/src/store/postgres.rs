//! Residents on PostgreSQL: bulk loads stream through binary COPY into a temporary table and
//! are merged with one `INSERT … ON CONFLICT DO UPDATE`; look-ups fetch a batch with
//! `number_key = ANY($1)` and put the answers back in the asked order.
//!
//! The table is keyed by `number_key`, the distribution column on a distributed PostgreSQL
//! (Citus), where the `resident_code` uniqueness would move to a reference table.

use std::collections::HashMap;
use std::pin::pin;

use renkei_core::{Date, MyNumber, ResidentCode, Sex};
use renkei_store::postgres::Postgres;
use renkei_store::StoreError;
use renkei_wire::msg::registry::ResidentIdentity;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use renkei_wire::msg::registry::{CurrentResident, Removal};

use super::{open_sealed, Encoded, IndexRow, ScanCursor};
use crate::domain::Protection;
use crate::history::{parse_reason, ResidentChange};

#[path = "postgres_report.rs"]
mod report;

#[path = "postgres_log.rs"]
mod log;

#[path = "postgres_schema.rs"]
mod schema;
use schema::MIGRATIONS;

const COLUMNS: &str =
    "number_key, number_sealed, resident_code, name, kana, birth, sex, address, municipality_code";
const TYPES: [Type; 9] = [
    Type::BYTEA,
    Type::BYTEA,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::DATE,
    Type::INT2,
    Type::TEXT,
    Type::TEXT,
];

#[derive(Clone)]
pub struct PgStore {
    db: Postgres,
    protection: Protection,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn sex(code: i16) -> Result<Sex, StoreError> {
    u8::try_from(code)
        .ok()
        .and_then(|c| Sex::from_code(c).ok())
        .ok_or_else(|| corrupt("性別"))
}

impl PgStore {
    pub async fn connect(
        conn: &str,
        schema: &str,
        protection: Protection,
    ) -> Result<PgStore, StoreError> {
        Ok(PgStore {
            db: Postgres::connect(conn, schema, MIGRATIONS).await?,
            protection,
        })
    }

    /// Look-up keys of `numbers`, hashed off the async threads.
    async fn keys(&self, numbers: Vec<MyNumber>) -> Result<Vec<[u8; 32]>, StoreError> {
        let p = self.protection.clone();
        tokio::task::spawn_blocking(move || numbers.iter().map(|n| p.number_key(n)).collect())
            .await
            .map_err(corrupt)
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
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE residents_in ON COMMIT DROP AS SELECT {COLUMNS} FROM residents WITH NO DATA"
        ))
        .await?;
        let sink = tx
            .copy_in(&format!("COPY residents_in ({COLUMNS}) FROM STDIN BINARY"))
            .await?;
        let mut writer = pin!(BinaryCopyInWriter::new(sink, &TYPES));
        for row in &rows {
            let r = &row.record;
            let sex = i16::from(r.sex.code());
            let values: [&(dyn ToSql + Sync); 9] = [
                &&row.key[..],
                &row.sealed,
                &r.resident_code.expose(),
                &r.name,
                &r.kana,
                &r.birth,
                &sex,
                &r.address,
                &r.municipality_code,
            ];
            writer.as_mut().write(&values).await?;
        }
        writer.finish().await?;
        let gone = tx
            .query(
                "DELETE FROM residents r USING residents_in i
                 WHERE r.resident_code = i.resident_code AND r.number_key <> i.number_key
                 RETURNING r.number_key, r.number_sealed",
                &[],
            )
            .await?;
        let dropped = gone
            .iter()
            .map(|row| {
                let (key, sealed): (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
                open_sealed(&self.protection, &sealed, &key)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let written = tx
            .execute(
                &format!(
                    "INSERT INTO residents ({COLUMNS}) SELECT {COLUMNS} FROM residents_in
                     ON CONFLICT (number_key) DO UPDATE SET
                        number_sealed = EXCLUDED.number_sealed, resident_code = EXCLUDED.resident_code,
                        name = EXCLUDED.name, kana = EXCLUDED.kana, birth = EXCLUDED.birth, sex = EXCLUDED.sex,
                        address = EXCLUDED.address, municipality_code = EXCLUDED.municipality_code"
                ),
                &[],
            )
            .await?;
        tx.commit().await?;
        Ok((written, dropped))
    }

    pub(super) async fn current(
        &self,
        numbers: Vec<MyNumber>,
    ) -> Result<Vec<Option<CurrentResident>>, StoreError> {
        let select =
            "SELECT number_key, name, kana, birth, sex, address, removed_on, removal_reason
                      FROM residents WHERE number_key = ANY($1)";
        self.fetch(numbers, select, |row| {
            let removed: Option<Date> = row.try_get(6)?;
            let reason: Option<String> = row.try_get(7)?;
            Ok(CurrentResident {
                name: row.try_get(1)?,
                kana: row.try_get(2)?,
                birth: row.try_get(3)?,
                sex: sex(row.try_get(4)?)?,
                address: row.try_get(5)?,
                removal: removed.map(|on| Removal {
                    on,
                    reason: reason.as_deref().and_then(parse_reason),
                }),
            })
        })
        .await
    }

    /// A batch of residents after `after` (in look-up key order), with their numbers opened.
    pub(super) async fn scan(
        &self,
        after: Option<ScanCursor>,
        limit: usize,
    ) -> Result<(Vec<IndexRow>, Option<ScanCursor>), StoreError> {
        let from = match after {
            Some(ScanCursor::Key(k)) => k,
            _ => Vec::new(),
        };
        let client = self.db.client().await?;
        let rows = client
            .query(
                "SELECT number_key, number_sealed, name, kana, birth, sex, address,
                        removed_on IS NOT NULL
                 FROM residents WHERE number_key > $1 ORDER BY number_key LIMIT $2",
                &[&from, &(limit as i64)],
            )
            .await?;
        let protection = self.protection.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(rows.len());
            let mut last = None;
            for row in &rows {
                let (key, sealed): (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
                out.push(IndexRow {
                    number: open_sealed(&protection, &sealed, &key)?,
                    name: row.try_get(2)?,
                    kana: row.try_get(3)?,
                    birth: row.try_get(4)?,
                    sex: sex(row.try_get(5)?)?,
                    address: row.try_get(6)?,
                    removed: row.try_get(7)?,
                });
                last = Some(ScanCursor::Key(key));
            }
            Ok((out, last))
        })
        .await
        .map_err(corrupt)?
    }

    /// Applies a change and appends it to the history; returns the resident as it is now.
    pub(super) async fn record_change(
        &self,
        number: MyNumber,
        change: ResidentChange,
    ) -> Result<Option<IndexRow>, StoreError> {
        let key = self.protection.number_key(&number).to_vec();
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        let now = report::apply_change(&tx, &key, number, &change).await?;
        tx.commit().await?;
        Ok(now)
    }
    /// Fetches `select` (whose first column is `number_key`) for every key, in the asked order.
    async fn fetch<T: Clone>(
        &self,
        numbers: Vec<MyNumber>,
        select: &str,
        read: impl Fn(&tokio_postgres::Row) -> Result<T, StoreError>,
    ) -> Result<Vec<Option<T>>, StoreError> {
        let keys = self.keys(numbers).await?;
        let params: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let client = self.db.client().await?;
        let stmt = client.prepare_cached(select).await?;
        let rows = client.query(&stmt, &[&params]).await?;
        let mut found: HashMap<Vec<u8>, T> = HashMap::with_capacity(rows.len());
        for row in &rows {
            found.insert(row.try_get(0)?, read(row)?);
        }
        // A number asked twice gets its answer twice.
        Ok(keys.iter().map(|k| found.get(&k[..]).cloned()).collect())
    }

    pub(super) async fn identities(
        &self,
        numbers: Vec<MyNumber>,
    ) -> Result<Vec<Option<ResidentIdentity>>, StoreError> {
        let select = "SELECT number_key, name, kana, birth, sex, address, removed_on
                      FROM residents WHERE number_key = ANY($1)";
        self.fetch(numbers, select, |row| {
            let sex: i16 = row.try_get(4)?;
            Ok(ResidentIdentity {
                name: row.try_get(1)?,
                kana: row.try_get(2)?,
                birth: row.try_get(3)?,
                sex: u8::try_from(sex)
                    .ok()
                    .and_then(|c| Sex::from_code(c).ok())
                    .ok_or_else(|| corrupt("性別"))?,
                address: row.try_get(5)?,
                removed_on: row.try_get(6)?,
            })
        })
        .await
    }

    pub(super) async fn resident_codes(
        &self,
        numbers: Vec<MyNumber>,
    ) -> Result<Vec<Option<ResidentCode>>, StoreError> {
        let select = "SELECT number_key, resident_code FROM residents WHERE number_key = ANY($1)";
        self.fetch(numbers, select, |row| {
            ResidentCode::parse(row.try_get(1)?).map_err(corrupt)
        })
        .await
    }

    pub(super) async fn set_removed(
        &self,
        numbers: Vec<MyNumber>,
        on: Option<Date>,
    ) -> Result<u64, StoreError> {
        let keys = self.keys(numbers).await?;
        let params: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let client = self.db.client().await?;
        Ok(client
            .execute(
                "UPDATE residents SET removed_on = $1, removal_reason = NULL
                 WHERE number_key = ANY($2)",
                &[&on, &params],
            )
            .await?)
    }

    pub(super) async fn number_of(
        &self,
        code: &ResidentCode,
    ) -> Result<Option<MyNumber>, StoreError> {
        let client = self.db.client().await?;
        let row = client
            .query_opt(
                "SELECT number_key, number_sealed FROM residents WHERE resident_code = $1",
                &[&code.expose()],
            )
            .await?;
        row.map(|row| {
            let (key, sealed): (Vec<u8>, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?);
            open_sealed(&self.protection, &sealed, &key)
        })
        .transpose()
    }

    pub(super) async fn count(&self) -> Result<u64, StoreError> {
        let client = self.db.client().await?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM residents", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    /// Nothing to hand back: the server keeps its own buffers.
    pub(super) async fn release_memory(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
