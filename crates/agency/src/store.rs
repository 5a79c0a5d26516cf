//! An agency's store, on SQLite or PostgreSQL: its residents (宛名番号 → its own 機関別符号)
//! and what it holds about them (符号, 特定個人情報コード → items as JSON). No 個人番号 rests
//! here: the agency used the numbers only to obtain its 符号 from the hub. Both engines pass
//! the same suite (`tests/store.rs`).

use std::path::Path;

use renkei_store::postgres::Postgres;
use renkei_store::sqlite::Sqlite;
use renkei_store::{StoreError, StoreUrl};
use renkei_wire::msg::hub::Fugo;
use rusqlite::{params, OptionalExtension};

use crate::holdings::Items;

const SQLITE: &[&str] = &[
    "
    CREATE TABLE residents (
        atena TEXT PRIMARY KEY,          -- 宛名番号
        fugo  TEXT NOT NULL UNIQUE       -- this agency's 機関別符号
    );
    CREATE TABLE holdings (
        fugo  TEXT NOT NULL,
        info  TEXT NOT NULL,             -- 特定個人情報コード
        items TEXT NOT NULL,             -- JSON object, item name → value
        PRIMARY KEY (fugo, info)
    ) WITHOUT ROWID;
",
    renkei_ledger::party::SQLITE,
];

const POSTGRES: &[&str] = &[
    "
    CREATE TABLE residents (
        atena TEXT PRIMARY KEY,
        fugo  TEXT NOT NULL UNIQUE
    );
    CREATE TABLE holdings (
        fugo  TEXT NOT NULL,
        info  TEXT NOT NULL,
        items TEXT NOT NULL,
        PRIMARY KEY (fugo, info)
    );
",
    renkei_ledger::party::POSTGRES,
];

/// A resident to record, with everything held about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResident {
    pub atena: String,
    pub fugo: Fugo,
    pub holdings: Vec<(String, Items)>,
}

#[derive(Clone)]
pub enum Store {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

fn json(items: &Items) -> String {
    serde_json::to_string(items).expect("a map of strings")
}

fn items(text: &str) -> Result<Items, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt("holdings.items".into()))
}

impl Store {
    pub async fn open(url: &StoreUrl) -> Result<Store, StoreError> {
        Ok(match url {
            StoreUrl::Sqlite(path) => {
                let path: std::path::PathBuf = path.clone();
                let db =
                    tokio::task::spawn_blocking(move || Sqlite::open(Path::new(&path), SQLITE))
                        .await
                        .map_err(|e| StoreError::Corrupt(e.to_string()))??;
                Store::Sqlite(db)
            }
            StoreUrl::Postgres { conn, schema } => {
                Store::Postgres(Postgres::connect(conn, schema, POSTGRES).await?)
            }
        })
    }

    /// The engine, for this agency's own record of its exchanges ([`renkei_ledger::party`]).
    pub fn engine(&self) -> renkei_ledger::party::Engine {
        match self {
            Store::Sqlite(db) => renkei_ledger::party::Engine::Sqlite(db.clone()),
            Store::Postgres(db) => renkei_ledger::party::Engine::Postgres(db.clone()),
        }
    }

