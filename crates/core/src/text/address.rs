//! The matching key of a 住所: one canonical form for the many ways the same address is
//! written — width, spaces, hyphen look-alikes, kanji or Arabic numerals, 丁目/番地/番/号,
//! 大字/字, ケ/ヶ/が, old kanji, and with or without the prefecture.

use super::itaiji::fold_char;
use super::nfkc;
use crate::prefecture::PREFECTURES;

/// The kanji numerals, with their values (十, 百, 千 are multipliers).
fn kanji_digit(c: char) -> Option<u32> {
    "〇一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|d| d as u32)
}

fn kanji_multiplier(c: char) -> Option<u64> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

fn is_kanji_numeral(c: char) -> bool {
    kanji_digit(c).is_some() || kanji_multiplier(c).is_some()
}

/// The matching key of a 住所.
///
/// 1. NFKC (full-width digits and letters become ASCII), all whitespace removed, old and
///    variant kanji folded through the 異体字 table;
/// 2. a leading prefecture name removed, so an address with and without 東京都 matches;
/// 3. hyphen look-alikes (‐ ‑ ‒ – — ― − ─ －, and ー/ｰ after a numeral or a numeral's
///    丁目/番地/番/号) become `-`;
/// 4. 大字 and 字 removed; ケ, ヶ, ヵ, が and ガ between two kanji become ヶ (霞が関 = 霞ヶ関);
/// 5. kanji numerals that are a block or house number — followed by 丁目, 番, 号, `-`, の and
///    a number, or ending the address, or after `-` — become Arabic (三十二 → 32, 二〇 → 20);
/// 6. after a number, 丁目, 番地, 番 and 号 become `-`, and の between numbers becomes `-`;
/// 7. runs of `-` collapse to one, and a `-` is kept only between two digits;
/// 8. the steps are repeated until the key no longer changes (odd input only).
///
/// `"東京都千代田区霞が関一丁目二番三号"`, `"千代田区霞ヶ関１－２－３"` and
/// `"千代田区 霞が関 1丁目2番地3"` all give `"千代田区霞ヶ関1-2-3"`.
pub fn address_key(s: &str) -> String {
    let mut key = address_key_once(s);
    // Dropping a hyphen or a marker can make a neighbour rule apply (十が‐地); repeat until
    // the key is stable. Real addresses settle in one round; the bound is for odd input.
    for _ in 0..4 {
        let again = address_key_once(&key);
        if again == key {
            break;
        }
        key = again;
    }
    key
}

