use std::collections::HashSet;

use proptest::prelude::*;
use renkei_core::date::age_on;
use renkei_core::id::MyNumber;

use super::*;
use crate::data::{municipalities, prefecture};

fn spec(seed: u64, count: u64) -> PopulationSpec {
    PopulationSpec {
        seed,
        count,
        ..Default::default()
    }
}

#[test]
fn same_seed_same_residents() {
    let a: Vec<Resident> = residents(&spec(7, 500)).collect();
    let b: Vec<Resident> = residents(&spec(7, 500)).collect();
    assert_eq!(a, b);
    let c: Vec<Resident> = residents(&spec(8, 500)).collect();
    assert_ne!(a, c);
}

#[test]
fn my_numbers_and_resident_codes_are_unique_over_200_000() {
    let mut numbers = HashSet::new();
    let mut codes = HashSet::new();
    for r in residents(&spec(1, 200_000)) {
        assert!(numbers.insert(r.my_number.expose().to_owned()));
        assert!(codes.insert(r.resident_code.expose().to_owned()));
    }
}

#[test]
fn numbers_parse_with_their_check_digits() {
    for r in residents(&spec(2, 20_000)) {
        assert_eq!(
            MyNumber::parse(r.my_number.expose()).as_ref(),
            Ok(&r.my_number)
        );
        let code = renkei_core::id::ResidentCode::parse(r.resident_code.expose());
        assert_eq!(code.as_ref(), Ok(&r.resident_code));
        assert!(!is_reserved_unknown(&r.my_number));
    }
}

#[test]
fn age_pyramid_is_japanese() {
    let n = 100_000;
    let ages: Vec<u32> = residents(&spec(3, n))
        .map(|r| age_on(r.birth, REFERENCE_DAY))
        .collect();
    let share =
        |pred: &dyn Fn(u32) -> bool| ages.iter().filter(|&&a| pred(a)).count() as f64 / n as f64;
    let old = share(&|a| a >= 75);
    assert!((0.12..=0.20).contains(&old), "share 75+ = {old}");
    let middle = share(&|a| (40..80).contains(&a));
    assert!(middle > 0.45, "share 40–79 = {middle}");
    let children = share(&|a| a < 15);
    assert!(
        (0.08..=0.14).contains(&children),
        "share under 15 = {children}"
    );
}

#[test]
fn sexes_are_balanced_and_big_cities_dominate() {
    let all: Vec<Resident> = residents(&spec(4, 50_000)).collect();
    let men = all.iter().filter(|r| r.sex == Sex::Male).count() as f64 / all.len() as f64;
    assert!((0.48..=0.52).contains(&men), "{men}");
    let tokyo = all
        .iter()
        .filter(|r| r.municipality_code.starts_with("13"))
        .count() as f64;
    let tottori = all
        .iter()
        .filter(|r| r.municipality_code.starts_with("31"))
        .count() as f64;
    assert!(
        tokyo / all.len() as f64 > 0.09,
        "Tokyo share {}",
        tokyo / all.len() as f64
    );
    assert!(tokyo > 15.0 * tottori);
    let sapporo = all
        .iter()
        .filter(|r| r.municipality_code == "011002")
        .count();
    let otaru = all
        .iter()
        .filter(|r| r.municipality_code == "012033")
        .count();
    assert!(sapporo > 5 * otaru);
}

#[test]
fn residents_look_real() {
    for r in residents(&spec(5, 2_000)) {
        let (surname, given) = r.name.split_once('\u{3000}').expect("ideographic space");
        assert!(!surname.is_empty() && !given.is_empty());
        assert_eq!(r.kana.matches('\u{3000}').count(), 1, "{}", r.kana);
        assert!(renkei_core::text::is_kana_name(&r.kana));
        let m = municipalities()
            .iter()
            .find(|m| m.code == r.municipality_code)
            .expect("known");
        let prefix = prefecture(m.prefecture_code).expect("pref").name;
        assert!(r.address.starts_with(prefix), "{}", r.address);
        assert!(
            r.address.contains(m.name) && r.address.ends_with('号'),
            "{}",
            r.address
        );
        assert!(
            m.towns.iter().any(|t| r.address.contains(t)),
            "{}",
            r.address
        );
    }
}

