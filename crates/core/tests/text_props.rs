//! Property tests for `renkei_core::text`: normalization is idempotent, and the same name in
//! hiragana, half-width or full-width katakana, with any spacing, compares equal.

mod common;

use common::{FULL, HALF, HIRAGANA};
use proptest::prelude::*;
use renkei_core::text::{
    is_kana_name, nfkc, normalize_kana, normalize_name, trim_ja, KanaName, PersonName, TextError,
};

const SPACES: [&str; 5] = ["", " ", "\u{3000}", "  ", "\t"];

fn kana_name() -> impl Strategy<Value = (String, String, String)> {
    common::kana_name(&SPACES)
}

#[test]
fn tables_line_up() {
    assert_eq!(FULL.chars().count(), HALF.len());
    assert_eq!(HIRAGANA.chars().count(), HALF.len());
    for (full, half) in FULL.chars().zip(HALF) {
        assert_eq!(nfkc(half), full.to_string());
    }
}

proptest! {
    #[test]
    fn normalize_kana_is_idempotent(s in any::<String>()) {
        let once = normalize_kana(&s);
        prop_assert_eq!(normalize_kana(&once), once);
    }

    #[test]
    fn normalize_kana_is_idempotent_on_kana_soup(
        s in "[ぁ-ゟァ-ヿｦ-ﾟ゙゚゛゜ 　a-zＡ-Ｚ]{0,16}",
    ) {
        let once = normalize_kana(&s);
        prop_assert_eq!(normalize_kana(&once), once.clone());
        prop_assert!(!once.chars().any(char::is_whitespace));
        prop_assert!(!once.chars().any(|c| ('\u{3041}'..='\u{3096}').contains(&c)), "hiragana left");
    }

    #[test]
    fn normalize_name_is_idempotent(s in any::<String>()) {
        let once = normalize_name(&s);
        prop_assert_eq!(normalize_name(&once), once);
    }

    #[test]
    fn normalize_name_is_idempotent_on_name_soup(s in "[一-龥ぁ-んァ-ンｦ-ﾟ゙ 　ＡＢａｂAb・･]{0,16}") {
        let once = normalize_name(&s);
        prop_assert_eq!(normalize_name(&once), once);
    }

    #[test]
    fn hiragana_and_half_width_match_full_width((full, hira, half) in kana_name()) {
        let expected: String = full.chars().filter(|c| !c.is_whitespace()).collect();
        prop_assert_eq!(normalize_kana(&full), expected.clone());
        prop_assert_eq!(normalize_kana(&hira), expected.clone());
        prop_assert_eq!(normalize_kana(&half), expected);
        prop_assert!(is_kana_name(&full) && is_kana_name(&hira) && is_kana_name(&half));
        let parsed = KanaName::parse(&full).expect("katakana");
        prop_assert_eq!(KanaName::parse(&hira).map(|k| k.normalized()), Ok(parsed.normalized()));
        prop_assert_eq!(KanaName::parse(&half).map(|k| k.normalized()), Ok(parsed.normalized()));
    }

    #[test]
    fn name_spacing_and_width_do_not_matter(
        parts in proptest::collection::vec(("[一-龥]{1,4}", 0..SPACES.len()), 1..4),
        latin in "[A-Za-z0-9]{0,6}",
    ) {
        let compact: String = parts.iter().map(|(p, _)| p.as_str()).collect::<String>() + &latin;
        let spaced: String = parts
            .iter()
            .map(|(p, s)| format!("{}{p}", SPACES[*s]))
            .collect::<String>()
            + &latin.chars().map(full_width).collect::<String>();
        prop_assert_eq!(normalize_name(&spaced), normalize_name(&compact));
        let name = PersonName::parse(&spaced).expect("non-empty");
        prop_assert_eq!(name.normalized(), normalize_name(&compact));
    }

    #[test]
    fn names_reparse_to_themselves(s in any::<String>()) {
        if let Ok(name) = PersonName::parse(&s) {
            prop_assert_eq!(PersonName::parse(name.as_str()), Ok(name.clone()));
            prop_assert_eq!(trim_ja(name.as_str()), name.as_str());
            prop_assert!(name.as_str().chars().count() <= 100);
        }
        if let Ok(kana) = KanaName::parse(&s) {
            prop_assert_eq!(KanaName::parse(kana.as_str()), Ok(kana.clone()));
            prop_assert!(is_kana_name(kana.as_str()));
        }
    }

    #[test]
    fn kana_names_reparse_to_themselves((full, hira, half) in kana_name()) {
        for s in [full, hira, half] {
            let kana = KanaName::parse(&s).expect("kana");
            prop_assert_eq!(KanaName::parse(kana.as_str()), Ok(kana.clone()));
            let json = serde_json::to_string(&kana).expect("serialize");
            prop_assert_eq!(serde_json::from_str::<KanaName>(&json).ok(), Some(kana));
        }
    }

    #[test]
    fn parsers_never_panic(s in any::<String>()) {
        match KanaName::parse(&s) {
            Ok(_) | Err(TextError::Empty | TextError::NotKana | TextError::TooLong) => {}
        }
        let _ = PersonName::parse(&s);
        let _ = is_kana_name(&s);
    }
}

fn full_width(c: char) -> char {
    match c {
        '!'..='~' => char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap_or(c),
        _ => c,
    }
}
