//! One row of a 副本 file, read into a [`FuhonRow`] that can only exist valid: its key, its
//! 被保険者番号 and the canonical values of its fields (dates in ISO form, amounts in plain
//! yen). A bad row yields every field at fault, each named.

use renkei_core::text::nfkc;
use renkei_core::{parse_date, Date, InsuredNumber, InsurerNumber};
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

struct Cx {
    line: u64,
    errors: Vec<RowError>,
}

impl Cx {
    fn missing(&mut self, field: &str) {
        self.errors.push(err(
            self.line,
            field,
            "MISSING_FIELD",
            format!("{field}がありません"),
        ));
    }

    fn bad(&mut self, field: &str, code: &str, why: impl std::fmt::Display) {
        self.errors.push(err(
            self.line,
            field,
            code,
            format!("{field}が正しくありません（{why}）"),
        ));
    }

    fn insurer(&mut self, v: &str, allowed: &[String], optional: bool) -> String {
        const F: &str = "保険者番号";
        if v.is_empty() {
            if !optional {
                self.missing(F);
            }
            return String::new();
        }
        match InsurerNumber::parse(v) {
            Ok(n) if allowed.iter().any(|a| a == n.as_str()) => n.as_str().to_owned(),
            Ok(n) => {
                self.errors.push(err(
                    self.line,
                    F,
                    "FOREIGN_INSURER_NUMBER",
                    format!("保険者番号 {n} は貴機関の保険者番号ではありません（他の保険者の副本は登録できません）"),
                ));
                String::new()
            }
            Err(e) => {
                self.bad(F, "INVALID_INSURER_NUMBER", e);
                String::new()
            }
        }
    }

    fn date(&mut self, field: &str, v: &str, required: bool) -> Option<Date> {
        if v.is_empty() {
            if required {
                self.missing(field);
            }
            return None;
        }
        match parse_date(v) {
            Ok(d) => Some(d),
            Err(e) => {
                self.bad(field, "INVALID_DATE", e);
                None
            }
        }
    }

    fn amount(&mut self, field: &str, v: &str) -> Option<u64> {
        if v.is_empty() {
            self.missing(field);
            return None;
        }
        let digits: String = v.chars().filter(|c| *c != ',').collect();
        let digits = digits.trim_end_matches('円');
        match digits.parse::<u64>() {
            Ok(n) if n <= 100_000_000 && !digits.starts_with('+') => Some(n),
            _ => {
                self.bad(
                    field,
                    "INVALID_AMOUNT",
                    "0以上の円単位の整数で指定してください",
                );
                None
            }
        }
    }

    fn inconsistent(&mut self, field: &str, message: String) {
        self.errors
            .push(err(self.line, field, "INCONSISTENT", message));
    }
}

fn iso(d: Option<Date>) -> String {
    d.map(renkei_core::date::to_iso).unwrap_or_default()
}

/// 負担区分 of 後期高齢者医療, with the 一部負担金の割合 each implies.
pub const BURDEN_CATEGORIES: [(&str, &str); 7] = [
    ("現役並みⅢ", "3"),
    ("現役並みⅡ", "3"),
    ("現役並みⅠ", "3"),
    ("一般Ⅱ", "2"),
    ("一般Ⅰ", "1"),
    ("低所得Ⅱ", "1"),
    ("低所得Ⅰ", "1"),
];

/// 負担区分 as written (after NFKC `Ⅱ` reads `II`) → its canonical name.
fn burden_category(v: &str) -> Option<&'static str> {
    BURDEN_CATEGORIES
        .iter()
        .map(|(name, _)| *name)
        .find(|name| nfkc(name) == v || *name == v)
}

