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

use super::{encode, open_sealed};
use crate::domain::{Protection, ResidentRecord};

const MIGRATIONS: &[&str] = &["
    CREATE TABLE residents (
        number_key        BYTEA PRIMARY KEY,  -- HMAC-SHA256(number_hash, 個人番号)
        number_sealed     BYTEA NOT NULL,     -- AES-256-GCM(seal, 個人番号), bound to number_key
        resident_code     TEXT NOT NULL UNIQUE,
        name              TEXT NOT NULL,
        kana              TEXT NOT NULL,
        birth             DATE NOT NULL,
        sex               SMALLINT NOT NULL,
        address           TEXT NOT NULL,
        municipality_code TEXT NOT NULL,
        removed_on        DATE
    );
"];

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

    pub(super) async fn upsert(&self, records: Vec<ResidentRecord>) -> Result<u64, StoreError> {
        let rows = encode(&self.protection, records).await?;
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
        tx.execute(
            "DELETE FROM residents r USING residents_in i
             WHERE r.resident_code = i.resident_code AND r.number_key <> i.number_key",
            &[],
        )
        .await?;
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
        Ok(written)
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
                "UPDATE residents SET removed_on = $1 WHERE number_key = ANY($2)",
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
}
