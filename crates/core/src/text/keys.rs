//! Matching keys for 氏名 and カナ氏名: the forms two names are compared in, folding every
//! difference that notation, not the person, makes.
//!
//! These keys are for matching only and stricter registration checks keep using
//! [`normalize_name`] and [`normalize_kana`], whose behaviour does not change.

use super::itaiji::fold_char;
use super::{nfkc, normalize_kana, normalize_name};

/// The matching key of a 氏名: [`normalize_name`] (NFKC, width, spaces removed), old and
/// variant kanji folded through the 異体字 table (髙→高, 﨑→崎, 齋→斎 …), and the iteration
/// mark 々 (or 〻) replaced by the character it repeats (佐々木 → 佐佐木).
///
/// `name_key("髙橋　一郎") == name_key("高橋一郎")`.
pub fn name_key(s: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in normalize_name(s).chars() {
        let folded = match c {
            '々' | '〻' => previous.unwrap_or(c),
            _ => fold_char(c),
        };
        out.push(folded);
        previous = Some(folded);
    }
    out
}

/// The matching key of a カナ氏名: [`normalize_kana`] (NFKC, hiragana → katakana, half →
/// full width, spaces removed), then
///
/// - small kana folded to the large ones: ァィゥェォ → アイウエオ, ッ → ツ, ャュョ → ヤユヨ,
///   ヮ → ワ, ヵ → カ, ヶ → ケ;
/// - sounds written two ways folded to one: ヴ → ブ (ヷヸヹヺ → バビベボ), ヂ → ジ, ヅ → ズ,
///   ヰ → イ, ヱ → エ, ヲ → オ;
/// - the long vowel mark ー and the middle dot ・ dropped;
/// - the iteration mark ヽ replaced by the letter it repeats.
///
/// `kana_key("ｼﾞｮｰｼﾞ") == kana_key("じよじ")`; both are `"ジヨジ"`.
pub fn kana_key(s: &str) -> String {
    let mut key = fold_kana_string(&normalize_kana(s));
    // Folding can free a voiced mark to compose with the new letter (ヮ + ゛ → ワ + ゛ → ヷ);
    // compose and fold again until nothing changes (at most a few rounds).
    loop {
        let composed = nfkc(&key);
        if composed == key {
            return key;
        }
        key = fold_kana_string(&composed);
    }
}

/// One pass of [`kana_key`]'s folding over katakana.
fn fold_kana_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous: Option<char> = None;
    for c in s.chars() {
        let folded = match c {
            'ー' | '・' => continue,
            'ヽ' => match previous {
                Some(p) => p,
                None => continue,
            },
            _ => fold_kana(c),
        };
        out.push(folded);
        previous = Some(folded);
    }
    out
}

/// One katakana letter's matching form (see [`kana_key`]).
fn fold_kana(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ヴ' => 'ブ',
        'ヷ' => 'バ',
        'ヸ' => 'ビ',
        'ヹ' => 'ベ',
        'ヺ' => 'ボ',
        'ヂ' => 'ジ',
        'ヅ' => 'ズ',
        'ヰ' => 'イ',
        'ヱ' => 'エ',
        'ヲ' => 'オ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_keys_fold_width_spaces_and_variants() {
        let cases = [
            ("髙橋　一郎", "高橋一郎"),
            ("山﨑 花子", "山崎花子"),
            ("齋藤", "斎藤"),
            ("渡邉 健", "渡辺健"),
            ("佐々木", "佐佐木"),
            ("ＪＯＨＮ　ＳＭＩＴＨ", "JOHNSMITH"),
            ("龍", "竜"),
        ];
        for (written, key) in cases {
            assert_eq!(name_key(written), key, "{written}");
        }
    }

    #[test]
    fn kana_keys_fold_small_kana_long_vowels_and_doubled_sounds() {
        let cases = [
            ("ｷｯｶﾜ", "キツカワ"),
            ("きっかわ", "キツカワ"),
            ("ジョージ", "ジヨジ"),
            ("ヴァイオリン", "ブアイオリン"),
            ("ちぢみ", "チジミ"),
            ("ツヅキ", "ツズキ"),
            ("カヲル", "カオル"),
            ("スミス・ジョン", "スミスジヨン"),
            ("ヤマダ　タロウ", "ヤマダタロウ"),
            ("イスヾ", "イスヾ"),
            ("サヽキ", "ササキ"),
        ];
        for (written, key) in cases {
            assert_eq!(kana_key(written), key, "{written}");
        }
    }
}
