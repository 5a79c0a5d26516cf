//! PostgreSQL: a resident's history (転居・氏名変更・消除) and the look-up log, as read and
//! written.

use renkei_core::MyNumber;
use renkei_store::StoreError;

use super::*;
use crate::history::{ChangeKind, HistoryEntry};
use crate::jlis::{LogEntry, LookupKind};

impl PgStore {
    pub(crate) async fn history(&self, number: MyNumber) -> Result<Vec<HistoryEntry>, StoreError> {
        let key = self.protection.number_key(&number).to_vec();
        let client = self.db.client().await?;
        let rows = client
            .query(
                "SELECT kind, effective_on, before, after FROM resident_history
                 WHERE number_key = $1 ORDER BY effective_on, id",
                &[&key],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(0)?;
                Ok(HistoryEntry {
                    kind: ChangeKind::parse(&kind)
                        .ok_or_else(|| corrupt(format!("履歴の種別 {kind}")))?,
                    on: r.try_get(1)?,
                    before: r.try_get(2)?,
                    after: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub(crate) async fn append_log(&self, entries: Vec<LogEntry>) -> Result<(), StoreError> {
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        let mut cols: [Vec<Option<String>>; 7] = Default::default();
        let mut counts: Vec<i32> = Vec::with_capacity(entries.len());
        for e in &entries {
            cols[0].push(Some(e.at.clone()));
            cols[1].push(Some(e.caller.clone()));
            cols[2].push(Some(e.on_behalf_of.clone()));
            cols[3].push(e.insurer_number.clone());
            cols[4].push(Some(e.purpose.clone()));
            cols[5].push(Some(e.kind.as_str().to_owned()));
            cols[6].push(Some(e.asked.clone()));
            counts.push(e.candidates as i32);
        }
        tx.execute(
            "INSERT INTO lookup_log (at, caller, on_behalf_of, insurer_number, purpose, kind, asked,
                                     candidates)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::text[], $8::int4[])",
            &[
                &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &counts,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn recent_log(&self, limit: u32) -> Result<Vec<LogEntry>, StoreError> {
        let client = self.db.client().await?;
        let rows = client
            .query(
                "SELECT at, caller, on_behalf_of, insurer_number, purpose, kind, asked, candidates
                 FROM (SELECT * FROM lookup_log ORDER BY id DESC LIMIT $1) l ORDER BY id",
                &[&i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(5)?;
                let candidates: i32 = r.try_get(7)?;
                Ok(LogEntry {
                    at: r.try_get(0)?,
                    caller: r.try_get(1)?,
                    on_behalf_of: r.try_get(2)?,
                    insurer_number: r.try_get(3)?,
                    purpose: r.try_get(4)?,
                    kind: if kind == "number" {
                        LookupKind::Number
                    } else {
                        LookupKind::Basic4
                    },
                    asked: r.try_get(6)?,
                    candidates: candidates as u32,
                })
            })
            .collect()
    }
}
