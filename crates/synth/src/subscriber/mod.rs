//! 加入者情報 files: what a 後期高齢者医療広域連合 sends to register its subscribers, with
//! optional planted errors (each a true error a correct validator must catch) and optional
//! notation noise (harmless variants a correct validator must accept).
//!
//! Header `異動区分,個人番号,被保険者番号,氏名,氏名カナ,生年月日,性別,住所,資格取得年月日,資格喪失年月日`;
//! one 新規 (異動区分 1) row per resident, 資格喪失年月日 empty. UTF-8 files end lines with LF,
//! CP932 files with CRLF (as Windows systems write them). Nothing is quoted unless needed.

mod dates;
pub(crate) mod noise;
mod planted;
pub(crate) mod sink;

use std::io::Write;

use crate::error::SynthError;
use crate::population::Resident;
use crate::rng::{mix64, Domain, Rng};
use dates::Notation;
use planted::{Person, RowText};
use sink::Sink;

/// The header row of a 加入者情報 file.
pub use renkei_wire::files::SUBSCRIBER_COLUMNS as SUBSCRIBER_HEADER;

/// Character encoding of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without BOM.
    Utf8,
    /// Shift_JIS as Windows writes it (CP932, Windows-31J).
    Cp932,
}

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `1945-04-01`.
    Iso,
    /// `昭和20年4月1日`.
    WarekiKanji,
    /// `S200401`.
    WarekiLetter,
    /// `3200401` (1 明治 … 5 令和).
    WarekiDigit,
    /// One of the above per row, chosen deterministically.
    Mixed,
}

/// What a 加入者情報 file should look like.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriberFileSpec {
    /// Seed for insured numbers, styles, noise and planted errors.
    pub seed: u64,
    /// Output encoding.
    pub encoding: Encoding,
    /// Date notation.
    pub date_style: DateStyle,
    /// Share of rows (0.0..=1.0) that carry exactly one planted error.
    pub error_rate: f64,
    /// Write harmless notation variants: half-width or hiragana カナ, ASCII spaces, 和暦 birth
    /// dates in a file of Western dates.
    pub notation_noise: bool,
}

/// A true error planted in one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlantedError {
    /// The 個人番号's check digit is wrong.
    BadCheckDigit,
    /// 生年月日 or 資格取得年月日 names a day that does not exist (2月30日).
    ImpossibleDate,
    /// 氏名 is empty.
    MissingName,
    /// 氏名 is another real person's name (a different surname), not a notation variant.
    NameMismatch,
    /// 氏名カナ has a different reading.
    KanaMismatch,
    /// 生年月日 is shifted earlier by 1–400 days (still a valid date).
    BirthMismatch,
    /// 性別 is flipped.
    SexMismatch,
    /// A valid 個人番号 that belongs to no resident (see [`crate::unknown_my_number`]).
    UnknownNumber,
    /// An earlier, clean row's 個人番号 and personal data again, under a new 被保険者番号.
    DuplicateNumberOtherInsured,
}

impl PlantedError {
    /// Every kind, in a fixed order.
    pub const ALL: [PlantedError; 9] = [
        PlantedError::BadCheckDigit,
        PlantedError::ImpossibleDate,
        PlantedError::MissingName,
        PlantedError::NameMismatch,
        PlantedError::KanaMismatch,
        PlantedError::BirthMismatch,
        PlantedError::SexMismatch,
        PlantedError::UnknownNumber,
        PlantedError::DuplicateNumberOtherInsured,
    ];

    /// A stable snake_case name, as written in the planted-errors CSV.
    pub fn code(self) -> &'static str {
        match self {
            PlantedError::BadCheckDigit => "bad_check_digit",
            PlantedError::ImpossibleDate => "impossible_date",
            PlantedError::MissingName => "missing_name",
            PlantedError::NameMismatch => "name_mismatch",
            PlantedError::KanaMismatch => "kana_mismatch",
            PlantedError::BirthMismatch => "birth_mismatch",
            PlantedError::SexMismatch => "sex_mismatch",
            PlantedError::UnknownNumber => "unknown_number",
            PlantedError::DuplicateNumberOtherInsured => "duplicate_number_other_insured",
        }
    }
}

/// One planted error and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planted {
    /// Physical line in the file; the header is line 1, the first row line 2.
    pub line: u64,
    /// What is wrong on that line.
    pub error: PlantedError,
}

/// What [`write_subscriber_file`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriberFileSummary {
    /// Data rows written (excluding the header).
    pub rows: u64,
    /// The planted errors, in line order.
    pub planted: Vec<Planted>,
}