/// One round of [`address_key`]'s steps.
fn address_key_once(s: &str) -> String {
    let compact: String = nfkc(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(fold_char)
        .collect();
    let without_prefecture = PREFECTURES
        .iter()
        .find_map(|p| compact.strip_prefix(p))
        .unwrap_or(&compact);
    let chars = fold_punctuation(without_prefecture);
    let numbers = kanji_numbers_to_arabic(&chars);
    canonical_markers(&numbers)
}

/// Steps 3 and 4: hyphens, 大字/字, ケ/ヶ/が.
fn fold_punctuation(s: &str) -> Vec<char> {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_numeral = ends_with_number(&out);
        match c {
            '大' if chars.get(i + 1) == Some(&'字') => i += 1,
            '字' => {}
            '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '─' | '-' => out.push('-'),
            'ー' if after_numeral => out.push('-'),
            'ケ' | 'ヶ' | 'ヵ' | 'が' | 'ガ'
                if out.last().is_some_and(|&p| is_kanji(p))
                    && chars.get(i + 1).is_some_and(|&n| is_kanji(n)) =>
            {
                out.push('ヶ')
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether `out` ends with a numeral, possibly followed by any of 丁目, 番地, 番, 号 and `-`
/// (so that ー in `1ー2`, `1ーー2` and `1丁目ー2` is a hyphen).
fn ends_with_number(out: &[char]) -> bool {
    const MARKERS: [&[char]; 5] = [&['丁', '目'], &['番', '地'], &['番'], &['号'], &['-']];
    let mut rest = out;
    while let Some(shorter) = MARKERS.iter().find_map(|m| rest.strip_suffix(*m)) {
        rest = shorter;
    }
    rest.last()
        .is_some_and(|&p| p.is_ascii_digit() || is_kanji_numeral(p))
}

/// CJK unified ideographs (and extension A) that are not numerals.
fn is_kanji(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
}

/// Step 5: block and house numbers written in kanji become Arabic.
fn kanji_numbers_to_arabic(chars: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if !is_kanji_numeral(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let end = (i..chars.len())
            .find(|&j| !is_kanji_numeral(chars[j]))
            .unwrap_or(chars.len());
        let run = &chars[i..end];
        let after_hyphen = out.last() == Some(&'-');
        if after_hyphen || is_number_context(&chars[end..]) {
            match kanji_value(run) {
                Some(value) => out.extend(value.to_string().chars()),
                None => out.extend_from_slice(run),
            }
        } else {
            out.extend_from_slice(run);
        }
        i = end;
    }
    out
}

/// Whether what follows a numeral makes it a block or house number.
fn is_number_context(rest: &[char]) -> bool {
    match rest {
        [] => true,
        ['丁', '目', ..] | ['番', ..] | ['号', ..] | ['-', ..] => true,
        ['の', next, ..] => next.is_ascii_digit() || is_kanji_numeral(*next),
        _ => false,
    }
}

/// The value of a kanji numeral: positional with 十百千 (三十二 = 32, 百五 = 105), or digit by
/// digit without them (二〇 = 20). `None` if it does not fit in a `u64` or is malformed.
fn kanji_value(run: &[char]) -> Option<u64> {
    if run.iter().any(|&c| kanji_multiplier(c).is_some()) {
        let mut total: u64 = 0;
        let mut current: Option<u64> = None;
        for &c in run {
            if let Some(d) = kanji_digit(c) {
                current = Some(
                    current
                        .unwrap_or(0)
                        .checked_mul(10)?
                        .checked_add(d.into())?,
                );
            } else {
                let multiplier = kanji_multiplier(c)?;
                total = total.checked_add(current.unwrap_or(1).checked_mul(multiplier)?)?;
                current = None;
            }
        }
        total.checked_add(current.unwrap_or(0))
    } else {
        run.iter().try_fold(0u64, |acc, &c| {
            acc.checked_mul(10)?.checked_add(kanji_digit(c)?.into())
        })
    }
}

/// Steps 6 and 7: 丁目/番地/番/号/の after a number become `-`; runs of `-` collapse, and
/// only those between digits stay.
fn canonical_markers(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len() * 3);
    // After a number, or a marker that followed one (1番地の2: の still follows a number).
    let mut after_number = false;
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let (hyphen, width) = match rest {
            ['丁', '目', ..] | ['番', '地', ..] if after_number => (true, 2),
            ['番', ..] if after_number => (true, 1),
            ['号', next, ..] if after_number && *next != '室' => (true, 1),
            ['号'] if after_number => (true, 1),
            ['の', next, ..] if after_number && next.is_ascii_digit() => (true, 1),
            ['-', ..] => (true, 1),
            _ => (false, 1),
        };
        if hyphen {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(rest[0]);
            after_number = rest[0].is_ascii_digit();
        }
        i += width;
    }
    keep_hyphens_between_digits(&out)
}

/// Drops every `-` that is not between two digits (a trailing one, or one before a building
/// or town name), so `1-2-3ビル` and `1丁目2番3号ビル` agree.
fn keep_hyphens_between_digits(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|&(i, &c)| {
            c != '-'
                || (i > 0
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        })
        .map(|(_, &c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kanji_numerals_have_their_values() {
        let value = |s: &str| kanji_value(&s.chars().collect::<Vec<_>>());
        assert_eq!(value("三"), Some(3));
        assert_eq!(value("十"), Some(10));
        assert_eq!(value("十五"), Some(15));
        assert_eq!(value("三十二"), Some(32));
        assert_eq!(value("百五"), Some(105));
        assert_eq!(value("千二百三十四"), Some(1234));
        assert_eq!(value("二〇"), Some(20));
        assert_eq!(value("一〇一"), Some(101));
    }

    #[test]
    fn place_names_with_numerals_keep_them() {
        assert_eq!(address_key("東京都八王子市"), "八王子市");
        assert_eq!(address_key("三鷹市下連雀"), "三鷹市下連雀");
        assert_eq!(address_key("千代田区九段北一丁目"), "千代田区九段北1");
        assert_eq!(address_key("中央区八丁堀三丁目"), "中央区八丁堀3");
    }

    #[test]
    fn long_vowel_marks_after_numbers_and_markers_are_hyphens() {
        assert_eq!(address_key("栄3ー2ー1"), "栄3-2-1");
        assert_eq!(address_key("栄三丁目ー二ー一"), "栄3-2-1");
        assert_eq!(address_key("栄3ーー2"), "栄3-2");
        assert_eq!(address_key("コーポ栄"), "コーポ栄");
    }

    #[test]
    fn odd_input_settles_in_a_stable_key() {
        let key = address_key("十が‐地");
        assert_eq!(address_key(&key), key);
    }
}
