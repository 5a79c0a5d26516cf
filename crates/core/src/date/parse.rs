//! Reading the date notations found in insurers' files: Western (`1945-04-01`, `1945/4/1`,
//! `1945.4.1`, `19450401`, `1945年4月1日`) and 和暦 (`昭和20年4月1日`, `令和元年5月1日`,
//! `S200401`, `S20.04.01`, `S20/4/1`, `3200401`).

use time::Month;

use super::{Date, DateError, Era};
use crate::text::{nfkc, trim_ja};

/// Parses a date in any accepted notation, after NFKC normalization (so full-width digits and
/// letters work) and trimming.
///
/// A 和暦 date must lie within its era: 平成31年5月1日 is [`DateError::OutsideEra`].
pub fn parse_date(s: &str) -> Result<Date, DateError> {
    let normalized = nfkc(s);
    let text = trim_ja(&normalized);
    let Some(first) = text.chars().next() else {
        return Err(DateError::Empty);
    };
    if let Some((era, rest)) = strip_era_name(text) {
        return parse_kanji_wareki(era, rest);
    }
    if first.is_ascii_alphabetic() {
        let era = Era::from_letter(first).ok_or(DateError::Format)?;
        return parse_compact_wareki(era, &text[first.len_utf8()..]);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.len() {
            7 => {
                let era = Era::from_code(text.as_bytes()[0] - b'0').ok_or(DateError::Format)?;
                parse_compact_wareki(era, &text[1..])
            }
            8 => {
                let (y, md) = text.split_at(4);
                let (m, d) = md.split_at(2);
                western(number(y, 4)?, number(m, 2)?, number(d, 2)?)
            }
            _ => Err(DateError::Format),
        };
    }
    if text.contains('年') {
        let (y, m, d) = kanji_parts(text)?;
        if y.len() != 4 {
            return Err(DateError::Format);
        }
        return western(number(y, 4)?, number(m, 2)?, number(d, 2)?);
    }
    let [y, m, d] = separated(text)?;
    if y.len() != 4 {
        return Err(DateError::Format);
    }
    western(number(y, 4)?, number(m, 2)?, number(d, 2)?)
}

/// `昭和20年4月1日` → (昭和, `20年4月1日`).
fn strip_era_name(text: &str) -> Option<(Era, &str)> {
    Era::ALL
        .into_iter()
        .find_map(|era| text.strip_prefix(era.name()).map(|rest| (era, rest)))
}

/// The part after the era name: `20年4月1日` or `元年5月1日`; spaces between parts allowed.
fn parse_kanji_wareki(era: Era, rest: &str) -> Result<Date, DateError> {
    let compacted: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    let (y, m, d) = kanji_parts(&compacted)?;
    let year = era_year(y, 3)?;
    wareki(era, year, number(m, 2)?, number(d, 2)?)
}

/// The part after the era letter or code: `200401`, `20.04.01`, `20/4/1` or `20-4-1`.
fn parse_compact_wareki(era: Era, rest: &str) -> Result<Date, DateError> {
    if rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_digit()) {
        let (y, md) = rest.split_at(2);
        let (m, d) = md.split_at(2);
        return wareki(era, number(y, 2)?, number(m, 2)?, number(d, 2)?);
    }
    let [y, m, d] = separated(rest)?;
    wareki(era, era_year(y, 2)?, number(m, 2)?, number(d, 2)?)
}

/// Splits `Y年M月D日` into its three numbers' text.
fn kanji_parts(text: &str) -> Result<(&str, &str, &str), DateError> {
    let (y, rest) = text.split_once('年').ok_or(DateError::Format)?;
    let (m, rest) = rest.split_once('月').ok_or(DateError::Format)?;
    let d = rest.strip_suffix('日').ok_or(DateError::Format)?;
    Ok((y, m, d))
}

/// Splits `Y-M-D`, `Y/M/D` or `Y.M.D` (one separator used throughout) into three parts;
/// a year may be `元`.
fn separated(text: &str) -> Result<[&str; 3], DateError> {
    let sep = text
        .chars()
        .find(|c| !c.is_ascii_digit() && *c != '元')
        .ok_or(DateError::Format)?;
    if !matches!(sep, '-' | '/' | '.') {
        return Err(DateError::Format);
    }
    let mut parts = text.split(sep);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d), None) => Ok([y, m, d]),
        _ => Err(DateError::Format),
    }
}

/// An era year: `元` or 1..=`max_len` digits.
fn era_year(text: &str, max_len: usize) -> Result<u32, DateError> {
    if text == "元" {
        Ok(1)
    } else {
        number(text, max_len)
    }
}

/// 1..=`max_len` ASCII digits.
fn number(text: &str, max_len: usize) -> Result<u32, DateError> {
    if text.is_empty() || text.len() > max_len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateError::Format);
    }
    text.parse().map_err(|_| DateError::Format)
}

fn western(year: u32, month: u32, day: u32) -> Result<Date, DateError> {
    if year == 0 {
        return Err(DateError::Impossible);
    }
    let year = i32::try_from(year).map_err(|_| DateError::Impossible)?;
    calendar_date(year, month, day)
}

