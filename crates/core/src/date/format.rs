//! Writing dates back out: ISO 8601 for files and messages, 和暦 for people, and the compact
//! letter and digit 和暦 forms that insurers' systems exchange.

use super::{Date, Era};

/// `YYYY-MM-DD`.
pub fn to_iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// 和暦 in kanji, e.g. `"昭和20年4月1日"` or `"令和元年5月1日"`; dates before 明治 in the
/// Western calendar, e.g. `"1868年1月1日"`.
pub fn to_wareki(d: Date) -> String {
    let month = u8::from(d.month());
    match Era::of(d) {
        Some(era) => {
            let year = era.era_year(d.year());
            if year == 1 {
                format!("{}元年{}月{}日", era.name(), month, d.day())
            } else {
                format!("{}{}年{}月{}日", era.name(), year, month, d.day())
            }
        }
        None => format!("{}年{}月{}日", d.year(), month, d.day()),
    }
}

/// The letter form `S200401` (era letter + YYMMDD); `None` before 明治 or past an era's 99th
/// year.
pub fn to_wareki_letter(d: Date) -> Option<String> {
    let (era, yymmdd) = compact(d)?;
    Some(format!("{}{yymmdd}", era.letter()))
}

/// The seven-digit form `3200401` (era code + YYMMDD); `None` before 明治 or past an era's 99th
/// year.
pub fn to_wareki_digits(d: Date) -> Option<String> {
    let (era, yymmdd) = compact(d)?;
    Some(format!("{}{yymmdd}", era.code()))
}

fn compact(d: Date) -> Option<(Era, String)> {
    let era = Era::of(d)?;
    let year = era.era_year(d.year());
    if year > 99 {
        return None;
    }
    let yymmdd = format!("{year:02}{:02}{:02}", u8::from(d.month()), d.day());
    Some((era, yymmdd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn writes_iso() {
        assert_eq!(to_iso(date!(1945 - 04 - 01)), "1945-04-01");
        assert_eq!(to_iso(date!(0800 - 12 - 31)), "0800-12-31");
    }

    #[test]
    fn writes_wareki() {
        assert_eq!(to_wareki(date!(1945 - 04 - 01)), "昭和20年4月1日");
        assert_eq!(to_wareki(date!(2019 - 05 - 01)), "令和元年5月1日");
        assert_eq!(to_wareki(date!(2019 - 04 - 30)), "平成31年4月30日");
        assert_eq!(to_wareki(date!(1989 - 01 - 07)), "昭和64年1月7日");
        assert_eq!(to_wareki(date!(1989 - 01 - 08)), "平成元年1月8日");
        assert_eq!(to_wareki(date!(1912 - 07 - 30)), "大正元年7月30日");
        assert_eq!(to_wareki(date!(1868 - 01 - 25)), "明治元年1月25日");
        assert_eq!(to_wareki(date!(1868 - 01 - 24)), "1868年1月24日");
    }

    #[test]
    fn writes_compact_forms() {
        assert_eq!(
            to_wareki_letter(date!(1945 - 04 - 01)).as_deref(),
            Some("S200401")
        );
        assert_eq!(
            to_wareki_digits(date!(1945 - 04 - 01)).as_deref(),
            Some("3200401")
        );
        assert_eq!(
            to_wareki_digits(date!(2019 - 05 - 01)).as_deref(),
            Some("5010501")
        );
        assert_eq!(to_wareki_letter(date!(1868 - 01 - 24)), None);
        assert_eq!(
            to_wareki_letter(date!(2117 - 12 - 31)).as_deref(),
            Some("R991231")
        );
        assert_eq!(to_wareki_letter(date!(2118 - 01 - 01)), None);
    }
}
