//! The fields of each 副本 kind — 資格情報, 高額介護合算療養費情報, 葬祭費情報 — checked and
//! put in canonical form, every fault named by its field.

use renkei_core::text::nfkc;
use renkei_core::{parse_date, Date, InsurerNumber};
use renkei_wire::msg::fuhon::RowError;

use super::err;

pub(super) struct Cx {
    pub(super) line: u64,
    pub(super) errors: Vec<RowError>,
}

impl Cx {
    pub(super) fn missing(&mut self, field: &str) {
        self.errors.push(err(
            self.line,
            field,
            "MISSING_FIELD",
            format!("{field}がありません"),
        ));
    }

    pub(super) fn bad(&mut self, field: &str, code: &str, why: impl std::fmt::Display) {
        self.errors.push(err(
            self.line,
            field,
            code,
            format!("{field}が正しくありません（{why}）"),
        ));
    }

    pub(super) fn insurer(&mut self, v: &str, allowed: &[String], optional: bool) -> String {
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

    pub(super) fn date(&mut self, field: &str, v: &str, required: bool) -> Option<Date> {
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

    pub(super) fn amount(&mut self, field: &str, v: &str) -> Option<u64> {
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

    pub(super) fn inconsistent(&mut self, field: &str, message: String) {
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

pub(super) fn shikaku(cx: &mut Cx, v: &[String], fields: &mut Vec<String>, deleting: bool) {
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
pub(super) fn kogaku(
    cx: &mut Cx,
    v: &[String],
    fields: &mut Vec<String>,
    deleting: bool,
) -> Option<String> {
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

pub(super) fn sosaihi(cx: &mut Cx, v: &[String], fields: &mut Vec<String>, deleting: bool) {
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
