//! Where a party keeps its records: inside its own store, on either engine. The storage
//! idiom of renkei (docs/ARCHITECTURE.md): the concern as a trait ([`PartyStore`]), each
//! engine implementing it, and the store a URL names ([`Engine`]) handing each call on.

use std::future::Future;

use renkei_store::postgres::Postgres;
use renkei_store::sqlite::Sqlite;
use renkei_store::{by_engine, StoreError};

use super::{outcome, PartyRecord, Side};

/// A party's own records of its exchanges.
pub trait PartyStore: Send + Sync {
    /// Writes `records` in one transaction; a record already there is left as it is.
    fn insert(
        &self,
        records: Vec<PartyRecord>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every record in the store, oldest first.
    fn read_all(&self) -> impl Future<Output = Result<Vec<PartyRecord>, StoreError>> + Send;
}

/// The engine of the party's own store.
#[derive(Clone)]
pub enum Engine {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl PartyStore for Engine {
    async fn insert(&self, records: Vec<PartyRecord>) -> Result<(), StoreError> {
        by_engine!(self, Engine, db => db.insert(records).await)
    }

    async fn read_all(&self) -> Result<Vec<PartyRecord>, StoreError> {
        by_engine!(self, Engine, db => db.read_all().await)
    }
}

const INSERT: &str =
    "INSERT INTO party_records (party, side, asker, provider, task, info, request_id,
        final, outcome, refusal, disclosable, hub_seq, time_micros)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (party, side, asker, request_id, final) DO NOTHING";

const SELECT: &str = "SELECT party, side, asker, provider, task, info, request_id, outcome,
        refusal, disclosable, hub_seq, time_micros
    FROM party_records ORDER BY time_micros, asker, request_id";

/// A row as both engines read it, in [`SELECT`]'s column order.
type Row = (
    String,
    i16,
    String,
    String,
    String,
    String,
    String,
    i16,
    Option<String>,
    bool,
    Option<i64>,
    i64,
);

fn record(row: Row) -> Result<PartyRecord, StoreError> {
    let (
        party,
        side,
        asker,
        provider,
        task,
        info,
        request_id,
        code,
        refusal,
        disclosable,
        hub_seq,
        time_micros,
    ) = row;
    Ok(PartyRecord {
        party,
        side: match side {
            0 => Side::Asked,
            1 => Side::Provided,
            s => return Err(StoreError::Corrupt(format!("party_records.side {s}"))),
        },
        asker,
        provider,
        task,
        info,
        request_id,
        outcome: outcome(code, refusal)?,
        disclosable,
        hub_seq: hub_seq.map(|s| s as u64),
        time_micros,
    })
}

impl PartyStore for Sqlite {
    async fn insert(&self, records: Vec<PartyRecord>) -> Result<(), StoreError> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            {
                let sql = INSERT.replace('$', "?");
                let mut stmt = tx.prepare_cached(&sql)?;
                for r in &records {
                    let (code, refusal) = r.outcome.to_code();
                    stmt.execute(rusqlite::params![
                        r.party,
                        r.side.code(),
                        r.asker,
                        r.provider,
                        r.task,
                        r.info,
                        r.request_id,
                        r.is_final(),
                        code,
                        refusal,
                        r.disclosable,
                        r.hub_seq.map(|s| s as i64),
                        r.time_micros
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn read_all(&self) -> Result<Vec<PartyRecord>, StoreError> {
        let rows: Vec<Row> = self
            .read(|conn| -> Result<_, StoreError> {
                let mut stmt = conn.prepare(SELECT)?;
                let rows = stmt.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                    ))
                })?;
                Ok(rows.collect::<Result<Vec<Row>, _>>()?)
            })
            .await?;
        rows.into_iter().map(record).collect()
    }
}

impl PartyStore for Postgres {
    async fn insert(&self, records: Vec<PartyRecord>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx.prepare_cached(INSERT).await?;
        for r in &records {
            let (code, refusal) = r.outcome.to_code();
            tx.execute(
                &stmt,
                &[
                    &r.party,
                    &r.side.code(),
                    &r.asker,
                    &r.provider,
                    &r.task,
                    &r.info,
                    &r.request_id,
                    &r.is_final(),
                    &code,
                    &refusal,
                    &r.disclosable,
                    &r.hub_seq.map(|s| s as i64),
                    &r.time_micros,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn read_all(&self) -> Result<Vec<PartyRecord>, StoreError> {
        let client = self.client().await?;
        client
            .query(SELECT, &[])
            .await?
            .iter()
            .map(|r| {
                record((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    r.try_get(5)?,
                    r.try_get(6)?,
                    r.try_get(7)?,
                    r.try_get(8)?,
                    r.try_get(9)?,
                    r.try_get(10)?,
                    r.try_get(11)?,
                ))
            })
            .collect()
    }
}
