//! SQLite: a resident's history (転居・氏名変更・消除) and the look-up log, as read and written.

use renkei_core::MyNumber;
use renkei_store::StoreError;
use rusqlite::params;

use super::*;
use crate::history::{ChangeKind, HistoryEntry};
use crate::jlis::{LogEntry, LookupKind};

impl SqliteStore {
    pub(crate) async fn history(&self, number: MyNumber) -> Result<Vec<HistoryEntry>, StoreError> {
        let key = self.protection.number_key(&number);
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT kind, effective_on, before, after FROM resident_history
                     WHERE number_key = ?1 ORDER BY effective_on, id",
                )?;
                let rows = stmt.query_map([&key[..]], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (kind, on, before, after) = row?;
                    out.push(HistoryEntry {
                        kind: ChangeKind::parse(&kind)
                            .ok_or_else(|| StoreError::Corrupt(format!("履歴の種別 {kind}")))?,
                        on: date(on)?,
                        before,
                        after,
                    });
                }
                Ok(out)
            })
            .await
    }

    pub(crate) async fn append_log(&self, entries: Vec<LogEntry>) -> Result<(), StoreError> {
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                {
                    let mut insert = tx.prepare_cached(
                        "INSERT INTO lookup_log (at, caller, on_behalf_of, insurer_number, purpose,
                                                 kind, asked, candidates)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )?;
                    for e in &entries {
                        insert.execute(params![
                            e.at,
                            e.caller,
                            e.on_behalf_of,
                            e.insurer_number,
                            e.purpose,
                            e.kind.as_str(),
                            e.asked,
                            e.candidates
                        ])?;
                    }
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    pub(crate) async fn recent_log(&self, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT at, caller, on_behalf_of, insurer_number, purpose, kind, asked, candidates
                     FROM (SELECT * FROM lookup_log ORDER BY id DESC LIMIT ?1) ORDER BY id",
                )?;
                let rows = stmt.query_map([limit], |r| {
                    Ok(LogEntry {
                        at: r.get(0)?,
                        caller: r.get(1)?,
                        on_behalf_of: r.get(2)?,
                        insurer_number: r.get(3)?,
                        purpose: r.get(4)?,
                        kind: if r.get::<_, String>(5)? == "number" {
                            LookupKind::Number
                        } else {
                            LookupKind::Basic4
                        },
                        asked: r.get(6)?,
                        candidates: r.get(7)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}
