//! Japanese text normalization (表記ゆれの正規化) for comparing a record's 氏名 and カナ氏名
//! with the 本人確認情報 held by J-LIS, so that notation differences — full/half width,
//! hiragana/katakana, spaces — never cause a false mismatch, while the stored text keeps what
//! the user wrote.
//!
//! Matching (docs/matching.md) builds on it: [`name_key`], [`kana_key`] and [`address_key`]
//! fold 異体字, small kana, long vowels and address forms; [`compare_name`],
//! [`compare_kana`] and [`compare_address`] give a [`MatchLevel`]; [`score_candidate`] scores
//! a resident against a search by 基本4情報.

mod address;
mod basic4;
mod itaiji;
mod keys;
mod matching;
mod names;

pub use address::address_key;
pub use basic4::{
    fingerprint, score_candidate, score_view, Basic4, CandidateScore, ItemView, QueryError,
    RecordView, WEIGHT_ADDRESS, WEIGHT_KANA, WEIGHT_NAME, WEIGHT_SEX,
};
pub use itaiji::{fold_itaiji, groups as itaiji_groups};
pub use keys::{kana_key, name_key};
pub use matching::{
    compare_address, compare_kana, compare_keys, compare_name, edit_distance, similarity,
    MatchLevel, PARTIAL_THRESHOLD,
};
pub use names::{KanaName, PersonName};

use unicode_normalization::UnicodeNormalization;

/// Why a string is not a valid name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing left after trimming.
    #[error("値がありません")]
    Empty,
    /// A カナ氏名 contains a character that is not katakana (after normalization).
    #[error("カタカナ以外の文字が含まれています")]
    NotKana,
    /// Longer than [`MAX_NAME_CHARS`] characters.
    #[error("文字数が多すぎます（100文字まで）")]
    TooLong,
}

/// The longest name, in characters, that [`PersonName`] and [`KanaName`] accept.
pub const MAX_NAME_CHARS: usize = 100;

/// Unicode NFKC normalization: full-width Latin and digits become ASCII, half-width katakana
/// becomes full-width (with ﾞ and ﾟ combined into the voiced letter), U+3000 becomes a space.
pub fn nfkc(s: &str) -> String {
    // Most names and addresses arrive already normalized; the quick check is a table look-up
    // per character, far cheaper than decomposing and recomposing.
    if unicode_normalization::is_nfkc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        return s.to_owned();
    }
    s.nfkc().collect()
}

/// Trims ASCII whitespace and the ideographic space U+3000 from both ends.
pub fn trim_ja(s: &str) -> &str {
    s.trim_matches(is_ja_space)
}

/// ASCII whitespace or the ideographic space U+3000.
fn is_ja_space(c: char) -> bool {
    c.is_ascii_whitespace() || c == '\u{3000}'
}

/// The comparison form of a 氏名: NFKC with all whitespace removed.
///
/// `"山田　太郎"`, `"山田 太郎"` and `"山田太郎"` compare equal, as do `"ＪＯＨＮ"` and
/// `"JOHN"`. The middle dot `・` is kept: it is part of the name as written.
pub fn normalize_name(s: &str) -> String {
    let without_spaces: String = nfkc(s).chars().filter(|c| !c.is_whitespace()).collect();
    // Removing a space can put a combining mark next to a letter it now composes with.
    nfkc(&without_spaces)
}

/// The comparison form of a カナ氏名: NFKC, hiragana turned into katakana, whitespace removed.
///
/// `"やまだ"`, `"ﾔﾏﾀﾞ"` and `"ヤマダ"` all become `"ヤマダ"`.
pub fn normalize_kana(s: &str) -> String {
    let katakana: String = nfkc(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(hiragana_to_katakana)
        .collect();
    // A second pass composes pairs that only exist in katakana (ヰ + ゛ → ヸ) and marks freed
    // by the removed spaces; it cannot produce hiragana or whitespace again.
    nfkc(&katakana)
}

/// Whether `s` is a カナ氏名: non-empty and only katakana after [`normalize_kana`].
pub fn is_kana_name(s: &str) -> bool {
    let normalized = normalize_kana(s);
    !normalized.is_empty() && normalized.chars().all(is_katakana)
}

/// Hiragana (U+3041..=U+3096, ゝ, ゞ) to the katakana at the same place in its block.
fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            char::from_u32(u32::from(c) + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

/// Characters a カナ氏名 may contain: katakana ァ..ヺ, the middle dot ・, the long vowel mark ー
/// and the iteration marks ヽ ヾ.
fn is_katakana(c: char) -> bool {
    matches!(
        c,
        '\u{30A1}'..='\u{30FA}' | '\u{30FB}' | '\u{30FC}' | '\u{30FD}' | '\u{30FE}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_ja_trims_ascii_and_ideographic_spaces() {
        assert_eq!(trim_ja("\u{3000} 山田\u{3000}太郎\t\n"), "山田\u{3000}太郎");
        assert_eq!(trim_ja("\u{3000}"), "");
    }

    #[test]
    fn nfkc_widens_half_width_katakana_and_narrows_latin() {
        assert_eq!(nfkc("ﾔﾏﾀﾞ"), "ヤマダ");
        assert_eq!(nfkc("ＪＯＨＮ１２"), "JOHN12");
    }

    #[test]
    fn names_compare_equal_across_spacing_and_width() {
        let expected = normalize_name("山田太郎");
        assert_eq!(normalize_name("山田　太郎"), expected);
        assert_eq!(normalize_name(" 山田 太郎 "), expected);
        assert_eq!(normalize_name("山田\t太郎"), expected);
        assert_eq!(normalize_name("ＪＯＨＮ"), "JOHN");
        assert_eq!(normalize_name("ジョン・スミス"), "ジョン・スミス");
        assert_ne!(normalize_name("山田太郎"), normalize_name("山田次郎"));
    }

    #[test]
    fn kana_in_any_script_and_width_compares_equal() {
        assert_eq!(normalize_kana("ﾀﾞ"), "ダ");
        assert_eq!(normalize_kana("ﾊﾟ"), "パ");
        assert_eq!(normalize_kana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダタロウ");
        assert_eq!(normalize_kana("やまだ　たろう"), "ヤマダタロウ");
        assert_eq!(normalize_kana("ヤマダ タロウ"), "ヤマダタロウ");
        assert_eq!(normalize_kana("いすゞ"), "イスヾ");
        assert_eq!(normalize_kana("ゔぁ"), "ヴァ");
        // A voiced mark split from its letter by a space still composes.
        assert_eq!(normalize_kana("ﾀ ﾞ"), "ダ");
        // ゐ + combining mark composes only once it is katakana: ヸ.
        assert_eq!(normalize_kana("ゐ\u{3099}"), "\u{30F8}");
    }

    #[test]
    fn recognizes_kana_names() {
        assert!(is_kana_name("ヤマダ タロウ"));
        assert!(is_kana_name("やまだ　たろう"));
        assert!(is_kana_name("ｽﾐｽ･ｼﾞｮﾝ"));
        assert!(is_kana_name("ヨーコ"));
        assert!(!is_kana_name("山田"));
        assert!(!is_kana_name("YAMADA"));
        assert!(!is_kana_name(" \u{3000}"));
        assert!(!is_kana_name(""));
    }
}
