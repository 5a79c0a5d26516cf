//! Property tests for `renkei_core::date`: every notation round-trips, era boundaries hold, and
//! the parser never panics.

use proptest::prelude::*;
use renkei_core::date::{
    age_on, parse_date, to_iso, to_wareki, to_wareki_digits, to_wareki_letter, Date, DateError, Era,
};
use time::macros::date;

/// Any date from the first day of 明治 to the end of 2100.
fn supported_date() -> impl Strategy<Value = Date> {
    let first = date!(1868 - 01 - 25).to_julian_day();
    let last = date!(2100 - 12 - 31).to_julian_day();
    (first..=last).prop_map(|day| Date::from_julian_day(day).expect("within time's range"))
}

/// Any date time can represent in four-digit years.
fn western_date() -> impl Strategy<Value = Date> {
    let first = date!(0001 - 01 - 01).to_julian_day();
    let last = date!(9999 - 12 - 31).to_julian_day();
    (first..=last).prop_map(|day| Date::from_julian_day(day).expect("within time's range"))
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(u32::from(c) - 0x21 + 0xFF01).unwrap_or(c),
            _ => c,
        })
        .collect()
}

proptest! {
    #[test]
    fn wareki_and_iso_round_trip(d in supported_date()) {
        prop_assert_eq!(parse_date(&to_wareki(d)), Ok(d));
        prop_assert_eq!(parse_date(&full_width(&to_wareki(d))), Ok(d));
        prop_assert_eq!(parse_date(&to_iso(d)), Ok(d));
    }

    #[test]
    fn compact_wareki_forms_round_trip(d in supported_date()) {
        let letter = to_wareki_letter(d).expect("every era year is below 100 until 2100");
        let digits = to_wareki_digits(d).expect("every era year is below 100 until 2100");
        prop_assert_eq!(parse_date(&letter), Ok(d));
        prop_assert_eq!(parse_date(&letter.to_lowercase()), Ok(d));
        prop_assert_eq!(parse_date(&digits), Ok(d));
        // S20.04.01 and S20/4/1.
        let (era, rest) = letter.split_at(1);
        let (y, md) = rest.split_at(2);
        let (m, dd) = md.split_at(2);
        prop_assert_eq!(parse_date(&format!("{era}{y}.{m}.{dd}")), Ok(d));
        let unpadded = format!(
            "{era}{}/{}/{}",
            y.trim_start_matches('0'), m.trim_start_matches('0'), dd.trim_start_matches('0'),
        );
        prop_assert_eq!(parse_date(&unpadded), Ok(d));
    }

    #[test]
    fn western_forms_round_trip(d in western_date()) {
        let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
        prop_assert_eq!(parse_date(&to_iso(d)), Ok(d));
        prop_assert_eq!(parse_date(&format!("{y:04}/{m}/{day}")), Ok(d));
        prop_assert_eq!(parse_date(&format!("{y:04}.{m:02}.{day:02}")), Ok(d));
        prop_assert_eq!(parse_date(&format!("{y:04}{m:02}{day:02}")), Ok(d));
        prop_assert_eq!(parse_date(&format!("{y:04}年{m}月{day}日")), Ok(d));
    }

    /// Writing a date with any era's year numbering parses back to the same day when the day is
    /// in that era, and is refused as outside the era otherwise.
    #[test]
    fn each_era_accepts_exactly_its_own_days(d in supported_date(), era_index in 0usize..5) {
        let era = Era::ALL[era_index];
        let year = era.era_year(d.year());
        // Years before an era's first year cannot be written in it at all.
        if year >= 1 {
            let text = format!("{}{}年{}月{}日", era.name(), year, u8::from(d.month()), d.day());
            let expected = if era.contains(d) {
                Ok(d)
            } else {
                Err(DateError::OutsideEra { era: era.name() })
            };
            prop_assert_eq!(parse_date(&text), expected);
        }
    }

    #[test]
    fn age_grows_by_one_on_each_birthday(birth in supported_date(), years in 0i32..120) {
        let anniversary = birth.replace_year(birth.year() + years).ok();
        if let Some(anniversary) = anniversary {
            prop_assert_eq!(age_on(birth, anniversary), years as u32);
            if let Some(eve) = anniversary.previous_day() {
                if years > 0 {
                    prop_assert_eq!(age_on(birth, eve), years as u32 - 1);
                }
            }
        }
    }

    #[test]
    fn age_never_exceeds_the_year_difference(birth in western_date(), on in western_date()) {
        let age = age_on(birth, on);
        prop_assert!(i64::from(age) <= i64::from((on.year() - birth.year()).max(0)));
    }

    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = parse_date(&s);
    }

    #[test]
    fn parse_never_panics_on_date_like_input(
        s in "[MTSHRmtshrX明治大正昭和平成令和元年月日0-9０-９./\\-　 ]{0,14}",
    ) {
        if let Ok(d) = parse_date(&s) {
            prop_assert!(d.year() >= 1);
        }
    }
}
