//! The agency's store on SQLite.

use std::path::{Path, PathBuf};

use renkei_store::sqlite::Sqlite;
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;
use rusqlite::{params, OptionalExtension};

use super::{items, json, NewResident, Residents};
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

#[derive(Clone)]
pub struct SqliteResidents {
    pub(super) db: Sqlite,
}

impl SqliteResidents {
    pub async fn open(path: &Path) -> Result<SqliteResidents, StoreError> {
        let path: PathBuf = path.to_owned();
        let db = tokio::task::spawn_blocking(move || Sqlite::open(&path, SQLITE))
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))??;
        Ok(SqliteResidents { db })
    }
}

impl Residents for SqliteResidents {
    async fn upsert_residents(&self, residents: Vec<NewResident>) -> Result<(), StoreError> {
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                {
                    let mut resident = tx.prepare_cached(
                        "INSERT INTO residents (atena, fugo) VALUES (?1, ?2)
                     ON CONFLICT (atena) DO UPDATE SET fugo = excluded.fugo",
                    )?;
                    let mut clear = tx.prepare_cached("DELETE FROM holdings WHERE fugo = ?1")?;
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

    async fn fugo_of(&self, atena: &str) -> Result<Option<Fugo>, StoreError> {
        let atena = atena.to_owned();
        let fugo: Option<String> = self
            .db
            .read_point(move |conn| -> Result<_, StoreError> {
                Ok(conn
                    .prepare_cached("SELECT fugo FROM residents WHERE atena = ?1")?
                    .query_row(params![atena], |r| r.get(0))
                    .optional()?)
            })
            .await?;
        Ok(fugo.map(Fugo))
    }

    async fn holding(&self, fugo: &Fugo, info: &str) -> Result<Option<Items>, StoreError> {
        let (fugo, info) = (fugo.0.clone(), info.to_owned());
        let text: Option<String> = self
            .db
            .read_point(move |conn| -> Result<_, StoreError> {
                Ok(conn
                    .prepare_cached("SELECT items FROM holdings WHERE fugo = ?1 AND info = ?2")?
                    .query_row(params![fugo, info], |r| r.get(0))
                    .optional()?)
            })
            .await?;
        text.as_deref().map(items).transpose()
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.db
            .read(|conn| {
                Ok(
                    conn.query_row("SELECT COUNT(*) FROM residents", [], |r| r.get::<_, i64>(0))?
                        as u64,
                )
            })
            .await
    }
}
