//! Applying a chunk on SQLite: the look-ups the planner needs and the writes of its plan.

use renkei_store::filter::{key_hash, prefix_hash, KeyFilter};
use renkei_store::sqlite::data_version;
use renkei_store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::super::{change_code, iso, now, SUBSCRIBER_COLUMNS};
use super::schema::{ARCHIVE, BY_PERSON, VERIFY_ONE_PER_PERSON};
use super::subscriber;
use crate::domain::plan::{Existing, Item, Plan};

/// What the writer knows is stored, so that [`load_existing`] probes only keys that may be:
/// filters of the subscribers' person keys (by the indexed 8-byte prefix, any tenant) and of
/// their (tenant, 被保険者番号). Filled from the two indexes on the first chunk, again when
/// full and again when another connection has written the database since
/// (`PRAGMA data_version`); every written subscriber is noted. Only a probe is skipped: the unique
/// index on the 被保険者番号 and the check after the inserts still guard the table.
pub(crate) struct Known {
    persons: KeyFilter,
    insured: KeyFilter,
    /// The writer's `data_version` when the filters were filled: another value means another
    /// connection wrote since, and the filters are filled afresh.
    data_version: i64,
}

impl Known {
    pub(super) fn load(conn: &Connection) -> Result<Known, StoreError> {
        // Subscribers are never deleted, so the last rowid bounds their number.
        let stored: i64 =
            conn.query_row("SELECT COALESCE(MAX(rowid), 0) FROM subscribers", [], |r| {
                r.get(0)
            })?;
        let capacity = (stored as usize * 2).max(1 << 20);
        let mut known = Known {
            persons: KeyFilter::with_capacity(capacity),
            insured: KeyFilter::with_capacity(capacity),
            data_version: data_version(conn)?,
        };
        let mut tags =
            conn.prepare("SELECT person_tag FROM subscribers INDEXED BY subscribers_person")?;
        let mut rows = tags.query([])?;
        while let Some(row) = rows.next()? {
            known
                .persons
                .insert(prefix_hash(row.get_ref(0)?.as_blob().map_err(corrupt)?));
        }
        let mut numbers = conn.prepare(
            "SELECT insured_number, tenant FROM subscribers INDEXED BY subscribers_insured",
        )?;
        let mut rows = numbers.query([])?;
        while let Some(row) = rows.next()? {
            let number = row.get_ref(0)?.as_str().map_err(corrupt)?;
            let tenant = row.get_ref(1)?.as_str().map_err(corrupt)?;
            known.insured.insert(insured_hash(tenant, number));
        }
        Ok(known)
    }

    /// Whether the filters still hold what `conn`'s tables do and have room for more.
    pub(super) fn is_current(&self, conn: &Connection) -> Result<bool, StoreError> {
        Ok(!self.persons.is_full()
            && !self.insured.is_full()
            && self.data_version == data_version(conn)?)
    }

    /// Notes what `plan` writes (before its transaction commits: a rollback leaves keys that
    /// are not stored, which only cost a probe).
    pub(super) fn note(&mut self, tenant: &str, plan: &Plan) {
        for s in plan.inserts.iter().chain(&plan.updates) {
            self.persons.insert(prefix_hash(&s.person_key));
            self.insured.insert(insured_hash(tenant, &s.insured_number));
        }
    }
}

