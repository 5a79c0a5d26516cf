//! The drift check's rule: a merge of a 正本 extract and the current 副本, both in key order,
//! reporting each record missing on either side and each differing field.

use renkei_wire::msg::fuhon::{DriftKind, DriftRow, FuhonKind};

use super::delta::{Current, Staged};
use super::record::{field_names, split_fields};

/// A current 副本 record with its key.
pub type Keyed = (String, Current);

/// Compares `master` (staged extract rows) with `fuhon` (current records), both sorted by key
/// and covering the same key range.
pub fn compare(kind: FuhonKind, master: &[Staged], fuhon: &[Keyed]) -> Vec<DriftRow> {
    let names = field_names(kind);
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < master.len() || j < fuhon.len() {
        let m = master.get(i);
        let f = fuhon.get(j);
        let order = match (m, f) {
            (Some(m), Some(f)) => m.key.as_str().cmp(f.0.as_str()),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                let m = m.expect("master row");
                out.push(DriftRow {
                    key: m.key.clone(),
                    insured_number: m.insured.clone(),
                    drift: DriftKind::MissingInFuhon,
                    line: Some(m.line),
                    field: None,
                    fuhon: None,
                    master: None,
                });
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let (key, f) = f.expect("fuhon record");
                out.push(DriftRow {
                    key: key.clone(),
                    insured_number: f.insured.clone(),
                    drift: DriftKind::MissingInMaster,
                    line: None,
                    field: None,
                    fuhon: None,
                    master: None,
                });
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (m, (key, f)) = (m.expect("master row"), f.expect("fuhon record"));
                if m.fields != f.fields {
                    let (mv, fv) = (split_fields(&m.fields), split_fields(&f.fields));
                    for (k, name) in names.iter().enumerate() {
                        let (a, b) = (mv.get(k), fv.get(k));
                        if a != b {
                            out.push(DriftRow {
                                key: key.clone(),
                                insured_number: m.insured.clone(),
                                drift: DriftKind::Different,
                                line: Some(m.line),
                                field: Some((*name).to_owned()),
                                fuhon: b.cloned(),
                                master: a.cloned(),
                            });
                        }
                    }
                }
                i += 1;
                // A key repeated in the extract is compared again with the same record.
                if master.get(i).is_none_or(|n| n.key != *key) {
                    j += 1;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuhon::record::{join_fields, Op};

    fn fields(v: &[&str]) -> String {
        join_fields(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn reports_missing_on_either_side_and_each_differing_field() {
        let base = ["39131156", "2020-04-01", "", "1", "一般Ⅰ"];
        let master = vec![
            Staged {
                line: 2,
                op: Op::Put,
                key: "1".into(),
                insured: "1".into(),
                branch: String::new(),
                fields: fields(&base),
            },
            Staged {
                line: 3,
                op: Op::Put,
                key: "2".into(),
                insured: "2".into(),
                branch: String::new(),
                fields: fields(&["39131156", "2020-04-01", "2024-01-01", "3", "現役並みⅠ"]),
            },
            Staged {
                line: 4,
                op: Op::Put,
                key: "4".into(),
                insured: "4".into(),
                branch: String::new(),
                fields: fields(&base),
            },
        ];
        let cur = |k: &str| {
            (
                k.to_string(),
                Current {
                    from_version: 1,
                    insured: k.into(),
                    branch: String::new(),
                    fields: fields(&base),
                },
            )
        };
        let fuhon = vec![cur("1"), cur("2"), cur("3")];
        let drift = compare(FuhonKind::Shikaku, &master, &fuhon);
        type Seen<'a> = (
            &'a str,
            DriftKind,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let got: Vec<Seen> = drift
            .iter()
            .map(|d| {
                (
                    d.key.as_str(),
                    d.drift,
                    d.field.as_deref(),
                    d.fuhon.as_deref(),
                    d.master.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2",
                    DriftKind::Different,
                    Some("資格喪失年月日"),
                    Some(""),
                    Some("2024-01-01")
                ),
                (
                    "2",
                    DriftKind::Different,
                    Some("一部負担金の割合"),
                    Some("1"),
                    Some("3")
                ),
                (
                    "2",
                    DriftKind::Different,
                    Some("負担区分"),
                    Some("一般Ⅰ"),
                    Some("現役並みⅠ")
                ),
                ("3", DriftKind::MissingInMaster, None, None, None),
                ("4", DriftKind::MissingInFuhon, None, None, None),
            ]
        );
        assert_eq!(drift[0].line, Some(3));
    }
}
