//! Applying a delta (差分) in file order, the rule without the I/O: adds of what is there,
//! changes and deletions of what is not are refused with the row named; a refused row changes
//! nothing, and every row after it is still checked so that one pass names them all.
//!
//! The store feeds the staged rows in line order, a chunk at a time, with the current record of
//! each key the chunk touches; the plan says what to write so that the version being made holds
//! the final state of each key.

use std::collections::HashMap;

use renkei_wire::msg::fuhon::{FuhonKind, RowError};

use super::record::Op;

/// A staged row as the store reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub line: u64,
    pub op: Op,
    pub key: String,
    pub insured: String,
    pub branch: String,
    /// Joined canonical fields (see [`super::record::join_fields`]).
    pub fields: String,
}

/// The current record of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub from_version: u64,
    pub insured: String,
    pub branch: String,
    pub fields: String,
}

/// What to write for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// End the current record (it stays readable in earlier versions).
    Close { key: String },
    /// Drop the record this same version made (it was never visible).
    Remove { key: String },
    /// A new current record from this version on.
    Insert { key: String, record: Current },
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeltaPlan {
    pub writes: Vec<Write>,
    pub errors: Vec<RowError>,
    pub added: u64,
    pub changed: u64,
    pub deleted: u64,
    pub unchanged: u64,
}

/// Plans `rows` (in line order) against `current` (every key they touch → its record, if any)
/// for `version`.
pub fn plan_delta(
    kind: FuhonKind,
    version: u64,
    rows: &[Staged],
    current: &HashMap<String, Option<Current>>,
) -> DeltaPlan {
    let mut plan = DeltaPlan::default();
    let mut state: HashMap<&str, Option<Current>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for row in rows {
        let key = row.key.as_str();
        let now = state.entry(key).or_insert_with(|| {
            order.push(key);
            current.get(key).cloned().flatten()
        });
        let refuse = |code: &str, message: String| RowError {
            line: row.line,
            field: "異動区分".into(),
            code: code.into(),
            message,
        };
        let what = format!("被保険者番号 {} の{}", row.insured, kind.label());
        let new = || Current {
            from_version: version,
            insured: row.insured.clone(),
            branch: row.branch.clone(),
            fields: row.fields.clone(),
        };
        match (row.op, now.as_ref()) {
            (Op::Add, Some(_)) => plan.errors.push(refuse(
                "ALREADY_EXISTS",
                format!("{what}は既に副本にあります（追加できません。内容を変えるときは異動区分2（変更））"),
            )),
            (Op::Add, None) | (Op::Put, None) => {
                *now = Some(new());
                plan.added += 1;
            }
            (Op::Change, None) => plan.errors.push(refuse(
                "NOT_FOUND",
                format!("{what}は副本にないため変更できません（先に異動区分1（追加））"),
            )),
            (Op::Delete, None) => plan.errors.push(refuse(
                "NOT_FOUND",
                format!("{what}は副本にないため削除できません"),
            )),
            (Op::Change | Op::Put, Some(c)) if c.fields == row.fields => plan.unchanged += 1,
            (Op::Change | Op::Put, Some(_)) => {
                *now = Some(new());
                plan.changed += 1;
            }
            (Op::Delete, Some(_)) => {
                *now = None;
                plan.deleted += 1;
            }
        }
    }
    for key in order {
        let initial = current.get(key).cloned().flatten();
        let last = state.remove(key).flatten();
        if initial == last {
            continue;
        }
        if let Some(initial) = &initial {
            plan.writes.push(if initial.from_version == version {
                Write::Remove {
                    key: key.to_owned(),
                }
            } else {
                Write::Close {
                    key: key.to_owned(),
                }
            });
        }
        if let Some(record) = last {
            plan.writes.push(Write::Insert {
                key: key.to_owned(),
                record,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, op: Op, key: &str, fields: &str) -> Staged {
        Staged {
            line,
            op,
            key: key.into(),
            insured: key.into(),
            branch: format!("b{key}"),
            fields: fields.into(),
        }
    }

    fn cur(from: u64, key: &str, fields: &str) -> Option<Current> {
        Some(Current {
            from_version: from,
            insured: key.into(),
            branch: format!("b{key}"),
            fields: fields.into(),
        })
    }

    #[test]
    fn applies_adds_changes_and_deletions_in_order() {
        let current = HashMap::from([
            ("a".to_string(), cur(1, "a", "x")),
            ("b".to_string(), cur(1, "b", "x")),
            ("c".to_string(), None),
        ]);
        let rows = [
            row(2, Op::Change, "a", "y"),
            row(3, Op::Delete, "b", ""),
            row(4, Op::Add, "c", "z"),
            row(5, Op::Change, "c", "w"),
        ];
        let plan = plan_delta(FuhonKind::Shikaku, 2, &rows, &current);
        assert!(plan.errors.is_empty());
        assert_eq!((plan.added, plan.changed, plan.deleted), (1, 2, 1));
        assert_eq!(
            plan.writes,
            [
                Write::Close { key: "a".into() },
                Write::Insert {
                    key: "a".into(),
                    record: cur(2, "a", "y").unwrap()
                },
                Write::Close { key: "b".into() },
                Write::Insert {
                    key: "c".into(),
                    record: cur(2, "c", "w").unwrap()
                },
            ]
        );
    }

    #[test]
    fn refuses_adding_what_is_there_and_touching_what_is_not_naming_each_row() {
        let current = HashMap::from([("a".to_string(), cur(1, "a", "x")), ("b".to_string(), None)]);
        let rows = [
            row(2, Op::Add, "a", "y"),
            row(3, Op::Change, "b", "y"),
            row(4, Op::Delete, "b", ""),
            row(5, Op::Delete, "a", ""),
            row(6, Op::Delete, "a", ""),
        ];
        let plan = plan_delta(FuhonKind::Sosaihi, 2, &rows, &current);
        let refused: Vec<(u64, &str)> = plan
            .errors
            .iter()
            .map(|e| (e.line, e.code.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                (2, "ALREADY_EXISTS"),
                (3, "NOT_FOUND"),
                (4, "NOT_FOUND"),
                (6, "NOT_FOUND")
            ]
        );
        assert!(plan.errors[0].message.contains("葬祭費情報"));
    }

    #[test]
    fn a_record_made_earlier_in_the_same_version_is_replaced_not_closed() {
        let current = HashMap::from([("a".to_string(), cur(3, "a", "x"))]);
        let plan = plan_delta(
            FuhonKind::Shikaku,
            3,
            &[row(9, Op::Delete, "a", "")],
            &current,
        );
        assert_eq!(plan.writes, [Write::Remove { key: "a".into() }]);
        let same = plan_delta(
            FuhonKind::Shikaku,
            3,
            &[row(9, Op::Change, "a", "x")],
            &current,
        );
        assert_eq!((same.writes.len(), same.unchanged), (0, 1));
    }
}
