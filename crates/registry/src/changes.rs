//! 異動の届出: municipalities (市区町村) report their residents' 転居, 氏名変更 and 消除 to
//! J-LIS. The rules, without I/O: who may report (a municipality, identified by its
//! certificate `city-<全国地方公共団体コード>`), how each written record becomes a
//! [`ResidentChange`] or a refusal naming the record and the field, and how the store's
//! verdict on a resident reads.
//!
//! A municipality reports only for residents whose current 市区町村コード is its own; a
//! 転居 into another municipality is reported by the city the resident leaves (転出地), and
//! from then on the resident belongs to the new city.

use std::collections::{BTreeMap, HashMap};

use renkei_core::text::{KanaName, PersonName};
use renkei_core::{parse_date, Date, MyNumber};
use renkei_wire::msg::resident_changes::{
    ChangeOutcome, ChangeResult, ReportedChange, MAX_CHANGES,
};
use renkei_wire::{Identity, Role};

use crate::domain::Refusal;
use crate::history::{RemovalReason, ResidentChange};

/// The longest 変更ID accepted.
pub const MAX_CHANGE_ID: usize = 64;

/// A reporting municipality: its 6-digit 全国地方公共団体コード (check digit included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality(String);

impl Municipality {
    /// The municipality a certificate names: role `agency` and code `city-<6 digits>` with a
    /// valid check digit (city-131121 is 世田谷区, 131121). Anyone else is refused.
    pub fn of(caller: &Identity) -> Result<Municipality, Refusal> {
        let code = caller.code.strip_prefix("city-").unwrap_or_default();
        if caller.role == Role::Agency && code.len() == 6 && valid_local_government_code(code) {
            Ok(Municipality(code.to_owned()))
        } else {
            Err(Refusal {
                rule: "住民の異動を届け出られるのは市区町村（機関コード city-<全国地方公共団体コード>）だけです（規則: 異動の届出者）",
            })
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// Whether a resident whose 市区町村コード is `resident_code` (6 digits, or 5 without the
    /// check digit) lives in this municipality.
    pub fn holds(&self, resident_code: &str) -> bool {
        resident_code.len() >= 5 && resident_code.get(..5) == self.0.get(..5)
    }
}

/// A 全国地方公共団体コード: 5 digits, or 6 whose last is the check digit (weights 6,5,4,3,2;
/// check = (11 − sum mod 11) mod 10).
pub fn valid_local_government_code(code: &str) -> bool {
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = code.bytes().map(|b| u32::from(b - b'0')).collect();
    match d.len() {
        5 => true,
        6 => {
            let sum: u32 = d[..5].iter().zip([6, 5, 4, 3, 2]).map(|(a, w)| a * w).sum();
            (11 - sum % 11) % 10 == d[5]
        }
        _ => false,
    }
}

/// Today in Japan: no change may take effect after it.
pub fn today_jst() -> Date {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(9)).date()
}

/// One change ready for the store.
#[derive(Clone)]
pub struct Report {
    pub change_id: String,
    pub number: MyNumber,
    pub change: ResidentChange,
}

/// A record that cannot be applied: a stable code and a Japanese reason naming the record
/// and the field (never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub reason: String,
}

impl From<Refused> for ChangeOutcome {
    fn from(r: Refused) -> ChangeOutcome {
        ChangeOutcome::Refused {
            code: r.code.to_owned(),
            reason: r.reason,
        }
    }
}

/// How a record is named in messages: its line in the municipality's file, or its position.
pub fn record_name(position: usize, change: &ReportedChange) -> String {
    match change.line {
        Some(line) => format!("{line}行目"),
        None => format!("{position}件目"),
    }
}

fn refused(
    record: &str,
    code: &'static str,
    field: &str,
    problem: impl std::fmt::Display,
) -> Refused {
    Refused {
        code,
        reason: format!("{record} {field}: {problem}"),
    }
}

/// The batch-size rule, as a message when it is broken.
pub fn check_changes_batch(len: usize) -> Result<(), String> {
    if len > MAX_CHANGES {
        Err(format!(
            "一度に届け出られる異動は{MAX_CHANGES}件までです（{len}件）。分けて送ってください。"
        ))
    } else {
        Ok(())
    }
}

