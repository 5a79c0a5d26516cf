//! Links on PostgreSQL: look-ups with `number_key = ANY($1)` put back in the asked order; new
//! links in one multi-row `INSERT … SELECT FROM UNNEST … ON CONFLICT DO NOTHING`.
//!
//! Keyed (agency, number_key) and unique on (agency, 符号); on a distributed PostgreSQL the
//! table would be distributed by agency, co-locating each agency's links.

use std::collections::HashMap;

use renkei_store::postgres::Postgres;
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;

use super::NewLink;
use crate::domain::AgencyCode;

const MIGRATIONS: &[&str] = &["
    CREATE TABLE links (
        agency     TEXT NOT NULL,
        number_key BYTEA NOT NULL,    -- HMAC-SHA256(number_hash, 個人番号)
        person_key BYTEA NOT NULL,    -- HMAC-SHA256(person, 住民票コード)
        fugo       TEXT NOT NULL,     -- 機関別符号
        issued_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (agency, number_key),
        UNIQUE (agency, fugo)
    );
"];

#[derive(Clone)]
pub struct PgStore {
    db: Postgres,
}

impl PgStore {
    pub async fn connect(conn: &str, schema: &str) -> Result<PgStore, StoreError> {
        Ok(PgStore {
            db: Postgres::connect(conn, schema, MIGRATIONS).await?,
        })
    }

    pub(super) async fn find_links(
        &self,
        agency: &AgencyCode,
        keys: &[[u8; 32]],
    ) -> Result<Vec<Option<Fugo>>, StoreError> {
        let params: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let client = self.db.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT number_key, fugo FROM links WHERE agency = $1 AND number_key = ANY($2)",
            )
            .await?;
        let rows = client.query(&stmt, &[&agency.as_str(), &params]).await?;
        let mut found: HashMap<Vec<u8>, String> = HashMap::with_capacity(rows.len());
        for row in &rows {
            found.insert(row.try_get(0)?, row.try_get(1)?);
        }
        Ok(keys
            .iter()
            .map(|k| found.get(&k[..]).cloned().map(Fugo))
            .collect())
    }

    pub(super) async fn insert_links(
        &self,
        agency: &AgencyCode,
        links: Vec<NewLink>,
    ) -> Result<u64, StoreError> {
        let numbers: Vec<&[u8]> = links.iter().map(|l| &l.number_key[..]).collect();
        let persons: Vec<&[u8]> = links.iter().map(|l| &l.person_key[..]).collect();
        let fugo: Vec<&str> = links.iter().map(|l| l.fugo.0.as_str()).collect();
        let client = self.db.client().await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO links (agency, number_key, person_key, fugo)
                 SELECT $1, n, p, f FROM UNNEST($2::bytea[], $3::bytea[], $4::text[]) AS t(n, p, f)
                 ON CONFLICT DO NOTHING",
            )
            .await?;
        Ok(client
            .execute(&stmt, &[&agency.as_str(), &numbers, &persons, &fugo])
            .await?)
    }

    pub(super) async fn person_of(
        &self,
        agency: &AgencyCode,
        fugo: &Fugo,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.db.client().await?;
        let row = client
            .query_opt(
                "SELECT person_key FROM links WHERE agency = $1 AND fugo = $2",
                &[&agency.as_str(), &fugo.0],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub(super) async fn count(&self) -> Result<u64, StoreError> {
        let client = self.db.client().await?;
        let n: i64 = client
            .query_one("SELECT COUNT(*) FROM links", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }
}
