//! Applying a chunk on SQLite: the look-ups the planner needs and the writes of its plan.

use renkei_store::StoreError;
use rusqlite::{params, Transaction};

use super::super::{change_code, iso, now, SUBSCRIBER_COLUMNS};
use super::subscriber;
use crate::domain::plan::{Existing, Item};

pub(super) fn load_existing(
    tx: &Transaction<'_>,
    tenant: &str,
    items: &[Item],
) -> Result<Existing, StoreError> {
    let mut existing = Existing::default();
    let by_person = format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE tenant = ?1 AND person_key = ?2"
    );
    let by_insured = format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE tenant = ?1 AND insured_number = ?2"
    );
    let mut by_person = tx.prepare_cached(&by_person)?;
    let mut by_insured = tx.prepare_cached(&by_insured)?;
    let ready = || {
        items.iter().filter_map(|item| match item {
            Item::Ready(ready) => Some(ready),
            Item::Held { .. } => None,
        })
    };
    let mut found = Vec::new();
    let mut persons: Vec<&[u8; 32]> = ready().map(|r| &r.person_key).collect();
    persons.sort_unstable();
    persons.dedup();
    for person in persons {
        if let Some(row) = by_person
            .query(params![tenant, person.as_slice()])?
            .next()?
        {
            found.push(subscriber(row)?);
        }
    }
    for s in found.drain(..) {
        existing
            .insured_owner
            .insert(s.insured_number.clone(), s.person_key);
        existing.by_person.insert(s.person_key, s);
    }
    let mut insured: Vec<&str> = ready()
        .map(|r| r.record.insured_number.as_str())
        .filter(|n| !existing.insured_owner.contains_key(*n))
        .collect();
    insured.sort_unstable();
    insured.dedup();
    for number in insured {
        if let Some(row) = by_insured.query(params![tenant, number])?.next()? {
            found.push(subscriber(row)?);
        }
    }
    for s in found {
        existing
            .insured_owner
            .insert(s.insured_number.clone(), s.person_key);
        existing.by_person.insert(s.person_key, s);
    }
    Ok(existing)
}

pub(super) fn write_plan(
    tx: &Transaction<'_>,
    tenant: &str,
    plan: &crate::domain::plan::Plan,
) -> Result<(), StoreError> {
    let updated_at = now();
    // One upsert for changed and new subscribers, updates first: one may free a 被保険者番号
    // that an insert then takes. The person key never changes on update.
    let mut upsert = tx.prepare_cached(
        "INSERT INTO subscribers (tenant, branch, person_key, number_sealed, fugo, insurer_number, insured_number,
         name, kana, birth, sex, address, acquired, lost, verified, source_job, source_line, version, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT (tenant, branch) DO UPDATE SET number_sealed = excluded.number_sealed, fugo = excluded.fugo,
         insurer_number = excluded.insurer_number, insured_number = excluded.insured_number, name = excluded.name,
         kana = excluded.kana, birth = excluded.birth, sex = excluded.sex, address = excluded.address,
         acquired = excluded.acquired, lost = excluded.lost, verified = excluded.verified,
         source_job = excluded.source_job, source_line = excluded.source_line, version = excluded.version,
         updated_at = excluded.updated_at",
    )?;
    for s in plan.updates.iter().chain(&plan.inserts) {
        upsert.execute(params![
            tenant,
            s.branch,
            s.person_key.as_slice(),
            s.number_sealed,
            s.fugo,
            s.insurer_number,
            s.insured_number,
            s.name,
            s.kana,
            iso(s.birth),
            s.sex.code(),
            s.address,
            iso(s.acquired),
            s.lost.map(iso),
            s.verified,
            s.source_job,
            s.source_line,
            s.version,
            updated_at
        ])?;
    }
    let mut history = tx.prepare_cached(
        "INSERT INTO subscriber_history (tenant, branch, version, change_type, insurer_number, insured_number, name,
         kana, birth, sex, address, acquired, lost, job_id, line, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for h in &plan.history {
        let s = &h.subscriber;
        history.execute(params![
            tenant,
            s.branch,
            s.version,
            change_code(h.change),
            s.insurer_number,
            s.insured_number,
            s.name,
            s.kana,
            iso(s.birth),
            s.sex.code(),
            s.address,
            iso(s.acquired),
            s.lost.map(iso),
            s.source_job,
            s.source_line,
            updated_at
        ])?;
    }
    Ok(())
}
