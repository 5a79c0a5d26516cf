//! Harmless notation variants (表記ゆれ) seen in real 加入者情報 files: ASCII instead of
//! ideographic spaces, half-width katakana, hiragana readings. Each denotes exactly the same
//! name as the canonical form, so a correct cross-check must accept it.

/// Full-width katakana → half-width (without voiced marks, which are split off separately).
const HALF_WIDTH: [(char, char); 60] = [
    ('ァ', 'ｧ'),
    ('ア', 'ｱ'),
    ('ィ', 'ｨ'),
    ('イ', 'ｲ'),
    ('ゥ', 'ｩ'),
    ('ウ', 'ｳ'),
    ('ェ', 'ｪ'),
    ('エ', 'ｴ'),
    ('ォ', 'ｫ'),
    ('オ', 'ｵ'),
    ('カ', 'ｶ'),
    ('キ', 'ｷ'),
    ('ク', 'ｸ'),
    ('ケ', 'ｹ'),
    ('コ', 'ｺ'),
    ('サ', 'ｻ'),
    ('シ', 'ｼ'),
    ('ス', 'ｽ'),
    ('セ', 'ｾ'),
    ('ソ', 'ｿ'),
    ('タ', 'ﾀ'),
    ('チ', 'ﾁ'),
    ('ッ', 'ｯ'),
    ('ツ', 'ﾂ'),
    ('テ', 'ﾃ'),
    ('ト', 'ﾄ'),
    ('ナ', 'ﾅ'),
    ('ニ', 'ﾆ'),
    ('ヌ', 'ﾇ'),
    ('ネ', 'ﾈ'),
    ('ノ', 'ﾉ'),
    ('ハ', 'ﾊ'),
    ('ヒ', 'ﾋ'),
    ('フ', 'ﾌ'),
    ('ヘ', 'ﾍ'),
    ('ホ', 'ﾎ'),
    ('マ', 'ﾏ'),
    ('ミ', 'ﾐ'),
    ('ム', 'ﾑ'),
    ('メ', 'ﾒ'),
    ('モ', 'ﾓ'),
    ('ャ', 'ｬ'),
    ('ヤ', 'ﾔ'),
    ('ュ', 'ｭ'),
    ('ユ', 'ﾕ'),
    ('ョ', 'ｮ'),
    ('ヨ', 'ﾖ'),
    ('ラ', 'ﾗ'),
    ('リ', 'ﾘ'),
    ('ル', 'ﾙ'),
    ('レ', 'ﾚ'),
    ('ロ', 'ﾛ'),
    ('ワ', 'ﾜ'),
    ('ヲ', 'ｦ'),
    ('ン', 'ﾝ'),
    ('ー', 'ｰ'),
    ('・', '･'),
    ('「', '｢'),
    ('」', '｣'),
    ('\u{3000}', ' '),
];

/// Katakana with a dakuten (ガ = カ + 1 in Unicode) and with a handakuten (パ = ハ + 2).
const VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ";
const SEMI_VOICED: &str = "パピプペポ";

fn half_width_base(c: char) -> Option<char> {
    HALF_WIDTH
        .iter()
        .find(|(full, _)| *full == c)
        .map(|&(_, half)| half)
}

/// `"ヤマダ　タロウ"` → `"ﾔﾏﾀﾞ ﾀﾛｳ"`.
pub(crate) fn to_half_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let shifted = |by: u32| char::from_u32(u32::from(c) - by).and_then(half_width_base);
        if VOICED.contains(c) {
            out.extend(shifted(1));
            out.push('ﾞ');
        } else if SEMI_VOICED.contains(c) {
            out.extend(shifted(2));
            out.push('ﾟ');
        } else if c == 'ヴ' {
            out.push_str("ｳﾞ");
        } else {
            out.push(half_width_base(c).unwrap_or(c));
        }
    }
    out
}

/// `"ヤマダ　タロウ"` → `"やまだ　たろう"` (ァ..ヶ shift down by 0x60; ー stays).
pub(crate) fn to_hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(u32::from(c) - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// The ideographic space between surname and given name replaced by an ASCII space.
pub(crate) fn ascii_space(s: &str) -> String {
    s.replace('\u{3000}', " ")
}

#[cfg(test)]
mod tests {
    use renkei_core::text::normalize_kana;

    use super::*;

    #[test]
    fn half_width_kana() {
        assert_eq!(to_half_width("ヤマダ　タロウ"), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(to_half_width("ハットリ　ジュンコ"), "ﾊｯﾄﾘ ｼﾞｭﾝｺ");
        assert_eq!(to_half_width("ベップ　パル"), "ﾍﾞｯﾌﾟ ﾊﾟﾙ");
        for s in [
            "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポ",
            "キョウコ　ミヅキ",
        ] {
            assert_eq!(normalize_kana(&to_half_width(s)), normalize_kana(s));
        }
    }

    #[test]
    fn hiragana_kana() {
        assert_eq!(to_hiragana("ヤマダ　タロウ"), "やまだ　たろう");
        assert_eq!(to_hiragana("キンジョウ　ヒヅキ"), "きんじょう　ひづき");
        assert_eq!(
            normalize_kana(&to_hiragana("ハットリ　ジュンコ")),
            "ハットリジュンコ"
        );
    }

    #[test]
    fn ascii_spaces() {
        assert_eq!(ascii_space("山田　太郎"), "山田 太郎");
    }
}
