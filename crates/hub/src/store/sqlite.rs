//! Links on embedded SQLite: look-ups in one read transaction with a cached statement, new
//! links with `INSERT OR IGNORE` in one write transaction.

use std::path::Path;

use renkei_store::sqlite::Sqlite;
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;
use rusqlite::{params, OptionalExtension};

use super::NewLink;
use crate::domain::AgencyCode;

const MIGRATIONS: &[&str] = &["
    CREATE TABLE links (
        agency     TEXT NOT NULL,
        number_key BLOB NOT NULL,     -- HMAC-SHA256(number_hash, 個人番号)
        person_key BLOB NOT NULL,     -- HMAC-SHA256(person, 住民票コード)
        fugo       TEXT NOT NULL,     -- 機関別符号
        issued_at  INTEGER NOT NULL,  -- Unix seconds
        PRIMARY KEY (agency, number_key)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX links_agency_fugo ON links (agency, fugo);
    CREATE INDEX links_person ON links (person_key);
"];

#[derive(Clone)]
pub struct SqliteStore {
    db: Sqlite,
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let path = path.to_owned();
        let db = tokio::task::spawn_blocking(move || Sqlite::open(&path, MIGRATIONS))
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))??;
        Ok(SqliteStore { db })
    }

    pub(super) async fn find_links(
        &self,
        agency: AgencyCode,
        keys: Vec<[u8; 32]>,
    ) -> Result<Vec<Option<Fugo>>, StoreError> {
        self.db
            .read(move |conn| {
                let tx = conn.unchecked_transaction()?;
                let mut stmt = tx.prepare_cached(
                    "SELECT fugo FROM links WHERE agency = ?1 AND number_key = ?2",
                )?;
                let mut out = Vec::with_capacity(keys.len());
                for key in &keys {
                    let fugo: Option<String> = stmt
                        .query_row(params![agency.as_str(), &key[..]], |row| row.get(0))
                        .optional()?;
                    out.push(fugo.map(Fugo));
                }
                drop(stmt);
                tx.finish()?;
                Ok(out)
            })
            .await
    }

    pub(super) async fn insert_links(
        &self,
        agency: AgencyCode,
        links: Vec<NewLink>,
    ) -> Result<u64, StoreError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                let mut inserted = 0;
                {
                    let mut stmt = tx.prepare_cached(
                        "INSERT OR IGNORE INTO links (agency, number_key, person_key, fugo, issued_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?;
                    for link in &links {
                        inserted += stmt.execute(params![
                            agency.as_str(),
                            &link.number_key[..],
                            &link.person_key[..],
                            link.fugo.0,
                            now
                        ])? as u64;
                    }
                }
                tx.commit()?;
                Ok(inserted)
            })
            .await
    }

    pub(super) async fn person_of(
        &self,
        agency: AgencyCode,
        fugo: Fugo,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .query_row(
                        "SELECT person_key FROM links WHERE agency = ?1 AND fugo = ?2",
                        params![agency.as_str(), fugo.0],
                        |row| row.get(0),
                    )
                    .optional()?)
            })
            .await
    }

    pub(super) async fn count(&self) -> Result<u64, StoreError> {
        self.db
            .read(|conn| {
                Ok(
                    conn.query_row("SELECT COUNT(*) FROM links", [], |row| row.get::<_, i64>(0))?
                        as u64,
                )
            })
            .await
    }
}
