//! 副本 files: what a 後期高齢者医療広域連合 uploads to keep its copies of 資格情報,
//! 高額介護合算療養費情報 and 葬祭費情報 in `intermediate` (columns in docs/formats.md).
//!
//! The records are those of the subscribers of a 加入者情報 file of the same seed (the same
//! 被保険者番号 and 資格取得年月日), so a file is consistent with what the sandbox registered.
//! Each subscriber's records evolve by *round* (one round ≈ one upload cycle): in each round a
//! few change their 負担区分, some die (葬祭費, and their 資格 ends the next day), and
//! 高額介護合算 payments are corrected. A full file shows round R; a delta file holds exactly
//! the rows that turn round R−1 into round R (追加, 変更, 削除 in subscriber order).

use std::io::Write;

use renkei_wire::msg::fuhon::{FuhonKind, CHANGE_COLUMN};
use time::{Date, Duration, Month};

use crate::error::SynthError;
use crate::population::{Resident, REFERENCE_DAY};
use crate::rng::{cumulative, mix64, Domain, Rng};
use crate::subscriber::sink::Sink;
use crate::subscriber::{clean_row, Encoding};

/// What a 副本 file should look like.
#[derive(Debug, Clone, PartialEq)]
pub struct FuhonFileSpec {
    pub kind: FuhonKind,
    /// Seed of the 加入者情報 file the subscribers were registered from.
    pub seed: u64,
    /// The `--error-rate` of that file: rows it held are not subscribers and get no records.
    pub subscriber_error_rate: f64,
    /// 保険者番号 written in each row (the one the subscribers were registered under).
    pub insurer_number: String,
    /// Upload cycle: 0 is the first full snapshot.
    pub round: u32,
    /// A delta from round − 1 to round instead of a full snapshot.
    pub delta: bool,
    pub encoding: Encoding,
    /// Share of rows (0.0..=1.0) that carry one planted error.
    pub error_rate: f64,
}

/// A true error planted in one row of a 副本 file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FuhonError {
    /// A date that does not exist (2月30日).
    ImpossibleDate,
    /// A 被保険者番号 no subscriber has.
    UnknownSubscriber,
    /// Another 広域連合's 保険者番号 (北海道).
    ForeignInsurer,
    /// An amount or 割合 that is not a number.
    NotANumber,
}

impl FuhonError {
    pub const ALL: [FuhonError; 4] = [
        FuhonError::ImpossibleDate,
        FuhonError::UnknownSubscriber,
        FuhonError::ForeignInsurer,
        FuhonError::NotANumber,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FuhonError::ImpossibleDate => "impossible_date",
            FuhonError::UnknownSubscriber => "unknown_subscriber",
            FuhonError::ForeignInsurer => "foreign_insurer",
            FuhonError::NotANumber => "not_a_number",
        }
    }
}

/// What [`write_fuhon_file`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FuhonFileSummary {
    /// Data rows (excluding the header).
    pub rows: u64,
    /// (line, error) of each planted error.
    pub planted: Vec<(u64, FuhonError)>,
}

/// 負担区分 with weights (per mille) and the 割合 each implies.
const CATEGORIES: [(&str, &str, u64); 7] = [
    ("現役並みⅢ", "3", 20),
    ("現役並みⅡ", "3", 30),
    ("現役並みⅠ", "3", 50),
    ("一般Ⅱ", "2", 200),
    ("一般Ⅰ", "1", 450),
    ("低所得Ⅱ", "1", 150),
    ("低所得Ⅰ", "1", 100),
];

/// 計算期間 start years of the 高額介護合算 records.
const PERIODS: [i32; 3] = [2022, 2023, 2024];

/// One record: its key part beyond the 被保険者番号 and its data columns after 被保険者枝番.
type Rec = (String, Vec<String>);

fn day(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).expect("valid date")
}

fn iso(d: Date) -> String {
    renkei_core::date::to_iso(d)
}

/// The draws of subscriber `row` in `round` (independent per round).
fn rng(seed: u64, row: u64, round: u32) -> Rng {
    Rng::for_record(
        seed ^ mix64(u64::from(round) + 0xF0F0),
        Domain::FuhonRow,
        row,
    )
}

/// Death date by `round`, if any: 3% died before the reference day, then 0.5% per round.
fn death(seed: u64, row: u64, acquired: Date, round: u32) -> Option<Date> {
    for r in 0..=round {
        let mut g = rng(seed, row, r);
        let p = if r == 0 { 0.03 } else { 0.005 };
        if g.chance(p) {
            let (from, span) = if r == 0 {
                (acquired.max(REFERENCE_DAY - Duration::days(400)), 400)
            } else {
                (REFERENCE_DAY + Duration::days(30 * (i64::from(r) - 1)), 30)
            };
            let d = from + Duration::days(g.range(0, span) as i64);
            return Some(
                d.min(REFERENCE_DAY + Duration::days(30 * i64::from(r)))
                    .max(acquired),
            );
        }
    }
    None
}

