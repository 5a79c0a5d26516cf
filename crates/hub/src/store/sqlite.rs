//! Links on embedded SQLite: look-ups in one read transaction with a cached statement, new
//! links with `INSERT OR IGNORE` in one write transaction.
//!
//! Both keys of a link are keyed hashes, so every insert lands on a random page of each index
//! and a batch commit writes about one page per link per index. Rows are therefore appended
//! in rowid order and only the two look-ups each index, and each by a prefix of its key (a
//! generated column: `number_tag`, the first 8 bytes of the number key; `fugo_tag`, the first
//! 8 characters of the 符号) without the agency: entries of ~15 bytes instead of ~55, so a
//! million links take a quarter of the pages, and a batch dirties (writes to the WAL, and
//! copies back at checkpoint) correspondingly fewer. Look-ups compare the full values on the
//! rows the prefix finds. Keys are visited in sorted order within a batch so that each page
//! is reached once.
//!
//! Prefix indexes cannot be unique, so idempotence ("a link that exists — same agency and
//! number, or same agency and 符号 — is left as it is") is checked by a probe of both before
//! each insert, in the writer's transaction: every insert goes through [`SqliteStore::insert_links`].
//! The writer skips the probes of a link whose two prefixes are certainly not stored
//! ([`known::Known`]: Bloom filters of both indexes, up to [`known::FILTER_MAX_LINKS`] links).

use std::path::Path;
use std::sync::{Arc, Mutex};

use renkei_store::sqlite::{Sqlite, Tuning};
use renkei_store::StoreError;
use renkei_wire::msg::hub::Fugo;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::log::{self, LogHead, Row, StoredLog, COLUMNS};
use super::NewLink;
use crate::domain::AgencyCode;
use renkei_ledger::record_log::{Checkpoint, Entry, Outcome};

const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE links (
        id         INTEGER PRIMARY KEY,
        agency     TEXT NOT NULL,
        number_key BLOB NOT NULL,     -- HMAC-SHA256(number_hash, 個人番号)
        person_key BLOB NOT NULL,     -- HMAC-SHA256(person, 住民票コード)
        fugo       TEXT NOT NULL,     -- 機関別符号
        issued_at  INTEGER NOT NULL   -- Unix seconds
    );
    CREATE UNIQUE INDEX links_agency_number ON links (agency, number_key);
    CREATE UNIQUE INDEX links_agency_fugo ON links (agency, fugo);
",
    super::log::SQLITE,
    // Version 3: both look-ups by prefix (see the module's documentation). No row is copied.
    "
    ALTER TABLE links ADD COLUMN number_tag BLOB AS (substr(number_key, 1, 8)) VIRTUAL;
    ALTER TABLE links ADD COLUMN fugo_tag TEXT AS (substr(fugo, 1, 8)) VIRTUAL;
    DROP INDEX links_agency_number;
    DROP INDEX links_agency_fugo;
    CREATE INDEX links_number ON links (number_tag);
    CREATE INDEX links_fugo ON links (fugo_tag);
",
];

/// The 符号 of (agency ?1, number key ?2), found by the key's prefix.
const FUGO_BY_NUMBER: &str = "SELECT fugo FROM links INDEXED BY links_number
    WHERE number_tag = substr(?2, 1, 8) AND agency = ?1 AND number_key = ?2";

/// The person key of (agency ?1, 符号 ?2), found by the 符号's prefix.
const PERSON_BY_FUGO: &str = "SELECT person_key FROM links INDEXED BY links_fugo
    WHERE fugo_tag = substr(?2, 1, 8) AND agency = ?1 AND fugo = ?2";

/// Whether agency ?1 has a link with number key ?2 or with 符号 ?3 (the same two probes).
const KNOWN_LINK: &str = "SELECT EXISTS (SELECT 1 FROM links INDEXED BY links_number
    WHERE number_tag = substr(?2, 1, 8) AND agency = ?1 AND number_key = ?2)
    OR EXISTS (SELECT 1 FROM links INDEXED BY links_fugo
    WHERE fugo_tag = substr(?3, 1, 8) AND agency = ?1 AND fugo = ?3)";

