//! Static tables the generators draw from: 都道府県, 市区町村 with real 全国地方公共団体コード
//! and 町名, surnames and given names with readings, and Japan's population by birth year.
//! Changing a table changes what every seed produces, so tables only grow at their ends.

mod birth_years;
mod given_names;
mod municipalities;
mod prefectures;
mod surnames;

use std::sync::OnceLock;

use renkei_core::id::Sex;

use crate::rng::{cumulative, Rng};

pub(crate) use birth_years::{BIRTH_YEAR_WEIGHTS, FIRST_BIRTH_YEAR};
use given_names::GivenName;

/// A 都道府県.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefecture {
    /// Two-digit code, `"01"` (北海道) to `"47"` (沖縄県).
    pub code: &'static str,
    /// Name as written in addresses, e.g. `"東京都"`.
    pub name: &'static str,
}

/// A 市区町村.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Municipality {
    /// 全国地方公共団体コード: six digits, the last a check digit (`"131016"` 千代田区).
    pub code: &'static str,
    /// The prefecture's two-digit code (the first two digits of `code`).
    pub prefecture_code: &'static str,
    /// Name, e.g. `"千代田区"`, `"札幌市"`, `"岩美町"`.
    pub name: &'static str,
    /// Some real 町名 (neighbourhoods) in the municipality; for 政令指定都市 they begin with
    /// the 行政区 (`"中央区大通西"`).
    pub towns: &'static [&'static str],
}

/// One line of the municipality table, with what only the generators need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MunicipalityRow {
    pub(crate) code: &'static str,
    /// The 郡 of a 町 or 村, written in its address; empty for cities and wards.
    pub(crate) county: &'static str,
    pub(crate) name: &'static str,
    pub(crate) population_k: u32,
    pub(crate) towns: &'static [&'static str],
}

/// The 47 prefectures in code order.
pub fn prefectures() -> &'static [Prefecture] {
    static TABLE: OnceLock<Vec<Prefecture>> = OnceLock::new();
    TABLE.get_or_init(|| {
        prefectures::CODES
            .iter()
            .zip(renkei_core::prefecture::PREFECTURES)
            .map(|(&code, name)| Prefecture { code, name })
            .collect()
    })
}

/// Every municipality in the tables, grouped by prefecture in code order.
pub fn municipalities() -> &'static [Municipality] {
    static TABLE: OnceLock<Vec<Municipality>> = OnceLock::new();
    TABLE.get_or_init(|| {
        municipalities::MUNICIPALITIES
            .iter()
            .map(|row| Municipality {
                code: row.code,
                prefecture_code: &row.code[..2],
                name: row.name,
                towns: row.towns,
            })
            .collect()
    })
}

/// The prefecture with this two-digit code.
pub fn prefecture(code: &str) -> Option<&'static Prefecture> {
    prefectures().iter().find(|p| p.code == code)
}

/// Index (0-based) of the prefecture with this code, `"01"` → 0.
pub(crate) fn prefecture_index(code: &str) -> Option<usize> {
    prefectures().iter().position(|p| p.code == code)
}

pub(crate) fn municipality_rows() -> &'static [MunicipalityRow] {
    municipalities::MUNICIPALITIES
}

/// Precomputed weights for drawing where a resident lives.
struct Geography {
    /// Cumulative prefecture populations.
    prefectures: Vec<u64>,
    /// Per prefecture: row indices of its municipalities and their cumulative populations.
    municipalities: Vec<(Vec<usize>, Vec<u64>)>,
}

fn geography() -> &'static Geography {
    static GEO: OnceLock<Geography> = OnceLock::new();
    GEO.get_or_init(|| {
        let rows = municipality_rows();
        let municipalities = prefectures::CODES
            .iter()
            .map(|&code| {
                let members: Vec<usize> = (0..rows.len())
                    .filter(|&i| &rows[i].code[..2] == code)
                    .collect();
                let weights = cumulative(members.iter().map(|&i| u64::from(rows[i].population_k)));
                (members, weights)
            })
            .collect();
        Geography {
            prefectures: cumulative(prefectures::POPULATION_K.iter().map(|&p| u64::from(p))),
            municipalities,
        }
    })
}

/// Draws a prefecture index weighted by population.
pub(crate) fn draw_prefecture(rng: &mut Rng) -> usize {
    rng.weighted(&geography().prefectures)
}

/// Draws a municipality of prefecture `prefecture_index`, weighted by population.
pub(crate) fn draw_municipality(
    rng: &mut Rng,
    prefecture_index: usize,
) -> &'static MunicipalityRow {
    let (members, weights) = &geography().municipalities[prefecture_index];
    &municipality_rows()[members[rng.weighted(weights)]]
}

/// A surname drawn with Zipf-like weights (the common ones more often).
pub(crate) fn draw_surname(rng: &mut Rng) -> (&'static str, &'static str) {
    static WEIGHTS: OnceLock<Vec<u64>> = OnceLock::new();
    let weights = WEIGHTS.get_or_init(|| {
        cumulative((0..surnames::SURNAMES.len() as u64).map(|rank| 100_000 / (rank + 15)))
    });
    surnames::SURNAMES[rng.weighted(weights)]
}

/// Any surname other than `not` (uniformly), for planting a wrong name.
pub(crate) fn other_surname(rng: &mut Rng, not: &str) -> (&'static str, &'static str) {
    loop {
        let candidate = *rng.pick(surnames::SURNAMES);
        if candidate.0 != not {
            return candidate;
        }
    }
}

/// Any surname whose reading differs from `not_kana`, for planting a wrong カナ氏名.
pub(crate) fn surname_with_other_reading(rng: &mut Rng, not_kana: &str) -> &'static str {
    loop {
        let candidate = rng.pick(surnames::SURNAMES).1;
        if candidate != not_kana {
            return candidate;
        }
    }
}

fn given_names(sex: Sex) -> &'static [GivenName] {
    match sex {
        Sex::Male => given_names::MALE,
        Sex::Female => given_names::FEMALE,
    }
}

/// A given name usual for someone of `sex` born in `year`.
pub(crate) fn draw_given_name(rng: &mut Rng, sex: Sex, year: i32) -> (&'static str, &'static str) {
    let names = given_names(sex);
    let fitting = names.iter().filter(|n| n.2 <= year && year <= n.3).count() as u64;
    let chosen = rng.below(fitting) as usize;
    let (name, kana, _, _) = names
        .iter()
        .filter(|n| n.2 <= year && year <= n.3)
        .nth(chosen)
        .expect("every birth year has names");
    (name, kana)
}

/// Every string in the tables, for encodability checks.
#[cfg(test)]
pub(crate) fn all_table_strings() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    all.extend(renkei_core::prefecture::PREFECTURES);
    for row in municipality_rows() {
        all.extend([row.code, row.county, row.name]);
        all.extend(row.towns);
    }
    for (name, kana) in surnames::SURNAMES {
        all.extend([*name, *kana]);
    }
    for (name, kana, _, _) in given_names::MALE.iter().chain(given_names::FEMALE) {
        all.extend([*name, *kana]);
    }
    all
}

#[cfg(test)]
mod tests;