fn records(kind: FuhonKind, seed: u64, row: u64, acquired: Date, round: u32) -> Vec<Rec> {
    let died = death(seed, row, acquired, round);
    match kind {
        FuhonKind::Shikaku => {
            let cum = cumulative(CATEGORIES.iter().map(|c| c.2));
            let mut first = rng(seed, row, 0);
            first.next_u64(); // the death draw
            let mut category = CATEGORIES[first.weighted(&cum)];
            for r in 1..=round {
                let mut g = rng(seed, row, r);
                g.next_u64();
                if g.chance(0.03) {
                    category = CATEGORIES[g.weighted(&cum)];
                }
            }
            let lost = died.map(|d| iso(d + Duration::days(1))).unwrap_or_default();
            vec![(
                String::new(),
                vec![
                    iso(acquired),
                    lost,
                    category.1.to_owned(),
                    category.0.to_owned(),
                ],
            )]
        }
        FuhonKind::KogakuGassan => {
            let mut out = Vec::new();
            for (p, year) in PERIODS.into_iter().enumerate() {
                let start = day(year, Month::August, 1);
                let mut g = Rng::for_record(seed ^ 0x6a55, Domain::FuhonRow, row * 4 + p as u64);
                if !g.chance(0.06) || acquired > start + Duration::days(300) {
                    continue;
                }
                let medical = g.range(300, 900) * 1000 + g.range(0, 999);
                let care = g.range(100, 600) * 1000 + g.range(0, 999);
                let limit = 560_000;
                let mut paid = (medical + care).saturating_sub(limit);
                for r in 1..=round {
                    let mut c = Rng::for_record(
                        seed ^ 0x6a55 ^ mix64(u64::from(r)),
                        Domain::FuhonRow,
                        row * 4 + p as u64,
                    );
                    if c.chance(0.02) {
                        paid = paid.saturating_sub(c.range(1, 20) * 1000);
                    }
                }
                let end = day(year + 1, Month::July, 31);
                let paid_on = end + Duration::days(g.range(150, 250) as i64);
                out.push((
                    iso(start),
                    vec![
                        iso(start),
                        iso(end),
                        medical.to_string(),
                        care.to_string(),
                        paid.to_string(),
                        iso(paid_on),
                    ],
                ));
            }
            out
        }
        FuhonKind::Sosaihi => match died {
            Some(d) => {
                let mut g = rng(seed, row, 99);
                let paid_on = d + Duration::days(g.range(20, 60) as i64);
                vec![(String::new(), vec![iso(d), "50000".into(), iso(paid_on)])]
            }
            None => Vec::new(),
        },
    }
}

