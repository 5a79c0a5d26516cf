//! What a chunk of checked 加入者情報 rows does to a tenant's subscribers: which rows create a
//! subscriber (and a new 被保険者枝番), which update one, which are held, and what goes into the
//! 資格 history. Pure: the store loads the affected subscribers, calls [`plan_chunk`] inside its
//! transaction and writes the plan, so both engines apply the same rules.
//!
//! A subscriber's 資格 history is its current version, kept in the subscriber itself (with the
//! change, job and line that made it), and the versions before it, kept as history entries.
//! A new subscriber therefore writes one row, not two: a superseded version is written to the
//! history only when a later change supersedes it (docs/PERFORMANCE.md, "Session 10").

use std::collections::HashMap;

use renkei_core::{Date, Sex};
use renkei_wire::msg::intermediate::{RowOutcome, RowResult};

use super::hold::{code, Hold};
use super::record::{ChangeType, SubscriberRecord};

/// Keyed hash of a 個人番号 (intermediate's person index across tenants).
pub type PersonKey = [u8; 32];

/// A row that passed reading and 本人確認, with what registration needs.
#[derive(Debug, Clone)]
pub struct Ready {
    pub record: SubscriberRecord,
    pub person_key: PersonKey,
    /// The 個人番号, sealed (AES-GCM) for rest.
    pub number_sealed: Vec<u8>,
    /// The tenant's 機関別符号 for this person.
    pub fugo: String,
}

#[derive(Debug, Clone)]
pub enum Item {
    Held {
        line: u64,
        insured_number: String,
        hold: Hold,
    },
    Ready(Box<Ready>),
}

/// A subscriber as stored: one per person per tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// 被保険者枝番.
    pub branch: String,
    pub person_key: PersonKey,
    pub number_sealed: Vec<u8>,
    pub fugo: String,
    pub insurer_number: String,
    pub insured_number: String,
    pub name: String,
    pub kana: String,
    pub birth: Date,
    pub sex: Sex,
    pub address: String,
    pub acquired: Date,
    pub lost: Option<Date>,
    /// The 本人確認 result this registration rests on.
    pub verified: String,
    /// The job and line that last registered or changed this subscriber.
    pub source_job: String,
    pub source_line: u64,
    /// Number of versions in the 資格 history, this one included.
    pub version: u32,
    /// The change that made the current version.
    pub change: ChangeType,
    /// Where the current version came from when that is not `source_job`/`source_line`: a
    /// later row registered the same values again, which moves the source but makes no version.
    pub version_origin: Option<Origin>,
}

/// The job and line of a 加入者情報 row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub job: String,
    pub line: u64,
}

impl Subscriber {
    /// The job and line that made the current version.
    pub fn origin(&self) -> (&str, u64) {
        match &self.version_origin {
            Some(o) => (&o.job, o.line),
            None => (&self.source_job, self.source_line),
        }
    }
}

impl Subscriber {
    fn same_values(&self, other: &Subscriber) -> bool {
        (
            &self.fugo,
            &self.insurer_number,
            &self.insured_number,
            &self.name,
            &self.kana,
        ) == (
            &other.fugo,
            &other.insurer_number,
            &other.insured_number,
            &other.name,
            &other.kana,
        ) && (
            self.birth,
            self.sex,
            &self.address,
            self.acquired,
            self.lost,
        ) == (
            other.birth,
            other.sex,
            &other.address,
            other.acquired,
            other.lost,
        )
    }
}

/// The subscribers a chunk touches, as stored before it.
#[derive(Debug, Default)]
pub struct Existing {
    pub by_person: HashMap<PersonKey, Subscriber>,
    /// 被保険者番号 → the person holding it in this tenant.
    pub insured_owner: HashMap<String, PersonKey>,
}

pub struct PlanContext<'a> {
    pub job_id: &'a str,
    pub insurer_number: &'a str,
    /// e.g. "一致:氏名,カナ氏名,生年月日,性別@2026-11-24T15:00:00Z".
    pub verified: &'a str,
}

/// What the store writes, in one transaction.
#[derive(Debug, Default)]
pub struct Plan {
    /// 枝番 of stored subscribers whose stored version this chunk supersedes: the store copies
    /// each to the history before it applies the updates.
    pub archive: Vec<String>,
    pub inserts: Vec<Subscriber>,
    pub updates: Vec<Subscriber>,
    /// Versions made and superseded within this chunk (a file that registers a person and
    /// changes them again), for the 資格 history, each with its change, job and line.
    pub history: Vec<Subscriber>,
    pub results: Vec<RowResult>,
    pub next_branch: u64,
}

pub fn format_branch(n: u64) -> String {
    format!("{n:010}")
}

enum Action {
    Create,
    Update,
}

