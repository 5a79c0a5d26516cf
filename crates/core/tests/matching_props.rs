//! Property tests for `renkei_core::text` matching: keys are idempotent and fold every
//! notation (scripts, widths, spaces, 異体字, address forms) to one form; comparison is
//! symmetric; a different 生年月日 never scores.

mod common;

use proptest::prelude::*;
use renkei_core::text::{
    address_key, compare_address, compare_kana, compare_name, edit_distance, itaiji_groups,
    kana_key, name_key, score_candidate, similarity, Basic4, MatchLevel,
};
use renkei_core::{Date, Sex};

const SPACES: [&str; 4] = ["", " ", "\u{3000}", "\t"];
const SMALL: &str = "ァィゥェォッャュョヮヵヶー";

/// One reading in three scripts with random spacing.
fn kana_name() -> impl Strategy<Value = (String, String, String)> {
    common::kana_name(&SPACES)
}

/// A name of canonical kanji from the 異体字 table (and common kanji), and the same name with
/// each character replaced by one of its variants at random.
fn kanji_name_with_variants() -> impl Strategy<Value = (String, String)> {
    let groups: Vec<Vec<char>> = itaiji_groups()
        .chain("田中山川本村".chars().map(|c| vec![c]))
        .collect();
    let count = groups.len();
    proptest::collection::vec((0..count, any::<prop::sample::Index>()), 1..8).prop_map(
        move |picks| {
            let mut canonical = String::new();
            let mut variant = String::new();
            for (group, pick) in picks {
                let group = &groups[group];
                canonical.push(group[0]);
                variant.push(group[pick.index(group.len())]);
            }
            (canonical, variant)
        },
    )
}

/// A number in kanji, positional (二十三) or digit by digit (二三).
fn kanji_number(n: u32, positional: bool) -> String {
    const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    if !positional {
        return n
            .to_string()
            .chars()
            .map(|d| DIGITS[d as usize - '0' as usize])
            .collect();
    }
    let mut out = String::new();
    for (unit, mark) in [(1000, '千'), (100, '百'), (10, '十')] {
        let d = (n / unit) % 10;
        if d > 1 {
            out.push(DIGITS[d as usize]);
        }
        if d > 0 {
            out.push(mark);
        }
    }
    if !n.is_multiple_of(10) || n == 0 {
        out.push(DIGITS[(n % 10) as usize]);
    }
    out
}

fn full_width_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) - 0x30 + 0xFF10).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A 丁目-番-号 written one of many ways: (written, expected key).
fn block_address() -> impl Strategy<Value = (String, String)> {
    let town = prop::sample::select(vec![
        ("東京都", "千代田区霞が関", "千代田区霞ヶ関"),
        ("大阪府", "大阪市北区梅田", "大阪市北区梅田"),
        ("北海道", "札幌市中央区北一条西", "札幌市中央区北一条西"),
        ("福岡県", "福岡市博多区博多駅前", "福岡市博多区博多駅前"),
    ]);
    let numbers = (1u32..=99, 1u32..=999, 1u32..=99);
    let style = (0usize..4, any::<bool>(), any::<bool>(), 0usize..6);
    (town, numbers, style).prop_map(
        |((prefecture, town, town_key), (a, b, c), (numerals, with_prefecture, spaced, hyphen))| {
            let number = |n: u32| match numerals {
                0 => n.to_string(),
                1 => full_width_digits(&n.to_string()),
                2 => kanji_number(n, true),
                _ => kanji_number(n, false),
            };
            let hyphen = ["-", "－", "‐", "−", "ー", "―"][hyphen];
            let blocks = if numerals >= 2 {
                format!("{}丁目{}番{}号", number(a), number(b), number(c))
            } else {
                format!("{}{hyphen}{}{hyphen}{}", number(a), number(b), number(c))
            };
            let space = if spaced { "　" } else { "" };
            let prefecture = if with_prefecture { prefecture } else { "" };
            (
                format!("{prefecture}{space}{town}{space}{blocks}"),
                format!("{town_key}{a}-{b}-{c}"),
            )
        },
    )
}

fn date() -> impl Strategy<Value = Date> {
    (0i32..40000).prop_map(|d| Date::from_julian_day(2_400_000 + d).expect("in range"))
}

