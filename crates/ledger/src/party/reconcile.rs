//! Reconciling the parties' own records with the hub's 情報提供等記録: every record has its
//! entry, agrees with it, and every entry has the records its covered parties must keep.

use std::collections::{HashMap, HashSet};

use super::{outcome_name, PartyRecord, Side};
use crate::record_log::{Entry, Outcome};

/// A party's records to reconcile: the system's name, the institution codes whose
/// exchanges it records, and its records.
pub struct PartyRecords {
    pub system: String,
    pub covers: HashSet<String>,
    pub records: Vec<PartyRecord>,
}

/// What reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub hub_entries: usize,
    pub party_records: usize,
}

/// The first disagreement between the parties' records and the hub's log (by the hub's
/// entry number), and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}（不一致 {count} 件）")]
pub struct Disagreement {
    /// The hub entry concerned, when there is one.
    pub seq: Option<u64>,
    pub message: String,
    pub count: usize,
}

/// Checks every party record against the hub's log, and that every exchange in the log
/// has the records its covered parties must have kept: the asker's always, the provider's
/// when the provider answered (the entry carries its answer signature).
pub fn reconcile(hub: &[Entry], parties: &[PartyRecords]) -> Result<Reconciled, Disagreement> {
    let mut by_key: HashMap<(&str, &str, bool), &Entry> = HashMap::with_capacity(hub.len());
    for e in hub {
        let x = &e.exchange;
        by_key.insert(
            (
                x.asker.as_str(),
                x.request_id.as_str(),
                x.outcome != Outcome::Unavailable,
            ),
            e,
        );
    }
    let mut found: Vec<(u64, String)> = Vec::new();
    let mut seen: HashSet<(u64, Side)> = HashSet::new();
    for p in parties {
        for r in &p.records {
            let at = format!(
                "{}の記録（{} {}、照会者 {}、照会番号 {}）",
                p.system,
                r.side.name(),
                r.party,
                r.asker,
                r.request_id
            );
            let Some(e) = by_key.get(&(r.asker.as_str(), r.request_id.as_str(), r.is_final()))
            else {
                found.push((
                    r.hub_seq.unwrap_or(u64::MAX),
                    format!("{at}: 情報提供等記録に対応する記録がありません"),
                ));
                continue;
            };
            seen.insert((e.seq, r.side));
            if let Some(problem) = disagreement(r, e) {
                found.push((e.seq, format!("{at}: {problem}")));
            }
        }
    }
    found.extend(missing_records(hub, parties, &seen));
    if found.is_empty() {
        return Ok(Reconciled {
            hub_entries: hub.len(),
            party_records: parties.iter().map(|p| p.records.len()).sum(),
        });
    }
    let count = found.len();
    let (seq, message) = found
        .into_iter()
        .min_by_key(|(seq, _)| *seq)
        .expect("not empty");
    Err(Disagreement {
        seq: (seq != u64::MAX).then_some(seq),
        message,
        count,
    })
}

/// How a party's record differs from the hub's entry it matches, if it does.
fn disagreement(r: &PartyRecord, e: &Entry) -> Option<String> {
    let x = &e.exchange;
    let party_ok = match r.side {
        Side::Asked => r.party == x.asker,
        Side::Provided => r.party == x.provider,
    };
    let outcome_ok = match r.side {
        Side::Asked => r.outcome == x.outcome,
        // The provider answered; the hub recorded that answer.
        Side::Provided => {
            r.outcome == x.outcome && matches!(r.outcome, Outcome::Data | Outcome::NoRecord)
        }
    };
    if !party_ok {
        Some(format!(
            "記録した機関（{}）が第{}号の当事者ではありません",
            r.party, e.seq
        ))
    } else if (r.provider.as_str(), r.task.as_str(), r.info.as_str())
        != (x.provider.as_str(), x.task.as_str(), x.info.as_str())
    {
        Some(format!(
            "提供者・事務・特定個人情報（{} {} {}）が第{}号（{} {} {}）と違います",
            r.provider, r.task, r.info, e.seq, x.provider, x.task, x.info
        ))
    } else if !outcome_ok {
        Some(format!(
            "結果（{}）が第{}号（{}）と違います",
            outcome_name(&r.outcome),
            e.seq,
            outcome_name(&x.outcome)
        ))
    } else if r.hub_seq.is_some_and(|s| s != e.seq) {
        Some(format!(
            "記録した番号（第{}号）が情報提供等記録（第{}号）と違います",
            r.hub_seq.unwrap_or_default(),
            e.seq
        ))
    } else if r.disclosable != x.disclosable {
        Some(format!("本人への開示の可否が第{}号と違います", e.seq))
    } else {
        None
    }
}

/// The records a covered party should have kept of an exchange and did not: the asker's
/// always, the provider's when it answered.
fn missing_records(
    hub: &[Entry],
    parties: &[PartyRecords],
    seen: &HashSet<(u64, Side)>,
) -> Vec<(u64, String)> {
    let covered = |code: &str| parties.iter().find(|p| p.covers.contains(code));
    let mut found = Vec::new();
    for e in hub {
        let x = &e.exchange;
        if let Some(p) = covered(&x.asker) {
            if !seen.contains(&(e.seq, Side::Asked)) {
                found.push((
                    e.seq,
                    format!(
                        "第{}号（照会者 {}、照会番号 {}）: 照会者（{}）の記録がありません",
                        e.seq, x.asker, x.request_id, p.system
                    ),
                ));
            }
        }
        if let Some(p) = covered(&x.provider) {
            if !x.answer_signature.is_empty() && !seen.contains(&(e.seq, Side::Provided)) {
                found.push((
                    e.seq,
                    format!(
                        "第{}号（照会者 {}、照会番号 {}）: 提供者（{}）の回答の記録がありません",
                        e.seq, x.asker, x.request_id, p.system
                    ),
                ));
            }
        }
    }
    found
}
