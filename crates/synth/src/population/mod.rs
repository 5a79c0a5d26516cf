//! Synthetic residents (住民) as J-LIS holds them: 個人番号, 住民票コード and the 基本4情報.
//!
//! A resident is a pure function of `(seed, global index)`, so a population streams in O(1)
//! memory and any resident can be regenerated on its own. Index spaces (see [`numbers`]):
//!
//! - **Nation-wide** (`prefecture: None`): global indices `0..2·10^8`. The `i`-th resident of an
//!   unfiltered population is [`resident`]`(seed, i)`; residents are spread over the prefectures
//!   and municipalities by population.
//! - **Per prefecture** (`prefecture: Some(p)`): block p, indices `p·2·10^8..(p+1)·2·10^8`.
//!   These residents are generated directly inside prefecture p and are *different people* from
//!   the nation-wide ones (disjoint indices, so disjoint 個人番号 and 住民票コード). A registry may
//!   load the nation-wide population and any prefecture populations of the same seed together.
//! - **min_age** does not move anyone: it keeps, in index order, the residents of the chosen
//!   space who are at least that old on 2026-04-01 (birth dates are drawn first and cheaply, so
//!   the skipped ones cost little). A population with `min_age` is therefore a subset of the
//!   same space without it; `Some(0)` and `None` are the same population.
//!
//! Different seeds use different number offsets, so their populations are disjoint with high
//! probability but not with certainty: load one seed per registry.

mod birth;
mod lookalike;
mod numbers;

use renkei_core::id::{MyNumber, ResidentCode, Sex};
use time::Date;

pub(crate) use birth::anniversary;
pub use birth::{MAX_AGE, REFERENCE_DAY};
pub use lookalike::{look_alike, look_alikes, search_items, LookAlike, LookAlikeKind, SearchItems};
pub use numbers::{is_reserved_unknown, unknown_my_number};

use crate::data::{self, prefectures};
use crate::error::SynthError;
use crate::rng::{Domain, Rng};
use birth::{draw_birth, latest_birth_for_age};
use numbers::{BLOCK, INDEX_LIMIT};

/// A resident as J-LIS records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    /// 個人番号.
    pub my_number: MyNumber,
    /// 住民票コード.
    pub resident_code: ResidentCode,
    /// 漢字氏名: surname, U+3000, given name (`"山田　太郎"`).
    pub name: String,
    /// カナ氏名 in full-width katakana with the same spacing (`"ヤマダ　タロウ"`).
    pub kana: String,
    /// 生年月日 (1920-01-01 to 2025-12-31).
    pub birth: Date,
    /// 性別.
    pub sex: Sex,
    /// 住所 in the canonical form `都道府県 + 市区町村 + 町名 + N丁目N番N号`.
    pub address: String,
    /// 全国地方公共団体コード (6 digits) of the municipality of `address`.
    pub municipality_code: String,
}

/// Which population to generate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PopulationSpec {
    /// Seed: the same seed gives the same residents, forever.
    pub seed: u64,
    /// How many residents to produce.
    pub count: u64,
    /// Restrict to one prefecture (two-digit code, `"13"`): residents of that prefecture's own
    /// index block, generated directly inside it.
    pub prefecture: Option<String>,
    /// Keep only residents at least this old on 2026-04-01 (at most [`MAX_AGE`]).
    pub min_age: Option<u32>,
}

impl PopulationSpec {
    /// Checks the prefecture code, the age bound and the size.
    pub fn validate(&self) -> Result<(), SynthError> {
        self.block()?;
        if let Some(age) = self.min_age {
            if age > MAX_AGE {
                return Err(SynthError::MinAge { age, max: MAX_AGE });
            }
        }
        if self.count > BLOCK {
            return Err(SynthError::TooMany {
                count: self.count,
                max: BLOCK,
            });
        }
        Ok(())
    }

    /// Index block: 0 for the nation, 1..=47 for a prefecture.
    fn block(&self) -> Result<u64, SynthError> {
        match &self.prefecture {
            None => Ok(0),
            Some(code) => data::prefecture_index(code)
                .map(|i| i as u64 + 1)
                .ok_or_else(|| SynthError::Prefecture(code.clone())),
        }
    }
}

/// Streams the population `spec` describes, in index order, in O(1) memory.
///
/// # Panics
/// If the spec is invalid (see [`PopulationSpec::validate`]), or if a `min_age` so high that
/// fewer than `count` of the block's 2·10^8 residents qualify exhausts the block.
pub fn residents(spec: &PopulationSpec) -> impl Iterator<Item = Resident> + Send {
    if let Err(e) = spec.validate() {
        panic!("invalid population spec: {e}");
    }
    let block = spec.block().expect("validated");
    Residents {
        seed: spec.seed,
        next: block * BLOCK,
        end: (block + 1) * BLOCK,
        remaining: spec.count,
        latest_birth: spec.min_age.map(latest_birth_for_age),
    }
}

/// The resident with global index `index` of `seed`: for `index < 2·10^8` the `index`-th
/// resident of the unfiltered population; higher blocks are the per-prefecture residents.
///
/// # Panics
/// If `index >= 10^10`.
pub fn resident(seed: u64, index: u64) -> Resident {
    assert!(index < INDEX_LIMIT, "resident index must be below 10^10");
    let draft = Draft::new(seed, index);
    draft.finish(seed, index)
}

struct Residents {
    seed: u64,
    next: u64,
    end: u64,
    remaining: u64,
    latest_birth: Option<Date>,
}

impl Iterator for Residents {
    type Item = Resident;

    fn next(&mut self) -> Option<Resident> {
        if self.remaining == 0 {
            return None;
        }
        while self.next < self.end {
            let index = self.next;
            self.next += 1;
            let draft = Draft::new(self.seed, index);
            if self.latest_birth.is_none_or(|latest| draft.birth <= latest) {
                self.remaining -= 1;
                return Some(draft.finish(self.seed, index));
            }
        }
        panic!("population block exhausted before producing the requested count");
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

/// The first, cheap draws of a resident — enough to apply the age filter.
struct Draft {
    rng: Rng,
    prefecture: usize,
    birth: Date,
}

impl Draft {
    fn new(seed: u64, index: u64) -> Draft {
        let mut rng = Rng::for_record(seed, Domain::Resident, index);
        let block = index / BLOCK;
        let prefecture = match block {
            0 => data::draw_prefecture(&mut rng),
            p => p as usize - 1,
        };
        let birth = draw_birth(&mut rng);
        Draft {
            rng,
            prefecture,
            birth,
        }
    }

    fn finish(mut self, seed: u64, index: u64) -> Resident {
        let rng = &mut self.rng;
        let sex = if rng.below(2) == 0 {
            Sex::Male
        } else {
            Sex::Female
        };
        let municipality = data::draw_municipality(rng, self.prefecture);
        let town = rng.pick(municipality.towns);
        let (chome, ban, go) = (rng.range(1, 5), rng.range(1, 30), rng.range(1, 25));
        let (surname, surname_kana) = data::draw_surname(rng);
        let (given, given_kana) = data::draw_given_name(rng, sex, self.birth.year());
        let prefecture_name = prefectures()[self.prefecture].name;
        Resident {
            my_number: numbers::my_number(seed, index),
            resident_code: numbers::resident_code(seed, index),
            name: format!("{surname}\u{3000}{given}"),
            kana: format!("{surname_kana}\u{3000}{given_kana}"),
            birth: self.birth,
            sex,
            address: format!(
                "{prefecture_name}{}{}{town}{chome}丁目{ban}番{go}号",
                municipality.county, municipality.name
            ),
            municipality_code: municipality.code.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests;