proptest! {
    #[test]
    fn name_key_is_idempotent(s in "[一-龥髙﨑齋邊澤濱國々ぁ-んァ-ン 　ＡＢａｂAb・]{0,16}") {
        let once = name_key(&s);
        prop_assert_eq!(name_key(&once), once);
    }

    #[test]
    fn kana_key_is_idempotent_and_has_no_small_kana(
        s in "[ぁ-ゟァ-ヿｦ-ﾟ゙゚ 　]{0,16}",
    ) {
        let once = kana_key(&s);
        prop_assert_eq!(kana_key(&once), once.clone());
        prop_assert!(!once.chars().any(|c| SMALL.contains(c)), "{}", once);
    }

    #[test]
    fn a_reading_in_any_script_has_one_key((full, hira, half) in kana_name()) {
        prop_assert_eq!(kana_key(&hira), kana_key(&full));
        prop_assert_eq!(kana_key(&half), kana_key(&full));
        // A reading of long vowel marks alone has an empty key and matches nothing.
        prop_assert_eq!(compare_kana(&hira, &half).is_match(), !kana_key(&full).is_empty());
    }

    #[test]
    fn small_kana_fold_to_large((full, _, _) in kana_name()) {
        let large: String = full.chars().map(|c| match c {
            'ァ' => 'ア', 'ィ' => 'イ', 'ゥ' => 'ウ', 'ェ' => 'エ', 'ォ' => 'オ',
            'ッ' => 'ツ', 'ャ' => 'ヤ', 'ュ' => 'ユ', 'ョ' => 'ヨ', _ => c,
        }).collect();
        prop_assert_eq!(kana_key(&large), kana_key(&full));
    }

    #[test]
    fn variant_kanji_match_their_canonical_form((canonical, variant) in kanji_name_with_variants()) {
        prop_assert_eq!(name_key(&variant), name_key(&canonical));
        prop_assert!(compare_name(&variant, &canonical).is_match());
        prop_assert_eq!(name_key(&canonical), canonical);
    }

    #[test]
    fn block_addresses_in_any_form_have_one_key((written, key) in block_address()) {
        prop_assert_eq!(address_key(&written), key);
    }

    #[test]
    fn address_key_keeps_hyphens_only_between_digits(s in any::<String>()) {
        let key: Vec<char> = address_key(&s).chars().collect();
        for (i, &c) in key.iter().enumerate() {
            if c == '-' {
                prop_assert!(i > 0 && key[i - 1].is_ascii_digit(), "{:?}", key);
                prop_assert!(key.get(i + 1).is_some_and(char::is_ascii_digit), "{:?}", key);
            }
        }
    }

    #[test]
    fn address_key_is_idempotent_on_address_soup(s in "[一二三十百〇0-9丁目番地号の字大ー‐－ 　都東京区ヶが関ビル]{0,20}") {
        let key = address_key(&s);
        prop_assert!(!key.contains("--"));
        prop_assert!(!key.chars().any(char::is_whitespace));
        prop_assert_eq!(address_key(&key), key);
    }

    #[test]
    fn comparison_is_symmetric(a in "[山田高髙橋ヤマダタロウ一二1-3 ]{0,8}", b in "[山田高髙橋ヤマダタロウ一二1-3 ]{0,8}") {
        prop_assert_eq!(compare_name(&a, &b), compare_name(&b, &a));
        prop_assert_eq!(compare_kana(&a, &b), compare_kana(&b, &a));
        prop_assert_eq!(compare_address(&a, &b), compare_address(&b, &a));
    }

    #[test]
    fn a_value_matches_itself_exactly(a in "[一-龥ァ-ン0-9]{1,12}") {
        prop_assert_eq!(compare_name(&a, &a), MatchLevel::Exact);
        prop_assert_eq!(compare_kana(&a, &a), MatchLevel::Exact);
        prop_assert_eq!(compare_address(&a, &a), MatchLevel::Exact);
    }

    #[test]
    fn edit_distance_is_a_metric(a in "[アイウエオ]{0,8}", b in "[アイウエオ]{0,8}", c in "[アイウエオ]{0,8}") {
        let (a, b, c): (Vec<char>, Vec<char>, Vec<char>) =
            (a.chars().collect(), b.chars().collect(), c.chars().collect());
        prop_assert_eq!(edit_distance(&a, &a), 0);
        prop_assert_eq!(edit_distance(&a, &b), edit_distance(&b, &a));
        prop_assert!(edit_distance(&a, &c) <= edit_distance(&a, &b) + edit_distance(&b, &c));
        prop_assert!(edit_distance(&a, &b) <= a.len().max(b.len()));
    }

    #[test]
    fn one_substitution_lowers_similarity_by_one_letter(s in "[アイウエオカキクケコ]{4,12}", at in any::<prop::sample::Index>()) {
        let mut chars: Vec<char> = s.chars().collect();
        let i = at.index(chars.len());
        chars[i] = if chars[i] == 'ン' { 'ヲ' } else { 'ン' };
        let typo: String = chars.iter().collect();
        let expected = 1000 - (1000usize.div_ceil(chars.len())) as u16;
        prop_assert_eq!(similarity(&s, &typo), expected);
        prop_assert_eq!(compare_kana(&s, &typo), MatchLevel::Partial(expected));
    }

    #[test]
    fn only_the_same_birth_date_scores(
        birth in date(), other in date(), (full, hira, _) in kana_name(), (canonical, variant) in kanji_name_with_variants(),
        (written, _) in block_address(), male in any::<bool>(), same_day in any::<bool>(),
    ) {
        let other = if same_day { birth } else { other };
        let sex = if male { Sex::Male } else { Sex::Female };
        let query = Basic4::query(Some(&variant), Some(&hira), birth, Some(sex), Some(&written)).expect("query");
        let same = Basic4::record(Some(&variant), Some(&hira), birth, Some(sex), Some(&written));
        let variant_record = Basic4::record(Some(&canonical), Some(&full), other, Some(sex), Some(&written));
        prop_assert_eq!(score_candidate(&query, &same).map(|s| s.score), Some(1000));
        let scored = score_candidate(&query, &variant_record);
        prop_assert_eq!(scored.is_some(), birth == other);
        if let Some(score) = scored {
            prop_assert!(score.score >= 950 && score.score <= 1000);
            prop_assert!(score.name.is_some_and(MatchLevel::is_match));
        }
    }
}