fn decide(
    rec: &SubscriberRecord,
    current: Option<&Subscriber>,
    taken_by_other: bool,
    job: &str,
) -> Result<Action, Hold> {
    if let Some(cur) = current {
        if cur.source_job == job && cur.insured_number != rec.insured_number.as_str() {
            return Err(Hold::field(
                code::DUPLICATE_IN_FILE,
                "個人番号",
                format!(
                    "{}行目と同じ個人番号が別の被保険者番号で記載されています",
                    cur.source_line
                ),
            ));
        }
    }
    let taken = || {
        Hold::field(
            code::INSURED_NUMBER_TAKEN,
            "被保険者番号",
            "別の方にすでに使われている被保険者番号です",
        )
    };
    let not_registered = || {
        Hold::field(
            code::NOT_REGISTERED,
            "異動区分",
            "この方は登録されていません。新規（1）で送ってください",
        )
    };
    match (rec.change, current) {
        (ChangeType::New, None) if taken_by_other => Err(taken()),
        (ChangeType::New, None) => Ok(Action::Create),
        (ChangeType::New, Some(cur)) if cur.insured_number == rec.insured_number.as_str() => {
            Ok(Action::Update)
        }
        (ChangeType::New, Some(_)) => Err(Hold::field(
            code::ALREADY_REGISTERED,
            "被保険者番号",
            "この方は別の被保険者番号で登録済みです。番号の変更は異動区分2（変更）で送ってください",
        )),
        (ChangeType::Change | ChangeType::Loss, None) => Err(not_registered()),
        (ChangeType::Change, Some(_)) if taken_by_other => Err(taken()),
        (ChangeType::Change, Some(_)) => Ok(Action::Update),
        (ChangeType::Loss, Some(cur)) if cur.insured_number != rec.insured_number.as_str() => {
            Err(Hold::field(
                code::INSURED_NUMBER_MISMATCH,
                "被保険者番号",
                "登録されている被保険者番号と異なります",
            ))
        }
        (ChangeType::Loss, Some(_)) => Ok(Action::Update),
    }
}

/// Applies `items` in file order to `existing`, allocating 枝番 from `next_branch`.
pub fn plan_chunk(
    ctx: &PlanContext<'_>,
    items: Vec<Item>,
    existing: Existing,
    next_branch: u64,
) -> Plan {
    let Existing {
        mut by_person,
        mut insured_owner,
    } = existing;
    // Sized for the chunk up front: growing maps of 50,000 keys rehashed them again and again
    // on the store's single writer thread.
    let n = items.len();
    by_person.reserve(n);
    insured_owner.reserve(n);
    let mut plan = Plan {
        next_branch,
        results: Vec::with_capacity(n),
        ..Plan::default()
    };
    // Who is written, in order of first appearance; `written` holds both lists' keys, each
    // with whether this chunk made the person's current version.
    let mut inserted: Vec<PersonKey> = Vec::with_capacity(n);
    let mut updated: Vec<PersonKey> = Vec::new();
    let mut written: HashMap<PersonKey, bool> = HashMap::with_capacity(n);
    for item in items {
        let ready = match item {
            Item::Held {
                line,
                insured_number,
                hold,
            } => {
                plan.results.push(held(line, insured_number, hold));
                continue;
            }
            Item::Ready(ready) => ready,
        };
        // Moved out, not cloned: this runs on the store's single writer thread.
        let Ready {
            record: rec,
            person_key,
            number_sealed,
            fugo,
        } = *ready;
        let current = by_person.get(&person_key);
        let taken_by_other = insured_owner
            .get(rec.insured_number.as_str())
            .is_some_and(|owner| owner != &person_key);
        let action = match decide(&rec, current, taken_by_other, ctx.job_id) {
            Ok(action) => action,
            Err(hold) => {
                plan.results
                    .push(held(rec.line, rec.insured_number.to_string(), hold));
                continue;
            }
        };
        let (branch, version, old) = match action {
            Action::Create => {
                let branch = format_branch(plan.next_branch);
                plan.next_branch += 1;
                (branch, 0, None)
            }
            Action::Update => {
                // Taken out, not copied: the new state goes back in below.
                let cur = by_person
                    .remove(&person_key)
                    .expect("decide() updates only existing subscribers");
                (cur.branch.clone(), cur.version, Some(cur))
            }
        };
        let mut next = Subscriber {
            branch: branch.clone(),
            person_key,
            number_sealed,
            fugo,
            insurer_number: ctx.insurer_number.to_owned(),
            insured_number: rec.insured_number.to_string(),
            name: rec.name.into_string(),
            kana: rec.kana.into_string(),
            birth: rec.birth,
            sex: rec.sex,
            address: rec.address,
            acquired: rec.acquired,
            lost: rec.lost,
            verified: ctx.verified.to_owned(),
            source_job: ctx.job_id.to_owned(),
            source_line: rec.line,
            version,
            change: rec.change,
            version_origin: None,
        };
        match old {
            None => {
                next.version += 1;
                written.insert(person_key, true);
                inserted.push(person_key);
            }
            Some(old) => {
                let made_here = written.get(&person_key) == Some(&true);
                let changed = !old.same_values(&next);
                if old.insured_number != next.insured_number {
                    insured_owner.remove(&old.insured_number);
                }
                if changed {
                    next.version += 1;
                    if made_here {
                        plan.history.push(old);
                    } else {
                        plan.archive.push(old.branch);
                    }
                } else {
                    // Unchanged: keep the sealed number, the 本人確認 record and the version
                    // (its change, job and line) of the registration it rests on.
                    next.version_origin = Some(old.version_origin.unwrap_or(Origin {
                        job: old.source_job,
                        line: old.source_line,
                    }));
                    next.number_sealed = old.number_sealed;
                    next.verified = old.verified;
                    next.change = old.change;
                }
                if written.insert(person_key, changed || made_here).is_none() {
                    updated.push(person_key);
                }
            }
        }
        insured_owner.insert(next.insured_number.clone(), person_key);
        plan.results.push(RowResult {
            line: rec.line,
            insured_number: next.insured_number.clone(),
            outcome: RowOutcome::Registered { branch },
        });
        by_person.insert(person_key, next);
    }
    // Each key is in one list once, so the final states move out instead of being copied.
    plan.inserts = inserted
        .iter()
        .filter_map(|k| by_person.remove(k))
        .collect();
    plan.updates = updated.iter().filter_map(|k| by_person.remove(k)).collect();
    plan
}

fn held(line: u64, insured_number: String, hold: Hold) -> RowResult {
    RowResult {
        line,
        insured_number,
        outcome: RowOutcome::Held {
            code: hold.code.to_owned(),
            reason: hold.reason,
        },
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