/// Writes the file for the subscribers registered from `residents` (the residents of the
/// 加入者情報 file of `spec.seed`, in its order). Memory stays O(1).
pub fn write_fuhon_file<W: Write>(
    w: W,
    spec: &FuhonFileSpec,
    residents: impl Iterator<Item = Resident>,
) -> Result<FuhonFileSummary, SynthError> {
    if !(0.0..=1.0).contains(&spec.error_rate) {
        return Err(SynthError::ErrorRate(spec.error_rate));
    }
    let mut sink = Sink::new(w, spec.encoding);
    let mut header: Vec<&str> = spec.kind.columns().to_vec();
    if spec.delta {
        header.insert(0, CHANGE_COLUMN);
    }
    sink.write_row(1, &header)?;
    let mut summary = FuhonFileSummary::default();
    let mut line = 1u64;
    for (row, resident) in (0u64..).zip(residents) {
        let Some((insured, acquired)) =
            clean_row(spec.seed, spec.subscriber_error_rate, row, &resident)
        else {
            continue;
        };
        let now = records(spec.kind, spec.seed, row, acquired, spec.round);
        let rows: Vec<(&str, Rec)> = if spec.delta {
            let before = if spec.round == 0 {
                Vec::new()
            } else {
                records(spec.kind, spec.seed, row, acquired, spec.round - 1)
            };
            let mut out = Vec::new();
            for rec in &now {
                match before.iter().find(|b| b.0 == rec.0) {
                    None => out.push(("1", rec.clone())),
                    Some(b) if b.1 != rec.1 => out.push(("2", rec.clone())),
                    Some(_) => {}
                }
            }
            for b in &before {
                if !now.iter().any(|n| n.0 == b.0) {
                    out.push(("3", b.clone()));
                }
            }
            // Deletions after changes of the same subscriber would be odd; keep file order
            // by key within the subscriber.
            out.sort_by(|a, b| a.1 .0.cmp(&b.1 .0));
            out
        } else {
            now.into_iter().map(|r| ("", r)).collect()
        };
        for (op, (_, data)) in rows {
            line += 1;
            let mut g = Rng::for_record(
                spec.seed ^ mix64(u64::from(spec.round) + 77),
                Domain::FuhonRow,
                line,
            );
            let mut fields: Vec<String> = Vec::with_capacity(header.len());
            if spec.delta {
                fields.push(op.to_owned());
            }
            fields.extend([spec.insurer_number.clone(), insured.clone(), String::new()]);
            fields.extend(data.iter().cloned());
            if g.chance(spec.error_rate) {
                let error = *g.pick(&FuhonError::ALL);
                let off = usize::from(spec.delta);
                match error {
                    FuhonError::ImpossibleDate => fields[off + 3] = "2025-02-30".into(),
                    FuhonError::UnknownSubscriber => fields[off + 1] = "00000000".into(),
                    FuhonError::ForeignInsurer => fields[off] = "39011002".into(),
                    FuhonError::NotANumber => {
                        let i = match spec.kind {
                            FuhonKind::Shikaku => 5,
                            FuhonKind::KogakuGassan => 7,
                            FuhonKind::Sosaihi => 4,
                        };
                        fields[off + i] = "不明".into();
                    }
                }
                summary.planted.push((line, error));
            }
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            sink.write_row(line, &refs)?;
            summary.rows += 1;
        }
    }
    sink.finish()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{residents, PopulationSpec};

    fn spec(kind: FuhonKind, round: u32, delta: bool) -> FuhonFileSpec {
        FuhonFileSpec {
            kind,
            seed: 5,
            subscriber_error_rate: 0.0,
            insurer_number: "39131156".into(),
            round,
            delta,
            encoding: Encoding::Utf8,
            error_rate: 0.0,
        }
    }

    fn write(s: &FuhonFileSpec) -> (String, FuhonFileSummary) {
        let pop = PopulationSpec {
            seed: 5,
            count: 3000,
            prefecture: Some("13".into()),
            min_age: Some(75),
        };
        let mut out = Vec::new();
        let summary = write_fuhon_file(&mut out, s, residents(&pop)).unwrap();
        (String::from_utf8(out).unwrap(), summary)
    }

    #[test]
    fn full_files_cover_the_subscribers_and_deltas_carry_exactly_the_changes() {
        let (full0, s0) = write(&spec(FuhonKind::Shikaku, 0, false));
        assert_eq!(s0.rows, 3000, "one 資格情報 row per subscriber");
        assert!(full0.starts_with("保険者番号,被保険者番号,被保険者枝番,資格取得年月日"));
        let (full1, _) = write(&spec(FuhonKind::Shikaku, 1, false));
        let (delta1, d1) = write(&spec(FuhonKind::Shikaku, 1, true));
        let changed = full0
            .lines()
            .zip(full1.lines())
            .filter(|(a, b)| a != b)
            .count() as u64;
        assert_eq!(
            d1.rows, changed,
            "the delta is the difference of the two full files"
        );
        assert!(changed > 30 && changed < 300, "{changed}");
        assert!(
            delta1.lines().skip(1).all(|l| l.starts_with("2,")),
            "資格 only changes"
        );
    }

    #[test]
    fn kogaku_and_sosaihi_are_sparse_and_well_formed() {
        let (k, ks) = write(&spec(FuhonKind::KogakuGassan, 0, false));
        assert!(ks.rows > 100 && ks.rows < 1000, "{}", ks.rows);
        for line in k.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            assert!(
                f[3].ends_with("-08-01") && f[4].ends_with("-07-31"),
                "{line}"
            );
            let (m, c, p): (u64, u64, u64) = (
                f[5].parse().unwrap(),
                f[6].parse().unwrap(),
                f[7].parse().unwrap(),
            );
            assert!(p <= m + c, "{line}");
        }
        let (_, ss) = write(&spec(FuhonKind::Sosaihi, 0, false));
        assert!(ss.rows > 30 && ss.rows < 200, "{}", ss.rows);
        let (d, _) = write(&spec(FuhonKind::Sosaihi, 2, true));
        assert!(
            d.lines().skip(1).all(|l| l.starts_with("1,")),
            "deaths are added"
        );
    }

    #[test]
    fn planted_errors_are_reported_by_line() {
        let mut s = spec(FuhonKind::Sosaihi, 0, false);
        s.error_rate = 0.5;
        let (text, summary) = write(&s);
        assert!(!summary.planted.is_empty());
        let lines: Vec<&str> = text.lines().collect();
        for (line, error) in &summary.planted {
            let row = lines[*line as usize - 1];
            let needle = match error {
                FuhonError::ImpossibleDate => "2025-02-30",
                FuhonError::UnknownSubscriber => "00000000",
                FuhonError::ForeignInsurer => "39011002",
                FuhonError::NotANumber => "不明",
            };
            assert!(row.contains(needle), "{line}: {row}");
        }
    }
}