/// Cache sizes: the writer keeps both prefix indexes (~36 MiB per million links) and the
/// table's last pages (rows are appended, so older ones are never written again); readers
/// probe one index.
const TUNING: Tuning = Tuning {
    writer_cache_kib: 64 * 1024,
    reader_cache_kib: 16 * 1024,
};

/// Links above which the writer keeps no filters and probes every new link: two filters of
/// twice the stored links at 10 bits each come to 16 MiB here. (A hub of every agency's links
/// holds far more; there most new links are of people already linked for another agency, whom
/// a filter without the agency would only answer "maybe" for.)
mod known;
use known::Filters;

fn corrupt(e: rusqlite::types::FromSqlError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Positions of `keys` in ascending key order.
fn sorted_order<T: Ord>(keys: &[T]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
    order
}

#[derive(Clone)]
pub struct SqliteStore {
    db: Sqlite,
    known: Arc<Mutex<Filters>>,
}

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let path = path.to_owned();
        let db = tokio::task::spawn_blocking(move || Sqlite::open_with(&path, MIGRATIONS, TUNING))
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))??;
        Ok(SqliteStore {
            db,
            known: Arc::default(),
        })
    }

    pub(super) async fn find_links(
        &self,
        agency: AgencyCode,
        keys: Vec<[u8; 32]>,
    ) -> Result<Vec<Option<Fugo>>, StoreError> {
        self.db
            .read(move |conn| {
                let tx = conn.unchecked_transaction()?;
                let mut stmt = tx.prepare_cached(FUGO_BY_NUMBER)?;
                let mut out = vec![None; keys.len()];
                for i in sorted_order(&keys) {
                    let fugo: Option<String> = stmt
                        .query_row(params![agency.as_str(), &keys[i][..]], |row| row.get(0))
                        .optional()?;
                    out[i] = fugo.map(Fugo);
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
        mut links: Vec<NewLink>,
    ) -> Result<u64, StoreError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        links.sort_unstable_by_key(|l| l.number_key);
        let filters = self.known.clone();
        self.db
            .write(move |conn| {
                let mut filters = filters.lock().unwrap_or_else(|p| p.into_inner());
                // Immediate: nobody else can commit between the filters' version check and
                // the inserts (a deferred transaction would take the write lock only there).
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut known = filters.current(&tx)?;
                let mut inserted = 0;
                {
                    let mut probe = tx.prepare_cached(KNOWN_LINK)?;
                    let mut insert = tx.prepare_cached(
                        "INSERT INTO links (agency, number_key, person_key, fugo, issued_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?;
                    for link in &links {
                        let number = &link.number_key[..];
                        if known.as_ref().is_none_or(|k| k.may_exist(link)) {
                            let exists: bool = probe.query_row(
                                params![agency.as_str(), number, link.fugo.0],
                                |row| row.get(0),
                            )?;
                            if exists {
                                continue;
                            }
                        }
                        let (person, fugo) = (&link.person_key[..], &link.fugo.0);
                        insert.execute(params![agency.as_str(), number, person, fugo, now])?;
                        if let Some(k) = known.as_mut() {
                            k.note(link);
                        }
                        inserted += 1;
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
            .read_point(move |conn| {
                Ok(conn
                    .prepare_cached(PERSON_BY_FUGO)?
                    .query_row(params![agency.as_str(), fugo.0], |row| row.get(0))
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

    pub(super) async fn append_log(
        &self,
        entries: Vec<Entry>,
        checkpoints: Vec<Checkpoint>,
    ) -> Result<(), StoreError> {
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                {
                    let mut stmt = tx.prepare_cached(&format!(
                        "INSERT INTO record_log ({COLUMNS}, final)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                    ))?;
                    for e in &entries {
                        let x = &e.exchange;
                        let (code, refusal) = x.outcome.to_code();
                        stmt.execute(params![
                            e.seq as i64,
                            e.time_micros,
                            x.asker,
                            x.provider,
                            x.task,
                            x.info,
                            code,
                            refusal,
                            x.disclosable,
                            x.request_id,
                            &x.person[..],
                            x.request_signature,
                            x.answer_signature,
                            &e.hash[..],
                            code != 3,
                        ])?;
                    }
                    let mut stmt = tx.prepare_cached(
                        "INSERT INTO record_checkpoints (seq, hash, time_micros, signature)
                         VALUES (?1, ?2, ?3, ?4)",
                    )?;
                    for c in &checkpoints {
                        stmt.execute(params![
                            c.seq as i64,
                            &c.hash[..],
                            c.time_micros,
                            c.signature
                        ])?;
                    }
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    /// Entries of one (asker, request id), final outcome first.
    pub(super) async fn recorded(
        &self,
        asker: String,
        request_id: String,
    ) -> Result<Vec<Entry>, StoreError> {
        self.db
            .read_point(move |conn| {
                // Ordered here, not by SQL: with an ORDER BY, this SQLite build prepares the
                // statement again at every execution (bound values can change the plan), which
                // cost the inquiry path more than the look-up itself.
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM record_log WHERE asker = ?1 AND request_id = ?2"
                ))?;
                let rows = stmt.query_map(params![asker, request_id], row)?;
                let mut entries = rows
                    .map(|r| r?.into_entry())
                    .collect::<Result<Vec<Entry>, StoreError>>()?;
                entries.sort_by_key(|e| e.exchange.outcome == Outcome::Unavailable);
                Ok(entries)
            })
            .await
    }

    pub(super) async fn log_head(&self) -> Result<LogHead, StoreError> {
        self.db
            .read(|conn| {
                let last = conn
                    .query_row(
                        &format!("SELECT {COLUMNS} FROM record_log ORDER BY seq DESC LIMIT 1"),
                        [],
                        row,
                    )
                    .optional()?
                    .map(Row::into_entry)
                    .transpose()?;
                let checkpointed: Option<i64> =
                    conn.query_row("SELECT MAX(seq) FROM record_checkpoints", [], |r| r.get(0))?;
                Ok(LogHead {
                    last,
                    checkpointed_seq: checkpointed.unwrap_or(0) as u64,
                })
            })
            .await
    }

    pub(super) async fn read_log(&self) -> Result<StoredLog, StoreError> {
        self.db
            .read(|conn| {
                let mut stmt =
                    conn.prepare(&format!("SELECT {COLUMNS} FROM record_log ORDER BY seq"))?;
                let mut entries: Vec<Entry> = Vec::new();
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let seq: Option<i64> = r.get(0).ok();
                    let entry = row(r)
                        .map_err(StoreError::from)
                        .and_then(Row::into_entry)
                        .map_err(|e| log::unreadable(seq, entries.last(), e))?;
                    entries.push(entry);
                }
                let mut stmt = conn.prepare(
                    "SELECT seq, hash, time_micros, signature FROM record_checkpoints ORDER BY seq",
                )?;
                let checkpoints = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .map(|r| {
                        let (seq, hash, time, sig) = r?;
                        log::checkpoint(seq, hash, time, sig)
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(StoredLog {
                    entries,
                    checkpoints,
                })
            })
            .await
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        seq: r.get(0)?,
        time_micros: r.get(1)?,
        asker: r.get(2)?,
        provider: r.get(3)?,
        task: r.get(4)?,
        info: r.get(5)?,
        outcome: r.get(6)?,
        refusal: r.get(7)?,
        disclosable: r.get(8)?,
        request_id: r.get(9)?,
        person: r.get(10)?,
        request_signature: r.get(11)?,
        answer_signature: r.get(12)?,
        hash: r.get(13)?,
    })
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
