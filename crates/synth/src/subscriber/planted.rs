//! Rendering one row of a 加入者情報 file from the person it is about: notation noise that
//! keeps the meaning, and planted errors that change it.

use renkei_core::id::Sex;
use time::{Date, Duration};

use super::dates::{acquisition_date, write_date, write_impossible_date, Notation};
use super::noise::{ascii_space, to_half_width, to_hiragana};
use super::PlantedError;
use crate::data;
use crate::population::{unknown_my_number, Resident};
use crate::rng::Rng;

/// The person a row is about, as the file should state them when it is right.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    my_number: String,
    surname: String,
    given: String,
    surname_kana: String,
    given_kana: String,
    birth: Date,
    sex: Sex,
    address: String,
    acquired: Date,
}

impl Person {
    /// 資格取得年月日.
    pub(crate) fn acquired(&self) -> Date {
        self.acquired
    }

    pub(crate) fn from_resident(r: &Resident, rng: &mut Rng) -> Person {
        let (surname, given) = r.name.split_once('\u{3000}').unwrap_or((&r.name, ""));
        let (surname_kana, given_kana) = r.kana.split_once('\u{3000}').unwrap_or((&r.kana, ""));
        Person {
            my_number: r.my_number.expose().to_owned(),
            surname: surname.to_owned(),
            given: given.to_owned(),
            surname_kana: surname_kana.to_owned(),
            given_kana: given_kana.to_owned(),
            birth: r.birth,
            sex: r.sex,
            address: r.address.clone(),
            acquired: acquisition_date(rng, r.birth),
        }
    }
}

/// How a カナ氏名 is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum KanaForm {
    /// `ヤマダ　タロウ`
    #[default]
    Canonical,
    /// `ヤマダ タロウ`
    AsciiSpace,
    /// `ﾔﾏﾀﾞ ﾀﾛｳ`
    HalfWidth,
    /// `やまだ　たろう`
    Hiragana,
}

/// The notation variants of one row; the default is the canonical form.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Noise {
    ascii_name_space: bool,
    kana: KanaForm,
    /// Write 生年月日 in this 和暦 notation instead of the row's.
    birth: Option<Notation>,
}

impl Noise {
    pub(crate) fn draw(rng: &mut Rng) -> Noise {
        let ascii_name_space = rng.chance(0.3);
        let kana = match rng.below(10) {
            0..=1 => KanaForm::AsciiSpace,
            2..=3 => KanaForm::HalfWidth,
            4 => KanaForm::Hiragana,
            _ => KanaForm::Canonical,
        };
        let wareki = *rng.pick(&Notation::WAREKI);
        let birth = rng.chance(0.3).then_some(wareki);
        Noise {
            ascii_name_space,
            kana,
            birth,
        }
    }
}

/// The text of a row, apart from the fixed 異動区分 and the 被保険者番号.
pub(crate) struct RowText {
    my_number: String,
    name: String,
    kana: String,
    birth: String,
    sex: &'static str,
    address: String,
    acquired: String,
}

impl RowText {
    /// The ten fields in header order.
    pub(crate) fn fields<'a>(&'a self, insured: &'a str) -> [&'a str; 10] {
        [
            "1",
            &self.my_number,
            insured,
            &self.name,
            &self.kana,
            &self.birth,
            self.sex,
            &self.address,
            &self.acquired,
            "",
        ]
    }
}

/// Writes `person`'s row in `notation` with `noise`, planting `error` if any.
pub(crate) fn render(
    rng: &mut Rng,
    person: &Person,
    error: Option<PlantedError>,
    seed: u64,
    row: u64,
    notation: Notation,
    noise: Option<Noise>,
) -> RowText {
    let mut p = person.clone();
    match error {
        Some(PlantedError::NameMismatch) => {
            p.surname = data::other_surname(rng, &p.surname).0.into()
        }
        Some(PlantedError::KanaMismatch) => {
            p.surname_kana = data::surname_with_other_reading(rng, &p.surname_kana).into();
        }
        Some(PlantedError::BirthMismatch) => {
            p.birth -= Duration::days(rng.range(1, 400) as i64);
        }
        Some(PlantedError::SexMismatch) => {
            p.sex = match p.sex {
                Sex::Male => Sex::Female,
                Sex::Female => Sex::Male,
            };
        }
        Some(PlantedError::UnknownNumber) => {
            p.my_number = unknown_my_number(seed, row).expose().to_owned();
        }
        _ => {}
    }
    let noise = noise.unwrap_or_default();
    let birth_notation = noise.birth.unwrap_or(notation);
    let name = format!("{}\u{3000}{}", p.surname, p.given);
    let kana = format!("{}\u{3000}{}", p.surname_kana, p.given_kana);
    let mut text = RowText {
        my_number: p.my_number,
        name: if noise.ascii_name_space {
            ascii_space(&name)
        } else {
            name
        },
        kana: match noise.kana {
            KanaForm::Canonical => kana,
            KanaForm::AsciiSpace => ascii_space(&kana),
            KanaForm::HalfWidth => to_half_width(&kana),
            KanaForm::Hiragana => to_hiragana(&kana),
        },
        birth: write_date(p.birth, birth_notation),
        sex: if p.sex == Sex::Male { "1" } else { "2" },
        address: p.address,
        acquired: write_date(p.acquired, notation),
    };
    match error {
        Some(PlantedError::BadCheckDigit) => {
            text.my_number = wrong_check_digit(rng, &text.my_number)
        }
        Some(PlantedError::ImpossibleDate) => {
            if rng.below(2) == 0 {
                text.birth = write_impossible_date(rng, p.birth.year(), birth_notation);
            } else {
                text.acquired = write_impossible_date(rng, p.acquired.year(), notation);
            }
        }
        Some(PlantedError::MissingName) => text.name.clear(),
        _ => {}
    }
    text
}

/// The same 12 digits with the last (the check digit) replaced by another digit.
fn wrong_check_digit(rng: &mut Rng, number: &str) -> String {
    let (body, check) = number.split_at(number.len() - 1);
    let check = check.parse::<u64>().expect("digit");
    format!("{body}{}", (check + rng.range(1, 9)) % 10)
}
