//! Generators shared by the text property tests.

use proptest::prelude::*;

/// Kana that exist in all three forms, at the same index in each table.
pub const FULL: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッーガギグゲゴザジズゼゾダヂヅデドバビブベボヴパピプペポ";
pub const HIRAGANA: &str = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんぁぃぅぇぉゃゅょっーがぎぐげござじずぜぞだぢづでどばびぶべぼゔぱぴぷぺぽ";
pub const HALF: [&str; 82] = [
    "ｱ", "ｲ", "ｳ", "ｴ", "ｵ", "ｶ", "ｷ", "ｸ", "ｹ", "ｺ", "ｻ", "ｼ", "ｽ", "ｾ", "ｿ", "ﾀ", "ﾁ", "ﾂ", "ﾃ",
    "ﾄ", "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", "ﾊ", "ﾋ", "ﾌ", "ﾍ", "ﾎ", "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", "ﾔ", "ﾕ", "ﾖ",
    "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", "ﾜ", "ｦ", "ﾝ", "ｧ", "ｨ", "ｩ", "ｪ", "ｫ", "ｬ", "ｭ", "ｮ", "ｯ", "ｰ", "ｶﾞ",
    "ｷﾞ", "ｸﾞ", "ｹﾞ", "ｺﾞ", "ｻﾞ", "ｼﾞ", "ｽﾞ", "ｾﾞ", "ｿﾞ", "ﾀﾞ", "ﾁﾞ", "ﾂﾞ", "ﾃﾞ", "ﾄﾞ", "ﾊﾞ", "ﾋﾞ", "ﾌﾞ", "ﾍﾞ", "ﾎﾞ",
    "ｳﾞ", "ﾊﾟ", "ﾋﾟ", "ﾌﾟ", "ﾍﾟ", "ﾎﾟ",
];

/// One name in three scripts: (full-width katakana, hiragana, half-width katakana), each word
/// followed by a random separator.
pub fn kana_name(
    spaces: &'static [&'static str],
) -> impl Strategy<Value = (String, String, String)> {
    let letter = (0..HALF.len(), 0..spaces.len());
    proptest::collection::vec(letter, 1..12).prop_map(|letters| {
        let full: Vec<char> = FULL.chars().collect();
        let hira: Vec<char> = HIRAGANA.chars().collect();
        let mut out = (String::new(), String::new(), String::new());
        for (i, space) in letters {
            out.0.push(full[i]);
            out.0.push_str(spaces[space]);
            out.1.push(hira[i]);
            out.1.push_str(spaces[(space + 1) % spaces.len()]);
            out.2.push_str(HALF[i]);
            out.2.push_str(spaces[(space + 2) % spaces.len()]);
        }
        out
    })
}
