//! Links on PostgreSQL: look-ups with `number_key = ANY($1)` put back in the asked order; new
//! links in one multi-row `INSERT … SELECT FROM UNNEST … ON CONFLICT DO NOTHING`.
//!
//! Keyed (agency, number_key) and unique on (agency, 符号); on a distributed PostgreSQL the
//! table would be distributed by agency, co-locating each agency's links.

use std::collections::HashMap;

use renkei_store::postgres::Postgres;
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;

use super::log::{self, LogHead, Row, StoredLog, COLUMNS};
use super::NewLink;
use crate::domain::AgencyCode;
use renkei_ledger::record_log::{Checkpoint, Entry};

const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE links (
        agency     TEXT NOT NULL,
        number_key BYTEA NOT NULL,    -- HMAC-SHA256(number_hash, 個人番号)
        person_key BYTEA NOT NULL,    -- HMAC-SHA256(person, 住民票コード)
        fugo       TEXT NOT NULL,     -- 機関別符号
        issued_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (agency, number_key),
        UNIQUE (agency, fugo)
    );
",
    super::log::POSTGRES,
];

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

    pub(super) async fn append_log(
        &self,
        entries: &[Entry],
        checkpoints: &[Checkpoint],
    ) -> Result<(), StoreError> {
        let mut seq = Vec::with_capacity(entries.len());
        let mut time = Vec::with_capacity(entries.len());
        let (mut asker, mut provider, mut task, mut info) = (vec![], vec![], vec![], vec![]);
        let (mut outcome, mut refusal, mut disclosable, mut request_id) =
            (vec![], vec![], vec![], vec![]);
        let (mut person, mut req_sig, mut ans_sig, mut hash, mut fin) =
            (vec![], vec![], vec![], vec![], vec![]);
        for e in entries {
            let x = &e.exchange;
            let (code, refused) = x.outcome.to_code();
            seq.push(e.seq as i64);
            time.push(e.time_micros);
            asker.push(x.asker.as_str());
            provider.push(x.provider.as_str());
            task.push(x.task.as_str());
            info.push(x.info.as_str());
            outcome.push(code);
            refusal.push(refused);
            disclosable.push(x.disclosable);
            request_id.push(x.request_id.as_str());
            person.push(&x.person[..]);
            req_sig.push(x.request_signature.as_slice());
            ans_sig.push(x.answer_signature.as_slice());
            hash.push(&e.hash[..]);
            fin.push(code != 3);
        }
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO record_log ({COLUMNS}, final)
                 SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                     $5::text[], $6::text[], $7::smallint[], $8::text[], $9::bool[], $10::text[],
                     $11::bytea[], $12::bytea[], $13::bytea[], $14::bytea[], $15::bool[])"
            ))
            .await?;
        tx.execute(
            &stmt,
            &[
                &seq,
                &time,
                &asker,
                &provider,
                &task,
                &info,
                &outcome,
                &refusal,
                &disclosable,
                &request_id,
                &person,
                &req_sig,
                &ans_sig,
                &hash,
                &fin,
            ],
        )
        .await?;
        for c in checkpoints {
            tx.execute(
                "INSERT INTO record_checkpoints (seq, hash, time_micros, signature)
                 VALUES ($1, $2, $3, $4)",
                &[&(c.seq as i64), &&c.hash[..], &c.time_micros, &c.signature],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn recorded(
        &self,
        asker: &str,
        request_id: &str,
    ) -> Result<Vec<Entry>, StoreError> {
        let client = self.db.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM record_log WHERE asker = $1 AND request_id = $2
                 ORDER BY final DESC"
            ))
            .await?;
        let rows = client.query(&stmt, &[&asker, &request_id]).await?;
        rows.iter().map(|r| row(r)?.into_entry()).collect()
    }

    pub(super) async fn log_head(&self) -> Result<LogHead, StoreError> {
        let client = self.db.client().await?;
        let last = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM record_log ORDER BY seq DESC LIMIT 1"),
                &[],
            )
            .await?
            .map(|r| row(&r)?.into_entry())
            .transpose()?;
        let checkpointed: Option<i64> = client
            .query_one("SELECT MAX(seq) FROM record_checkpoints", &[])
            .await?
            .try_get(0)?;
        Ok(LogHead {
            last,
            checkpointed_seq: checkpointed.unwrap_or(0) as u64,
        })
    }

    pub(super) async fn read_log(&self) -> Result<StoredLog, StoreError> {
        let client = self.db.client().await?;
        let mut entries: Vec<Entry> = Vec::new();
        for r in client
            .query(
                &format!("SELECT {COLUMNS} FROM record_log ORDER BY seq"),
                &[],
            )
            .await?
        {
            let seq: Option<i64> = r.try_get(0).ok();
            let entry = row(&r)
                .and_then(Row::into_entry)
                .map_err(|e| log::unreadable(seq, entries.last(), e))?;
            entries.push(entry);
        }
        let checkpoints = client
            .query(
                "SELECT seq, hash, time_micros, signature FROM record_checkpoints ORDER BY seq",
                &[],
            )
            .await?
            .iter()
            .map(|r| log::checkpoint(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(StoredLog {
            entries,
            checkpoints,
        })
    }
}

fn row(r: &tokio_postgres::Row) -> Result<Row, StoreError> {
    Ok(Row {
        seq: r.try_get(0)?,
        time_micros: r.try_get(1)?,
        asker: r.try_get(2)?,
        provider: r.try_get(3)?,
        task: r.try_get(4)?,
        info: r.try_get(5)?,
        outcome: r.try_get(6)?,
        refusal: r.try_get(7)?,
        disclosable: r.try_get(8)?,
        request_id: r.try_get(9)?,
        person: r.try_get(10)?,
        request_signature: r.try_get(11)?,
        answer_signature: r.try_get(12)?,
        hash: r.try_get(13)?,
    })
}