/// Writes a 新規 row per resident; insured numbers are 8 digits, unique per file, derived
/// deterministically from (seed, row).
///
/// A row with a planted error stands in for its resident: a `DuplicateNumberOtherInsured` row
/// carries the most recent earlier clean row's person instead, an `UnknownNumber` row the
/// resident's data under a number no resident has. Memory stays O(1): only that one earlier
/// clean person is kept. `UnknownNumber` numbers are unknown to populations of every seed.
pub fn write_subscriber_file<W: Write>(
    w: W,
    spec: &SubscriberFileSpec,
    residents: impl Iterator<Item = Resident>,
) -> Result<SubscriberFileSummary, SynthError> {
    if !(0.0..=1.0).contains(&spec.error_rate) {
        return Err(SynthError::ErrorRate(spec.error_rate));
    }
    let mut sink = Sink::new(w, spec.encoding);
    sink.write_row(1, &SUBSCRIBER_HEADER)?;
    let mut summary = SubscriberFileSummary::default();
    let mut last_clean: Option<Person> = None;
    for (row, resident) in (0u64..).zip(residents) {
        let line = row + 2;
        let mut rng = Rng::for_record(spec.seed, Domain::SubscriberRow, row);
        let notation = row_notation(&mut rng, spec.date_style);
        let error = choose_error(&mut rng, spec.error_rate, last_clean.is_some());
        let person = match (error, &last_clean) {
            (Some(PlantedError::DuplicateNumberOtherInsured), Some(earlier)) => earlier.clone(),
            _ => Person::from_resident(&resident, &mut rng),
        };
        let noise = spec.notation_noise.then(|| planted::Noise::draw(&mut rng));
        let insured = insured_number(spec.seed, row);
        let text: RowText =
            planted::render(&mut rng, &person, error, spec.seed, row, notation, noise);
        sink.write_row(line, &text.fields(&insured))?;
        match error {
            Some(error) => summary.planted.push(Planted { line, error }),
            None => last_clean = Some(person),
        }
        summary.rows += 1;
    }
    sink.finish()?;
    Ok(summary)
}

/// 被保険者番号 and 資格取得年月日 of data row `row` of a file of `seed` written with
/// `error_rate` — what `intermediate` holds once that file is registered (the 副本 files are
/// built on it) — or `None` when that row carries a planted error (and is held). Draws exactly
/// as [`write_subscriber_file`] does.
pub(crate) fn clean_row(
    seed: u64,
    error_rate: f64,
    row: u64,
    resident: &Resident,
) -> Option<(String, time::Date)> {
    let mut rng = Rng::for_record(seed, Domain::SubscriberRow, row);
    row_notation(&mut rng, DateStyle::Iso);
    if choose_error(&mut rng, error_rate, true).is_some() {
        return None;
    }
    let person = Person::from_resident(resident, &mut rng);
    Some((insured_number(seed, row), person.acquired()))
}

/// The row's date notation: the file's, or one drawn per row for [`DateStyle::Mixed`].
fn row_notation(rng: &mut Rng, style: DateStyle) -> Notation {
    let drawn = *rng.pick(&Notation::ALL);
    match style {
        DateStyle::Iso => Notation::Iso,
        DateStyle::WarekiKanji => Notation::Kanji,
        DateStyle::WarekiLetter => Notation::Letter,
        DateStyle::WarekiDigit => Notation::Digit,
        DateStyle::Mixed => drawn,
    }
}

/// Whether this row gets an error, and which. A duplicate needs an earlier clean row; without
/// one another kind is drawn.
fn choose_error(rng: &mut Rng, rate: f64, have_clean: bool) -> Option<PlantedError> {
    let planted = rng.chance(rate);
    let kind = *rng.pick(&PlantedError::ALL);
    let fallback = *rng.pick(&PlantedError::ALL[..8]);
    match (planted, kind) {
        (false, _) => None,
        (true, PlantedError::DuplicateNumberOtherInsured) if !have_clean => Some(fallback),
        (true, kind) => Some(kind),
    }
}

/// 被保険者番号 of data row `row`: a bijection on 8-digit numbers, so unique per file for up to
/// 10^8 rows.
fn insured_number(seed: u64, row: u64) -> String {
    const MODULUS: u64 = 100_000_000;
    const MULTIPLIER: u64 = 61_803_397; // coprime to 10
    let offset = mix64(seed ^ Domain::InsuredOffset as u64) % MODULUS;
    let n = (u128::from(row % MODULUS) * u128::from(MULTIPLIER) + u128::from(offset))
        % u128::from(MODULUS);
    format!("{n:08}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn insured_numbers_are_unique_eight_digits() {
        let mut seen = HashSet::new();
        for row in 0..100_000 {
            let n = insured_number(42, row);
            assert_eq!(n.len(), 8);
            assert!(seen.insert(n));
        }
    }

    #[test]
    fn rejects_an_error_rate_outside_zero_to_one() {
        let spec = SubscriberFileSpec {
            seed: 1,
            encoding: Encoding::Utf8,
            date_style: DateStyle::Iso,
            error_rate: 1.5,
            notation_noise: false,
        };
        let result = write_subscriber_file(Vec::new(), &spec, std::iter::empty());
        assert!(matches!(result, Err(SynthError::ErrorRate(_))));
    }
}
