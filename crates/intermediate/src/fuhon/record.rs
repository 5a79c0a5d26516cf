//! One row of a 副本 file, read into a [`FuhonRow`] that can only exist valid: its key, its
//! 被保険者番号 and the canonical values of its fields (dates in ISO form, amounts in plain
//! yen). A bad row yields every field at fault, each named.

use renkei_core::text::nfkc;
use renkei_core::InsuredNumber;
use renkei_wire::msg::fuhon::{FuhonKind, RowError, UploadMode, CHANGE_COLUMN};
use renkei_wire::msg::intermediate::RawRow;

/// What a row does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A record of a full file or a 正本 extract.
    Put = 0,
    /// 異動区分 1 追加.
    Add = 1,
    /// 異動区分 2 変更.
    Change = 2,
    /// 異動区分 3 削除.
    Delete = 3,
}

impl Op {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Op> {
        Some(match code {
            0 => Op::Put,
            1 => Op::Add,
            2 => Op::Change,
            3 => Op::Delete,
            _ => return None,
        })
    }
}

/// A valid row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuhonRow {
    pub line: u64,
    pub op: Op,
    pub insured: String,
    /// 被保険者枝番 as written, if it was.
    pub branch: Option<String>,
    /// 被保険者番号, and for 高額介護合算 `/` and the 計算期間開始年月日.
    pub key: String,
    /// Canonical values of [`field_names`] (empty for a deletion).
    pub fields: Vec<String>,
}

/// The compared fields of a kind: every column but 被保険者番号 and 被保険者枝番 (which the key
/// and the subscriber stand for).
pub fn field_names(kind: FuhonKind) -> Vec<&'static str> {
    kind.columns()
        .iter()
        .copied()
        .filter(|c| *c != "被保険者番号" && *c != "被保険者枝番")
        .collect()
}

/// Separator of the stored field values (never in a valid value).
pub const SEP: char = '\u{1f}';

pub fn join_fields(fields: &[String]) -> String {
    fields.join(&SEP.to_string())
}

pub fn split_fields(joined: &str) -> Vec<String> {
    if joined.is_empty() {
        return Vec::new();
    }
    joined.split(SEP).map(str::to_owned).collect()
}

/// Where each column of the kind sits in the file.
#[derive(Debug, Clone)]
pub struct Layout {
    pub kind: FuhonKind,
    pub mode: UploadMode,
    /// Index in the file of each of `kind.columns()`.
    index: Vec<usize>,
    change: Option<usize>,
    width: usize,
}

impl Layout {
    /// Reads the header: every column of the kind (and 異動区分 in a delta file), in any order,
    /// each once, nothing else.
    pub fn new(kind: FuhonKind, mode: UploadMode, header: &[String]) -> Result<Layout, String> {
        let header: Vec<String> = header
            .iter()
            .map(|h| nfkc(h.trim_start_matches('\u{feff}')).trim().to_owned())
            .collect();
        let position = |name: &str| header.iter().position(|h| h == name);
        let mut missing = Vec::new();
        let mut index = Vec::new();
        for column in kind.columns() {
            match position(column) {
                Some(i) => index.push(i),
                None => missing.push(*column),
            }
        }
        let change = position(CHANGE_COLUMN);
        if mode == UploadMode::Delta && change.is_none() {
            missing.insert(0, CHANGE_COLUMN);
        }
        if !missing.is_empty() {
            return Err(format!(
                "{}のファイルの見出し行に必要な列がありません: {}",
                kind.label(),
                missing.join("、")
            ));
        }
        for (i, h) in header.iter().enumerate() {
            let known = kind.columns().contains(&h.as_str())
                || (h == CHANGE_COLUMN && mode == UploadMode::Delta);
            if !known {
                return Err(format!(
                    "見出し行の{}列目「{h}」は{}（{}）の列ではありません",
                    i + 1,
                    kind.label(),
                    if mode == UploadMode::Delta {
                        "差分"
                    } else {
                        "全件"
                    }
                ));
            }
            if header.iter().filter(|o| *o == h).count() > 1 {
                return Err(format!("見出し行に同じ列が2回あります: {h}"));
            }
        }
        Ok(Layout {
            kind,
            mode,
            index,
            change: if mode == UploadMode::Delta {
                change
            } else {
                None
            },
            width: header.len(),
        })
    }
}

fn err(line: u64, field: &str, code: &str, message: impl Into<String>) -> RowError {
    RowError {
        line,
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.into(),
    }
}

/// Reads one row. `insurer_numbers` are the tenant's: a row under another insurer's number is
/// refused (tenancy).
pub fn parse_row(
    layout: &Layout,
    raw: &RawRow,
    insurer_numbers: &[String],
) -> Result<FuhonRow, Vec<RowError>> {
    let line = raw.line;
    if raw.fields.len() != layout.width {
        return Err(vec![err(
            line,
            "",
            "FIELD_COUNT",
            format!(
                "列の数が見出し行と違います（{}列のところ{}列）",
                layout.width,
                raw.fields.len()
            ),
        )]);
    }
    let columns = layout.kind.columns();
    let value = |i: usize| nfkc(&raw.fields[layout.index[i]]).trim().to_owned();
    let mut cx = Cx {
        line,
        errors: Vec::new(),
    };
    let op = match layout.change {
        None => Op::Put,
        Some(i) => match nfkc(&raw.fields[i]).trim() {
            "1" | "追加" => Op::Add,
            "2" | "変更" => Op::Change,
            "3" | "削除" => Op::Delete,
            "" => {
                cx.missing(CHANGE_COLUMN);
                Op::Put
            }
            other => {
                cx.errors.push(err(
                    line,
                    CHANGE_COLUMN,
                    "INVALID_CHANGE_TYPE",
                    format!("異動区分「{other}」は1（追加）、2（変更）、3（削除）のいずれかで指定してください"),
                ));
                Op::Put
            }
        },
    };
    let values: Vec<String> = (0..columns.len()).map(value).collect();
    let insured = match values[1].as_str() {
        "" => {
            cx.missing("被保険者番号");
            String::new()
        }
        v => match InsuredNumber::parse(v) {
            Ok(n) => n.as_str().to_owned(),
            Err(e) => {
                cx.bad("被保険者番号", "INVALID_INSURED_NUMBER", e);
                String::new()
            }
        },
    };
    let branch = Some(values[2].clone()).filter(|b| !b.is_empty());
    let deleting = op == Op::Delete;
    let mut fields = Vec::new();
    let insurer = cx.insurer(&values[0], insurer_numbers, deleting);
    fields.push(insurer);
    let key_extra = match layout.kind {
        FuhonKind::Shikaku => {
            shikaku(&mut cx, &values, &mut fields, deleting);
            None
        }
        FuhonKind::KogakuGassan => kogaku(&mut cx, &values, &mut fields, deleting),
        FuhonKind::Sosaihi => {
            sosaihi(&mut cx, &values, &mut fields, deleting);
            None
        }
    };
    if !cx.errors.is_empty() {
        return Err(cx.errors);
    }
    let key = match key_extra {
        Some(start) => format!("{insured}/{start}"),
        None => insured.clone(),
    };
    Ok(FuhonRow {
        line,
        op,
        insured,
        branch,
        key,
        fields: if deleting { Vec::new() } else { fields },
    })
}

mod kinds;
pub use kinds::BURDEN_CATEGORIES;
use kinds::{kogaku, shikaku, sosaihi, Cx};

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
