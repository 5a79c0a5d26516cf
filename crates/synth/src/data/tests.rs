use std::collections::HashSet;

use super::*;

/// 全国地方公共団体コード check digit: weights 6,5,4,3,2 over the first five digits,
/// r = sum mod 11, check = (11 − r) mod 10.
fn local_government_check_digit(first_five: &str) -> u32 {
    let sum: u32 = first_five
        .chars()
        .zip([6, 5, 4, 3, 2])
        .map(|(c, w)| c.to_digit(10).expect("digit") * w)
        .sum();
    (11 - sum % 11) % 10
}

#[test]
fn check_digit_rule_matches_known_codes() {
    assert_eq!(local_government_check_digit("13101"), 6); // 131016 千代田区
    assert_eq!(local_government_check_digit("01100"), 2); // 011002 札幌市
    assert_eq!(local_government_check_digit("13104"), 1); // 131041 新宿区
    assert_eq!(local_government_check_digit("27100"), 4); // 271004 大阪市
}

#[test]
fn every_municipality_code_has_a_valid_check_digit() {
    for m in municipalities() {
        assert_eq!(m.code.len(), 6, "{}", m.name);
        assert!(m.code.bytes().all(|b| b.is_ascii_digit()), "{}", m.name);
        let check = m.code[5..].parse::<u32>().expect("digit");
        assert_eq!(
            local_government_check_digit(&m.code[..5]),
            check,
            "{} {}",
            m.code,
            m.name
        );
    }
}

#[test]
fn municipality_codes_are_unique_and_belong_to_a_prefecture() {
    let mut seen = HashSet::new();
    for m in municipalities() {
        assert!(seen.insert(m.code), "duplicate {}", m.code);
        assert!(prefecture(m.prefecture_code).is_some(), "{}", m.code);
        assert!(!m.towns.is_empty(), "{}", m.name);
    }
}

#[test]
fn every_prefecture_has_its_capital_and_five_more() {
    assert_eq!(prefectures().len(), 47);
    for (i, p) in prefectures().iter().enumerate() {
        assert_eq!(p.code, format!("{:02}", i + 1));
        let count = municipalities()
            .iter()
            .filter(|m| m.prefecture_code == p.code)
            .count();
        assert!(count >= 6, "{} has {count}", p.name);
    }
    let capitals = [
        ("131041", "新宿区"),
        ("011002", "札幌市"),
        ("271004", "大阪市"),
    ];
    for (code, name) in capitals {
        assert!(
            municipalities()
                .iter()
                .any(|m| m.code == code && m.name == name),
            "{name}"
        );
    }
}

#[test]
fn tokyo_has_all_23_wards() {
    let wards = municipalities()
        .iter()
        .filter(|m| m.prefecture_code == "13" && m.name.ends_with('区'))
        .count();
    assert_eq!(wards, 23);
}

#[test]
fn name_tables_are_large_enough_and_read_as_katakana() {
    assert!(surnames::SURNAMES.len() >= 150);
    assert!(given_names::MALE.len() >= 100);
    assert!(given_names::FEMALE.len() >= 100);
    let readings = surnames::SURNAMES.iter().map(|s| s.1).chain(
        given_names::MALE
            .iter()
            .chain(given_names::FEMALE)
            .map(|g| g.1),
    );
    for kana in readings {
        assert!(renkei_core::text::is_kana_name(kana), "{kana}");
        // ヴ has no hiragana in CP932; long vowel marks would be a notation question.
        assert!(!kana.contains('ヴ') && !kana.contains('ー'), "{kana}");
    }
    let mut seen = HashSet::new();
    for (name, _) in surnames::SURNAMES {
        assert!(seen.insert(*name), "duplicate surname {name}");
    }
}

#[test]
fn every_birth_year_has_names_for_both_sexes() {
    let mut rng = Rng::for_record(0, crate::rng::Domain::Resident, 0);
    for year in FIRST_BIRTH_YEAR..FIRST_BIRTH_YEAR + BIRTH_YEAR_WEIGHTS.len() as i32 {
        for sex in [Sex::Male, Sex::Female] {
            let (name, kana) = draw_given_name(&mut rng, sex, year);
            assert!(!name.is_empty() && !kana.is_empty());
        }
    }
}

#[test]
fn every_table_string_is_encodable_in_cp932() {
    for s in all_table_strings() {
        let (_, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
        assert!(!unmappable, "not in CP932: {s}");
    }
}
