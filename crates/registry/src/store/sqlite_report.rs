//! SQLite: applying a change to a resident with its history entry, and a municipality's
//! batch of reported changes in one transaction — each 変更ID claimed in `reported_changes`
//! before its change is applied, and released again if the change is refused.

use renkei_core::MyNumber;
use renkei_store::StoreError;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{date, day, sex, SqliteStore};
use crate::changes::{judge, Municipality, Report, ResidentState, Verdict};
use crate::history::{reason_code, ResidentChange};
use crate::store::IndexRow;

/// Applies `change` to the resident keyed `key` and appends it to the history; returns the
/// resident as it is now, or `None` when no such resident is held.
pub(super) fn apply_change(
    tx: &Transaction<'_>,
    key: &[u8; 32],
    number: &MyNumber,
    change: &ResidentChange,
) -> Result<Option<IndexRow>, StoreError> {
    let before: Option<(String, String, String, String)> = tx
        .query_row(
            "SELECT name, kana, address, municipality_code FROM residents WHERE number_key = ?1",
            [&key[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((name, kana, address, municipality)) = before else {
        return Ok(None);
    };
    let before = match change {
        ResidentChange::Moved {
            address: new,
            municipality_code,
            ..
        } => {
            tx.execute(
                "UPDATE residents SET address = ?1, municipality_code = ?2 WHERE number_key = ?3",
                params![new, municipality_code, &key[..]],
            )?;
            crate::history::join(&[&address, &municipality])
        }
        ResidentChange::Renamed {
            name: new_name,
            kana: new_kana,
            ..
        } => {
            tx.execute(
                "UPDATE residents SET name = ?1, kana = ?2 WHERE number_key = ?3",
                params![new_name, new_kana, &key[..]],
            )?;
            crate::history::join(&[&name, &kana])
        }
        ResidentChange::Removed { on, reason } => {
            tx.execute(
                "UPDATE residents SET removed_on = ?1, removal_reason = ?2 WHERE number_key = ?3",
                params![day(*on), reason_code(*reason), &key[..]],
            )?;
            String::new()
        }
    };
    tx.execute(
        "INSERT INTO resident_history (number_key, kind, effective_on, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            &key[..],
            change.kind().as_str(),
            day(change.on()),
            before,
            change.after()
        ],
    )?;
    let now = tx.query_row(
        "SELECT name, kana, birth, sex, address, removed_on IS NOT NULL
         FROM residents WHERE number_key = ?1",
        [&key[..]],
        |r| {
            Ok(IndexRow {
                number: number.clone(),
                name: r.get(0)?,
                kana: r.get(1)?,
                birth: date(r.get(2)?)?,
                sex: sex(r.get(3)?)?,
                address: r.get(4)?,
                removed: r.get(5)?,
            })
        },
    )?;
    Ok(Some(now))
}

/// Judges and applies one report inside the batch's transaction.
fn report_one(
    tx: &Transaction<'_>,
    reporter: &Municipality,
    key: &[u8; 32],
    report: &Report,
    at: &str,
) -> Result<(Verdict, Option<IndexRow>), StoreError> {
    let change = &report.change;
    let claimed = tx.execute(
        "INSERT INTO reported_changes (municipality, change_id, number_key, kind, effective_on,
                                       after, reported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        params![
            reporter.code(),
            report.change_id,
            &key[..],
            change.kind().as_str(),
            day(change.on()),
            change.after(),
            at
        ],
    )?;
    if claimed == 0 {
        let (k, kind, on, after): (Vec<u8>, String, i32, String) = tx.query_row(
            "SELECT number_key, kind, effective_on, after FROM reported_changes
             WHERE municipality = ?1 AND change_id = ?2",
            params![reporter.code(), report.change_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let same = k == key[..]
            && kind == change.kind().as_str()
            && on == day(change.on())
            && after == change.after();
        let verdict = if same {
            Verdict::AlreadyApplied
        } else {
            Verdict::ChangeIdReused
        };
        return Ok((verdict, None));
    }
    let state = tx
        .query_row(
            "SELECT municipality_code, birth, removed_on,
                    (SELECT MAX(effective_on) FROM resident_history h
                     WHERE h.number_key = r.number_key)
             FROM residents r WHERE number_key = ?1",
            [&key[..]],
            |r| {
                Ok(ResidentState {
                    municipality_code: r.get(0)?,
                    birth: date(r.get(1)?)?,
                    removed_on: r.get::<_, Option<i32>>(2)?.map(date).transpose()?,
                    last_change: r.get::<_, Option<i32>>(3)?.map(date).transpose()?,
                })
            },
        )
        .optional()?;
    let verdict = match &state {
        None => Verdict::UnknownNumber,
        Some(state) => judge(reporter, state, change),
    };
    if verdict != Verdict::Applied {
        tx.execute(
            "DELETE FROM reported_changes WHERE municipality = ?1 AND change_id = ?2",
            params![reporter.code(), report.change_id],
        )?;
        return Ok((verdict, None));
    }
    let now = apply_change(tx, key, &report.number, change)?;
    Ok((verdict, now))
}

impl SqliteStore {
    /// Judges and applies a municipality's reports in order, in one transaction; returns each
    /// verdict with the resident as it is now for those applied.
    pub(in crate::store) async fn report_changes(
        &self,
        reporter: Municipality,
        reports: Vec<Report>,
        at: String,
    ) -> Result<Vec<(Verdict, Option<IndexRow>)>, StoreError> {
        let keys: Vec<[u8; 32]> = reports
            .iter()
            .map(|r| self.protection.number_key(&r.number))
            .collect();
        self.db
            .write(move |conn| {
                let tx = conn.transaction()?;
                let out = reports
                    .iter()
                    .zip(&keys)
                    .map(|(report, key)| report_one(&tx, &reporter, key, report, &at))
                    .collect::<Result<Vec<_>, _>>()?;
                tx.commit()?;
                Ok(out)
            })
            .await
    }
}