    /// Records residents and their holdings in one transaction; a resident already recorded
    /// is replaced (its holdings too), so loading again is harmless.
    pub async fn upsert_residents(&self, residents: Vec<NewResident>) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(db) => {
                db.write(move |conn| {
                    let tx = conn.transaction()?;
                    {
                        let mut resident = tx.prepare_cached(
                            "INSERT INTO residents (atena, fugo) VALUES (?1, ?2)
                             ON CONFLICT (atena) DO UPDATE SET fugo = excluded.fugo",
                        )?;
                        let mut clear =
                            tx.prepare_cached("DELETE FROM holdings WHERE fugo = ?1")?;
                        let mut hold = tx.prepare_cached(
                            "INSERT INTO holdings (fugo, info, items) VALUES (?1, ?2, ?3)",
                        )?;
                        for r in &residents {
                            resident.execute(params![r.atena, r.fugo.0])?;
                            clear.execute(params![r.fugo.0])?;
                            for (info, items) in &r.holdings {
                                hold.execute(params![r.fugo.0, info, json(items)])?;
                            }
                        }
                    }
                    tx.commit()?;
                    Ok(())
                })
                .await
            }
            Store::Postgres(db) => {
                let mut client = db.client().await?;
                let tx = client.transaction().await?;
                let atena: Vec<&str> = residents.iter().map(|r| r.atena.as_str()).collect();
                let fugo: Vec<&str> = residents.iter().map(|r| r.fugo.0.as_str()).collect();
                tx.execute(
                    "INSERT INTO residents (atena, fugo) SELECT * FROM UNNEST($1::text[], $2::text[])
                     ON CONFLICT (atena) DO UPDATE SET fugo = excluded.fugo",
                    &[&atena, &fugo],
                )
                .await?;
                tx.execute("DELETE FROM holdings WHERE fugo = ANY($1)", &[&fugo])
                    .await?;
                let (mut f, mut i, mut j) = (vec![], vec![], vec![]);
                for r in &residents {
                    for (info, items) in &r.holdings {
                        f.push(r.fugo.0.as_str());
                        i.push(info.as_str());
                        j.push(json(items));
                    }
                }
                tx.execute(
                    "INSERT INTO holdings (fugo, info, items)
                     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])",
                    &[&f, &i, &j],
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    /// This agency's 符号 of the resident with 宛名番号 `atena`.
    pub async fn fugo_of(&self, atena: &str) -> Result<Option<Fugo>, StoreError> {
        let atena = atena.to_owned();
        let fugo: Option<String> = match self {
            Store::Sqlite(db) => {
                db.read_point(move |conn| -> Result<_, StoreError> {
                    Ok(conn
                        .prepare_cached("SELECT fugo FROM residents WHERE atena = ?1")?
                        .query_row(params![atena], |r| r.get(0))
                        .optional()?)
                })
                .await?
            }
            Store::Postgres(db) => {
                let client = db.client().await?;
                let stmt = client
                    .prepare_cached("SELECT fugo FROM residents WHERE atena = $1")
                    .await?;
                client
                    .query_opt(&stmt, &[&atena])
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?
            }
        };
        Ok(fugo.map(Fugo))
    }

    /// What is held under `info` about the resident with this agency's 符号 `fugo`.
    pub async fn holding(&self, fugo: &Fugo, info: &str) -> Result<Option<Items>, StoreError> {
        let (fugo, info) = (fugo.0.clone(), info.to_owned());
        let text: Option<String> = match self {
            Store::Sqlite(db) => {
                db.read_point(move |conn| -> Result<_, StoreError> {
                    Ok(conn
                        .prepare_cached("SELECT items FROM holdings WHERE fugo = ?1 AND info = ?2")?
                        .query_row(params![fugo, info], |r| r.get(0))
                        .optional()?)
                })
                .await?
            }
            Store::Postgres(db) => {
                let client = db.client().await?;
                let stmt = client
                    .prepare_cached("SELECT items FROM holdings WHERE fugo = $1 AND info = $2")
                    .await?;
                client
                    .query_opt(&stmt, &[&fugo, &info])
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?
            }
        };
        text.as_deref().map(items).transpose()
    }

    /// Number of residents.
    pub async fn count(&self) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(db) => {
                db.read(|conn| {
                    Ok(conn
                        .query_row("SELECT COUNT(*) FROM residents", [], |r| r.get::<_, i64>(0))?
                        as u64)
                })
                .await
            }
            Store::Postgres(db) => {
                let client = db.client().await?;
                let n: i64 = client
                    .query_one("SELECT COUNT(*) FROM residents", &[])
                    .await?
                    .try_get(0)?;
                Ok(n as u64)
            }
        }
    }
}