/// Parses every record of a batch; a 変更ID given twice in one batch is refused the second
/// time. `today` bounds the 異動年月日 (a change cannot take effect in the future).
pub fn parse_batch(changes: &[ReportedChange], today: Date) -> Vec<Result<Report, Refused>> {
    let mut seen: HashMap<&str, String> = HashMap::new();
    changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let record = record_name(i + 1, c);
            let report = parse(&record, c, today)?;
            if let Some(first) = seen.get(c.change_id.trim()) {
                return Err(refused(
                    &record,
                    "duplicate_change_id",
                    "変更ID",
                    format!(
                        "同じ変更IDが{first}にもあります（変更IDは異動ごとに別の値にしてください）"
                    ),
                ));
            }
            seen.insert(c.change_id.trim(), record);
            Ok(report)
        })
        .collect()
}

/// One record → a [`Report`], or the first item that is wrong.
pub fn parse(record: &str, c: &ReportedChange, today: Date) -> Result<Report, Refused> {
    let blank = |field: &str| refused(record, "blank_item", field, "値がありません");
    let change_id = c.change_id.trim();
    if change_id.is_empty() {
        return Err(blank("変更ID"));
    }
    if change_id.chars().count() > MAX_CHANGE_ID || change_id.chars().any(char::is_control) {
        return Err(refused(
            record,
            "invalid_item",
            "変更ID",
            format!("{MAX_CHANGE_ID}文字以内で、制御文字を含めずに指定してください"),
        ));
    }
    let kind = c.kind.trim();
    if kind.is_empty() {
        return Err(blank("異動区分"));
    }
    if c.my_number.trim().is_empty() {
        return Err(blank("個人番号"));
    }
    let number = MyNumber::parse(&c.my_number)
        .map_err(|e| refused(record, "invalid_number", "個人番号", e))?;
    if c.effective_on.trim().is_empty() {
        return Err(blank("異動年月日"));
    }
    let on = parse_date(&c.effective_on)
        .map_err(|e| refused(record, "invalid_date", "異動年月日", e))?;
    if on > today {
        return Err(refused(
            record,
            "invalid_date",
            "異動年月日",
            "未来の日付です（異動が効力を生じた日を指定してください）",
        ));
    }
    let required = |value: &str, field: &str| {
        let v = value.trim();
        if v.is_empty() {
            Err(blank(field))
        } else {
            Ok(v.to_owned())
        }
    };
    let change = match kind {
        "転居" | "moved" => {
            let address = required(&c.address, "住所")?;
            let code = required(&c.municipality_code, "市区町村コード")?;
            if !valid_local_government_code(&code) {
                return Err(refused(
                    record,
                    "invalid_item",
                    "市区町村コード",
                    "5桁、または検査数字の正しい6桁の全国地方公共団体コードで指定してください",
                ));
            }
            ResidentChange::Moved {
                on,
                address,
                municipality_code: code,
            }
        }
        "氏名変更" | "renamed" => {
            let name = required(&c.name, "氏名")?;
            let kana = required(&c.kana, "氏名カナ")?;
            let name =
                PersonName::parse(&name).map_err(|e| refused(record, "invalid_item", "氏名", e))?;
            let kana = KanaName::parse(&kana)
                .map_err(|e| refused(record, "invalid_item", "氏名カナ", e))?;
            ResidentChange::Renamed {
                on,
                name: name.as_str().to_owned(),
                kana: kana.as_str().to_owned(),
            }
        }
        "消除" | "removed" => {
            let reason = match required(&c.reason, "消除事由")?.as_str() {
                "死亡" | "death" => RemovalReason::Death,
                "転出" | "国外転出" | "emigration" => RemovalReason::Emigration,
                _ => {
                    return Err(refused(
                        record,
                        "invalid_item",
                        "消除事由",
                        "死亡 または 転出 を指定してください",
                    ))
                }
            };
            ResidentChange::Removed { on, reason }
        }
        _ => {
            return Err(refused(
                record,
                "invalid_kind",
                "異動区分",
                "転居・氏名変更・消除 のいずれかを指定してください",
            ))
        }
    };
    Ok(Report {
        change_id: change_id.to_owned(),
        number,
        change,
    })
}