fn shikaku(cx: &mut Cx, v: &[String], fields: &mut Vec<String>, deleting: bool) {
    if deleting {
        return;
    }
    let acquired = cx.date("資格取得年月日", &v[3], true);
    let lost = cx.date("資格喪失年月日", &v[4], false);
    if let (Some(a), Some(l)) = (acquired, lost) {
        if l < a {
            cx.inconsistent(
                "資格喪失年月日",
                "資格喪失年月日が資格取得年月日より前です".into(),
            );
        }
    }
    let rate = match v[5].trim_end_matches('割') {
        "" => {
            cx.missing("一部負担金の割合");
            None
        }
        r @ ("1" | "2" | "3") => Some(r.to_owned()),
        _ => {
            cx.bad(
                "一部負担金の割合",
                "INVALID_RATE",
                "1割・2割・3割のいずれかで指定してください",
            );
            None
        }
    };
    let category = match v[6].as_str() {
        "" => {
            cx.missing("負担区分");
            None
        }
        c => match burden_category(c) {
            Some(c) => Some(c),
            None => {
                cx.bad(
                    "負担区分",
                    "INVALID_CATEGORY",
                    "現役並みⅢ・現役並みⅡ・現役並みⅠ・一般Ⅱ・一般Ⅰ・低所得Ⅱ・低所得Ⅰのいずれかで指定してください",
                );
                None
            }
        },
    };
    if let (Some(rate), Some(category)) = (&rate, category) {
        let implied = BURDEN_CATEGORIES
            .iter()
            .find(|(n, _)| *n == category)
            .map(|(_, r)| *r);
        if implied != Some(rate.as_str()) {
            cx.inconsistent(
                "負担区分",
                format!("負担区分 {category} は一部負担金の割合 {rate}割 と合いません"),
            );
        }
    }
    fields.extend([
        iso(acquired),
        iso(lost),
        rate.unwrap_or_default(),
        category.unwrap_or_default().to_owned(),
    ]);
}

/// Returns the 計算期間開始年月日 (ISO), part of the key.
fn kogaku(cx: &mut Cx, v: &[String], fields: &mut Vec<String>, deleting: bool) -> Option<String> {
    let start = cx.date("計算期間開始年月日", &v[3], true);
    if let Some(s) = start {
        if (u8::from(s.month()), s.day()) != (8, 1) {
            cx.bad(
                "計算期間開始年月日",
                "INVALID_PERIOD",
                "計算期間は8月1日から翌年7月31日までです",
            );
        }
    }
    if deleting {
        return start.map(|s| iso(Some(s)));
    }
    let end = cx.date("計算期間終了年月日", &v[4], true);
    if let (Some(s), Some(e)) = (start, end) {
        if (e.year(), u8::from(e.month()), e.day()) != (s.year() + 1, 7, 31) {
            cx.bad(
                "計算期間終了年月日",
                "INVALID_PERIOD",
                "計算期間は8月1日から翌年7月31日までです",
            );
        }
    }
    let medical = cx.amount("医療の自己負担額", &v[5]);
    let care = cx.amount("介護の自己負担額", &v[6]);
    let paid = cx.amount("支給額", &v[7]);
    if let (Some(m), Some(c), Some(p)) = (medical, care, paid) {
        if p > m + c {
            cx.inconsistent(
                "支給額",
                "支給額が医療と介護の自己負担額の合計を超えています".into(),
            );
        }
    }
    let paid_on = cx.date("支給年月日", &v[8], true);
    if let (Some(e), Some(p)) = (end, paid_on) {
        if p <= e {
            cx.inconsistent("支給年月日", "支給年月日が計算期間の終了より前です".into());
        }
    }
    let text = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    fields.extend([
        iso(start),
        iso(end),
        text(medical),
        text(care),
        text(paid),
        iso(paid_on),
    ]);
    start.map(|s| iso(Some(s)))
}

fn sosaihi(cx: &mut Cx, v: &[String], fields: &mut Vec<String>, deleting: bool) {
    if deleting {
        return;
    }
    let died = cx.date("死亡年月日", &v[3], true);
    let paid = cx.amount("支給額", &v[4]);
    let paid_on = cx.date("支給年月日", &v[5], true);
    if let (Some(d), Some(p)) = (died, paid_on) {
        if p < d {
            cx.inconsistent("支給年月日", "支給年月日が死亡年月日より前です".into());
        }
    }
    fields.extend([
        iso(died),
        paid.map(|n| n.to_string()).unwrap_or_default(),
        iso(paid_on),
    ]);
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