fn wareki(era: Era, year: u32, month: u32, day: u32) -> Result<Date, DateError> {
    if year == 0 {
        return Err(DateError::Impossible);
    }
    let gregorian = i32::try_from(era.gregorian_year(year)).map_err(|_| DateError::Impossible)?;
    let date = calendar_date(gregorian, month, day)?;
    if !era.contains(date) {
        return Err(DateError::OutsideEra { era: era.name() });
    }
    Ok(date)
}

fn calendar_date(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or(DateError::Impossible)?;
    let day = u8::try_from(day).map_err(|_| DateError::Impossible)?;
    Date::from_calendar_date(year, month, day).map_err(|_| DateError::Impossible)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ok(s: &str) -> Date {
        match parse_date(s) {
            Ok(d) => d,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    #[test]
    fn parses_western_notations() {
        let expected = date!(1945 - 04 - 01);
        for s in [
            "1945-04-01",
            "1945-4-1",
            "1945/04/01",
            "1945/4/1",
            "1945.4.1",
            "19450401",
            "1945年4月1日",
            "1945年04月01日",
            "　１９４５／４／１ ",
        ] {
            assert_eq!(ok(s), expected, "{s}");
        }
    }

    #[test]
    fn parses_kanji_wareki() {
        assert_eq!(ok("昭和20年4月1日"), date!(1945 - 04 - 01));
        assert_eq!(ok("令和元年5月1日"), date!(2019 - 05 - 01));
        assert_eq!(ok("令和1年5月1日"), date!(2019 - 05 - 01));
        assert_eq!(ok("平成31年4月30日"), date!(2019 - 04 - 30));
        assert_eq!(ok("昭和64年1月7日"), date!(1989 - 01 - 07));
        assert_eq!(ok("大正元年7月30日"), date!(1912 - 07 - 30));
        assert_eq!(ok("明治元年1月25日"), date!(1868 - 01 - 25));
        assert_eq!(ok("昭和 ２０年 ４月 １日"), date!(1945 - 04 - 01));
    }

    #[test]
    fn parses_letter_and_digit_wareki() {
        let expected = date!(1945 - 04 - 01);
        for s in [
            "S200401",
            "s200401",
            "Ｓ２００４０１",
            "S20.04.01",
            "S20/4/1",
            "S20-4-1",
        ] {
            assert_eq!(ok(s), expected, "{s}");
        }
        assert_eq!(ok("3200401"), expected);
        assert_eq!(ok("R010501"), date!(2019 - 05 - 01));
        assert_eq!(ok("R元.5.1"), date!(2019 - 05 - 01));
        assert_eq!(ok("5010501"), date!(2019 - 05 - 01));
        assert_eq!(ok("H310430"), date!(2019 - 04 - 30));
        assert_eq!(ok("M450729"), date!(1912 - 07 - 29));
        assert_eq!(ok("T010730"), date!(1912 - 07 - 30));
    }

    #[test]
    fn rejects_dates_outside_their_era() {
        let heisei = Err(DateError::OutsideEra { era: "平成" });
        assert_eq!(parse_date("平成31年5月1日"), heisei);
        assert_eq!(parse_date("H310501"), heisei);
        assert_eq!(parse_date("4310501"), heisei);
        assert_eq!(
            parse_date("昭和64年1月8日"),
            Err(DateError::OutsideEra { era: "昭和" })
        );
        assert_eq!(
            parse_date("令和元年4月30日"),
            Err(DateError::OutsideEra { era: "令和" })
        );
        assert_eq!(
            parse_date("明治元年1月24日"),
            Err(DateError::OutsideEra { era: "明治" })
        );
        assert_eq!(
            parse_date("昭和1年12月24日"),
            Err(DateError::OutsideEra { era: "昭和" })
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in [
            "2021-02-29",
            "2020-02-30",
            "2020-13-01",
            "2020-00-10",
            "2020-01-00",
            "20201301",
            "昭和20年2月30日",
            "S200230",
            "3201301",
            "0000-01-01",
            "昭和0年4月1日",
        ] {
            assert_eq!(parse_date(s), Err(DateError::Impossible), "{s}");
        }
        assert_eq!(ok("2020-02-29"), date!(2020 - 02 - 29));
    }

    #[test]
    fn rejects_malformed_input() {
        assert_eq!(parse_date(""), Err(DateError::Empty));
        assert_eq!(parse_date(" \u{3000}"), Err(DateError::Empty));
        for s in [
            "1945",
            "194541",
            "1945-04",
            "1945-04-01-02",
            "1945-04/01",
            "45-04-01",
            "12345-01-01",
            "1945-004-01",
            "X200401",
            "S2004011",
            "S20.04",
            "6200401",
            "0200401",
            "昭和20年4月1",
            "昭和二十年四月一日",
            "平成元年",
            "1945年4月",
            "yesterday",
        ] {
            assert_eq!(parse_date(s), Err(DateError::Format), "{s}");
        }
    }
}