#[test]
fn filtered_populations_stay_inside_their_filter_and_count() {
    let s = PopulationSpec {
        seed: 6,
        count: 3_000,
        prefecture: Some("13".into()),
        min_age: Some(75),
    };
    let tokyo: Vec<Resident> = residents(&s).collect();
    assert_eq!(tokyo.len(), 3_000);
    for r in &tokyo {
        assert!(r.municipality_code.starts_with("13"));
        assert!(r.address.starts_with("東京都"));
        assert!(age_on(r.birth, REFERENCE_DAY) >= 75);
    }
    // The age filter selects: the same residents appear, in order, without it.
    let unfiltered: Vec<Resident> = residents(&PopulationSpec {
        min_age: None,
        count: 30_000,
        ..s.clone()
    })
    .collect();
    let selected: Vec<&Resident> = unfiltered
        .iter()
        .filter(|r| age_on(r.birth, REFERENCE_DAY) >= 75)
        .take(100)
        .collect();
    assert_eq!(selected, tokyo.iter().take(100).collect::<Vec<_>>());
    // Nation-wide with an age bound also selects from the unfiltered population.
    let old: Vec<Resident> = residents(&PopulationSpec {
        seed: 6,
        count: 50,
        prefecture: None,
        min_age: Some(90),
    })
    .collect();
    assert!(old.iter().all(|r| r == &resident(6, index_of(6, r))));
}

/// The global index of a nation-wide resident, by search (small populations only).
fn index_of(seed: u64, r: &Resident) -> u64 {
    (0..1_000_000)
        .find(|&i| resident(seed, i).my_number == r.my_number)
        .expect("found")
}

#[test]
fn prefecture_populations_do_not_share_numbers_with_the_nation() {
    let mut numbers = HashSet::new();
    let mut codes = HashSet::new();
    let specs = [
        spec(9, 20_000),
        PopulationSpec {
            seed: 9,
            count: 20_000,
            prefecture: Some("13".into()),
            min_age: None,
        },
        PopulationSpec {
            seed: 9,
            count: 20_000,
            prefecture: Some("27".into()),
            min_age: None,
        },
    ];
    for s in &specs {
        for r in residents(s) {
            assert!(numbers.insert(r.my_number.expose().to_owned()));
            assert!(codes.insert(r.resident_code.expose().to_owned()));
        }
    }
}

#[test]
fn invalid_specs_are_refused() {
    let bad_pref = PopulationSpec {
        prefecture: Some("48".into()),
        ..spec(1, 1)
    };
    assert!(matches!(
        bad_pref.validate(),
        Err(SynthError::Prefecture(_))
    ));
    let bad_age = PopulationSpec {
        min_age: Some(MAX_AGE + 1),
        ..spec(1, 1)
    };
    assert!(matches!(bad_age.validate(), Err(SynthError::MinAge { .. })));
    assert!(PopulationSpec {
        min_age: Some(MAX_AGE),
        ..spec(1, 1)
    }
    .validate()
    .is_ok());
}

#[test]
fn unknown_numbers_are_valid_and_distinct() {
    let mut seen = HashSet::new();
    for n in 0..10_000 {
        let number = unknown_my_number(1, n);
        assert_eq!(MyNumber::parse(number.expose()).as_ref(), Ok(&number));
        assert!(seen.insert(number.expose().to_owned()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn random_access_matches_the_stream(seed in any::<u64>(), i in 0u64..300) {
        let streamed = residents(&spec(seed, i + 1)).last().expect("i + 1 residents");
        prop_assert_eq!(resident(seed, i), streamed);
    }

    #[test]
    fn prefecture_filter_is_honoured(seed in any::<u64>(), p in 1usize..=47) {
        let code = format!("{p:02}");
        let s = PopulationSpec { seed, count: 20, prefecture: Some(code.clone()), min_age: Some(65) };
        for r in residents(&s) {
            prop_assert!(r.municipality_code.starts_with(&code));
            prop_assert!(age_on(r.birth, REFERENCE_DAY) >= 65);
        }
    }
}