/// What the store knows of a resident when a change for them arrives.
pub struct ResidentState {
    pub municipality_code: String,
    pub birth: Date,
    pub removed_on: Option<Date>,
    /// The day of the latest change in the resident's history.
    pub last_change: Option<Date>,
}

/// The store's verdict on one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Applied,
    /// The 変更ID was recorded before with the same change.
    AlreadyApplied,
    /// The 変更ID was recorded before with another change.
    ChangeIdReused,
    UnknownNumber,
    NotYourResident,
    AlreadyRemoved(Date),
    BeforeBirth,
    BeforeLastChange(Date),
}

/// Whether `reporter` may apply `change` to a resident in `state` (the 変更ID is checked
/// before, by the store).
pub fn judge(reporter: &Municipality, state: &ResidentState, change: &ResidentChange) -> Verdict {
    if !reporter.holds(&state.municipality_code) {
        return Verdict::NotYourResident;
    }
    if let Some(on) = state.removed_on {
        return Verdict::AlreadyRemoved(on);
    }
    if change.on() < state.birth {
        return Verdict::BeforeBirth;
    }
    match state.last_change {
        Some(last) if change.on() < last => Verdict::BeforeLastChange(last),
        _ => Verdict::Applied,
    }
}

/// The answer for a record the store has judged.
pub fn outcome(record: &str, reporter: &Municipality, verdict: Verdict) -> ChangeOutcome {
    let r = |code, field, problem: String| refused(record, code, field, problem).into();
    match verdict {
        Verdict::Applied => ChangeOutcome::Applied,
        Verdict::AlreadyApplied => ChangeOutcome::AlreadyApplied,
        Verdict::ChangeIdReused => r(
            "change_id_reused",
            "変更ID",
            "この変更IDは別の異動の届出で使われています".into(),
        ),
        Verdict::UnknownNumber => r(
            "unknown_number",
            "個人番号",
            "住基ネットに該当する住民がいません".into(),
        ),
        Verdict::NotYourResident => r(
            "not_your_resident",
            "個人番号",
            format!(
                "貴団体（{}）の住民ではありません（規則: 異動は住民の住所地の市区町村が届け出る）",
                reporter.code()
            ),
        ),
        Verdict::AlreadyRemoved(on) => r(
            "already_removed",
            "個人番号",
            format!("この住民は{on}に消除されています"),
        ),
        Verdict::BeforeBirth => r(
            "before_birth",
            "異動年月日",
            "生年月日より前の日付です".into(),
        ),
        Verdict::BeforeLastChange(last) => r(
            "before_last_change",
            "異動年月日",
            format!("この住民の最後の異動（{last}）より前の日付です"),
        ),
    }
}

/// The answer to a batch: one result per record, in order (`parsed` from [`parse_batch`],
/// `verdicts` from the store for the records that parsed), and the count of changes applied
/// by (kind as 転居・氏名変更・消除, day) for the log.
pub fn answer(
    changes: &[ReportedChange],
    parsed: Vec<Result<Report, Refused>>,
    verdicts: Vec<Verdict>,
    reporter: &Municipality,
) -> (Vec<ChangeResult>, BTreeMap<(&'static str, Date), u32>) {
    let mut verdicts = verdicts.into_iter();
    let mut applied = BTreeMap::new();
    let results = changes
        .iter()
        .zip(parsed)
        .enumerate()
        .map(|(i, (c, p))| {
            let outcome = match p {
                Err(refused) => refused.into(),
                Ok(report) => {
                    let verdict = verdicts
                        .next()
                        .expect("the store answers every report it is given, in order");
                    if verdict == Verdict::Applied {
                        let key = (report.change.kind().label(), report.change.on());
                        *applied.entry(key).or_default() += 1;
                    }
                    outcome(&record_name(i + 1, c), reporter, verdict)
                }
            };
            ChangeResult {
                change_id: c.change_id.clone(),
                outcome,
            }
        })
        .collect();
    (results, applied)
}

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;
