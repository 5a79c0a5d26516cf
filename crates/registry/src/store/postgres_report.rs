//! PostgreSQL: applying a change to a resident with its history entry, and a municipality's
//! batch of reported changes in one transaction. Each 変更ID is claimed in
//! `reported_changes` before its change is applied (a concurrent re-send of the same id waits
//! on the key and then finds it taken), and released again if the change is refused.

use renkei_core::{Date, MyNumber};
use renkei_store::StoreError;
use tokio_postgres::Transaction;

use super::{sex, PgStore};
use crate::changes::{judge, Municipality, Report, ResidentState, Verdict};
use crate::history::{reason_code, ResidentChange};
use crate::store::IndexRow;

/// Applies `change` to the resident keyed `key` and appends it to the history; returns the
/// resident as it is now, or `None` when no such resident is held.
pub(super) async fn apply_change(
    tx: &Transaction<'_>,
    key: &Vec<u8>,
    number: MyNumber,
    change: &ResidentChange,
) -> Result<Option<IndexRow>, StoreError> {
    let Some(row) = tx
        .query_opt(
            "SELECT name, kana, address, municipality_code FROM residents
             WHERE number_key = $1 FOR UPDATE",
            &[key],
        )
        .await?
    else {
        return Ok(None);
    };
    let (name, kana, address, municipality): (String, String, String, String) = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    );
    let before = match change {
        ResidentChange::Moved {
            address: new,
            municipality_code,
            ..
        } => {
            tx.execute(
                "UPDATE residents SET address = $1, municipality_code = $2 WHERE number_key = $3",
                &[new, municipality_code, key],
            )
            .await?;
            crate::history::join(&[&address, &municipality])
        }
        ResidentChange::Renamed {
            name: new_name,
            kana: new_kana,
            ..
        } => {
            tx.execute(
                "UPDATE residents SET name = $1, kana = $2 WHERE number_key = $3",
                &[new_name, new_kana, key],
            )
            .await?;
            crate::history::join(&[&name, &kana])
        }
        ResidentChange::Removed { on, reason } => {
            tx.execute(
                "UPDATE residents SET removed_on = $1, removal_reason = $2 WHERE number_key = $3",
                &[on, &reason_code(*reason), key],
            )
            .await?;
            String::new()
        }
    };
    tx.execute(
        "INSERT INTO resident_history (number_key, kind, effective_on, before, after)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            key,
            &change.kind().as_str(),
            &change.on(),
            &before,
            &change.after(),
        ],
    )
    .await?;
    let now = tx
        .query_one(
            "SELECT name, kana, birth, sex, address, removed_on IS NOT NULL
             FROM residents WHERE number_key = $1",
            &[key],
        )
        .await?;
    Ok(Some(IndexRow {
        number,
        name: now.try_get(0)?,
        kana: now.try_get(1)?,
        birth: now.try_get(2)?,
        sex: sex(now.try_get(3)?)?,
        address: now.try_get(4)?,
        removed: now.try_get(5)?,
    }))
}

/// Judges and applies one report inside the batch's transaction.
async fn report_one(
    tx: &Transaction<'_>,
    reporter: &Municipality,
    key: &Vec<u8>,
    report: &Report,
    at: &str,
) -> Result<(Verdict, Option<IndexRow>), StoreError> {
    let change = &report.change;
    let (kind, on, after) = (change.kind().as_str(), change.on(), change.after());
    let claimed = tx
        .execute(
            "INSERT INTO reported_changes (municipality, change_id, number_key, kind, effective_on,
                                           after, reported_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                &reporter.code(),
                &report.change_id,
                key,
                &kind,
                &on,
                &after,
                &at,
            ],
        )
        .await?;
    if claimed == 0 {
        let row = tx
            .query_one(
                "SELECT number_key, kind, effective_on, after FROM reported_changes
                 WHERE municipality = $1 AND change_id = $2",
                &[&reporter.code(), &report.change_id],
            )
            .await?;
        let same = row.try_get::<_, Vec<u8>>(0)? == *key
            && row.try_get::<_, String>(1)? == kind
            && row.try_get::<_, Date>(2)? == on
            && row.try_get::<_, String>(3)? == after;
        let verdict = if same {
            Verdict::AlreadyApplied
        } else {
            Verdict::ChangeIdReused
        };
        return Ok((verdict, None));
    }
    let state = tx
        .query_opt(
            "SELECT municipality_code, birth, removed_on,
                    (SELECT MAX(effective_on) FROM resident_history h
                     WHERE h.number_key = r.number_key)
             FROM residents r WHERE number_key = $1 FOR UPDATE",
            &[key],
        )
        .await?
        .map(|r| {
            Ok::<_, StoreError>(ResidentState {
                municipality_code: r.try_get(0)?,
                birth: r.try_get(1)?,
                removed_on: r.try_get(2)?,
                last_change: r.try_get(3)?,
            })
        })
        .transpose()?;
    let verdict = match &state {
        None => Verdict::UnknownNumber,
        Some(state) => judge(reporter, state, change),
    };
    if verdict != Verdict::Applied {
        tx.execute(
            "DELETE FROM reported_changes WHERE municipality = $1 AND change_id = $2",
            &[&reporter.code(), &report.change_id],
        )
        .await?;
        return Ok((verdict, None));
    }
    let now = apply_change(tx, key, report.number.clone(), change).await?;
    Ok((verdict, now))
}

impl PgStore {
    /// Judges and applies a municipality's reports in order, in one transaction; returns each
    /// verdict with the resident as it is now for those applied.
    pub(in crate::store) async fn report_changes(
        &self,
        reporter: Municipality,
        reports: Vec<Report>,
        at: String,
    ) -> Result<Vec<(Verdict, Option<IndexRow>)>, StoreError> {
        let keys: Vec<Vec<u8>> = reports
            .iter()
            .map(|r| self.protection.number_key(&r.number).to_vec())
            .collect();
        let mut client = self.db.client().await?;
        let tx = client.transaction().await?;
        let mut out = Vec::with_capacity(reports.len());
        for (report, key) in reports.iter().zip(&keys) {
            out.push(report_one(&tx, &reporter, key, report, &at).await?);
        }
        tx.commit().await?;
        Ok(out)
    }
}