fn corrupt(e: rusqlite::types::FromSqlError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn insured_hash(tenant: &str, number: &str) -> u64 {
    key_hash(&[tenant.as_bytes(), number.as_bytes()])
}

pub(super) fn load_existing(
    tx: &Transaction<'_>,
    tenant: &str,
    items: &[Item],
    known: &Known,
) -> Result<Existing, StoreError> {
    let mut existing = Existing::default();
    let by_person = format!("SELECT {SUBSCRIBER_COLUMNS} {BY_PERSON}");
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
    let mut persons: Vec<&[u8; 32]> = ready()
        .map(|r| &r.person_key)
        .filter(|k| known.persons.may_contain(prefix_hash(k.as_slice())))
        .collect();
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
        .filter(|n| known.insured.may_contain(insured_hash(tenant, n)))
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
    plan: &Plan,
) -> Result<(), StoreError> {
    let updated_at = now();
    // Stored versions that this chunk supersedes go to the history before they are updated.
    let mut archive = tx.prepare_cached(ARCHIVE)?;
    for branch in &plan.archive {
        archive.execute(params![tenant, branch])?;
    }
    // Updates first: one may free a 被保険者番号 that an insert then takes. The person key
    // never changes on update. `version_at` keeps the stored version's time while the version
    // stays (the right-hand sides read the row as it was).
    let mut update = tx.prepare_cached(
        "UPDATE subscribers SET number_sealed = ?3, fugo = ?4, insurer_number = ?5, insured_number = ?6, name = ?7,
         kana = ?8, birth = ?9, sex = ?10, address = ?11, acquired = ?12, lost = ?13, verified = ?14,
         source_job = ?15, source_line = ?16, version = ?17, updated_at = ?18, change_type = ?19,
         version_job = ?20, version_line = ?21,
         version_at = CASE WHEN version = ?17 THEN COALESCE(version_at, updated_at) END
         WHERE tenant = ?1 AND branch = ?2",
    )?;
    for s in &plan.updates {
        let origin = s.version_origin.as_ref();
        let changed = update.execute(params![
            tenant,
            s.branch,
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
            updated_at,
            change_code(s.change),
            origin.map(|o| &o.job),
            origin.map(|o| o.line),
        ])?;
        if changed != 1 {
            return Err(StoreError::Corrupt(format!(
                "枝番 {} の加入者がありません",
                s.branch
            )));
        }
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO subscribers (tenant, branch, person_key, number_sealed, fugo, insurer_number, insured_number,
         name, kana, birth, sex, address, acquired, lost, verified, source_job, source_line, version, updated_at,
         change_type, version_job, version_line)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
    )?;
    let mut first_inserted = None;
    for s in &plan.inserts {
        let origin = s.version_origin.as_ref();
        insert.execute(params![
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
            updated_at,
            change_code(s.change),
            origin.map(|o| &o.job),
            origin.map(|o| o.line),
        ])?;
        first_inserted.get_or_insert(tx.last_insert_rowid());
    }
    if let Some(first) = first_inserted {
        one_subscriber_per_person(tx, first)?;
    }
    let mut history = tx.prepare_cached(
        "INSERT INTO subscriber_history (tenant, branch, version, change_type, insurer_number, insured_number, name,
         kana, birth, sex, address, acquired, lost, job_id, line, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    for s in &plan.history {
        let (job, line) = s.origin();
        history.execute(params![
            tenant,
            s.branch,
            s.version,
            change_code(s.change),
            s.insurer_number,
            s.insured_number,
            s.name,
            s.kana,
            iso(s.birth),
            s.sex.code(),
            s.address,
            iso(s.acquired),
            s.lost.map(iso),
            job,
            line,
            updated_at
        ])?;
    }
    Ok(())
}

/// The safety net under the planner, in the chunk's transaction: no subscriber inserted from
/// rowid `first` on shares its person with another subscriber of its tenant. The person index
/// holds a prefix of the key and cannot be unique itself; a duplicate fails the chunk with the
/// error the unique index on the whole key gave.
fn one_subscriber_per_person(tx: &Transaction<'_>, first: i64) -> Result<(), StoreError> {
    let duplicate: Option<String> = tx
        .prepare_cached(VERIFY_ONE_PER_PERSON)?
        .query_row([first], |r| r.get(0))
        .optional()?;
    match duplicate {
        None => Ok(()),
        Some(_) => Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE),
            Some("UNIQUE constraint failed: subscribers.tenant, subscribers.person_key".into()),
        )
        .into()),
    }
}
