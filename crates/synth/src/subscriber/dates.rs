//! Dates in the notations of 加入者情報 files, including impossible days (2月30日) written in
//! the same notation, and the 資格取得年月日 of a 後期高齢者医療 subscriber.

use renkei_core::date::{to_iso, to_wareki, to_wareki_digits, to_wareki_letter, Era};
use time::{Date, Month};

use crate::population::REFERENCE_DAY;
use crate::rng::Rng;

/// A concrete notation (a file's [`super::DateStyle`] resolved for one row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notation {
    Iso,
    Kanji,
    Letter,
    Digit,
}

impl Notation {
    pub(crate) const ALL: [Notation; 4] = [
        Notation::Iso,
        Notation::Kanji,
        Notation::Letter,
        Notation::Digit,
    ];
    pub(crate) const WAREKI: [Notation; 3] = [Notation::Kanji, Notation::Letter, Notation::Digit];
}

/// `date` written in `notation`.
pub(crate) fn write_date(date: Date, notation: Notation) -> String {
    let compact = match notation {
        Notation::Iso => return to_iso(date),
        Notation::Kanji => return to_wareki(date),
        Notation::Letter => to_wareki_letter(date),
        Notation::Digit => to_wareki_digits(date),
    };
    // Every date from 1912 to 2117 has a compact form; older ones fall back to kanji.
    compact.unwrap_or_else(|| to_wareki(date))
}

/// Days that exist in no year, as (month, day).
const IMPOSSIBLE_DAYS: [(u8, u8); 6] = [(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31)];

/// An impossible day in `year`, written in `notation` (e.g. `令和6年2月30日`, `R060230`). The
/// era is the one the month would fall in, so the only thing wrong is the day.
pub(crate) fn write_impossible_date(rng: &mut Rng, year: i32, notation: Notation) -> String {
    let (month, day) = *rng.pick(&IMPOSSIBLE_DAYS);
    let (era, era_year) = era_of(year, month, day);
    match notation {
        Notation::Iso => format!("{year:04}-{month:02}-{day:02}"),
        Notation::Kanji if era_year == 1 => format!("{}元年{month}月{day}日", era.name()),
        Notation::Kanji => format!("{}{era_year}年{month}月{day}日", era.name()),
        Notation::Letter => format!("{}{era_year:02}{month:02}{day:02}", era.letter()),
        Notation::Digit => format!("{}{era_year:02}{month:02}{day:02}", era.code()),
    }
}

/// The era a (possibly impossible) day would belong to, and its year in that era.
fn era_of(year: i32, month: u8, day: u8) -> (Era, i32) {
    let era = Era::ALL
        .into_iter()
        .rev()
        .find(|era| {
            let s = era.start();
            (s.year(), u8::from(s.month()), s.day()) <= (year, month, day)
        })
        .unwrap_or(Era::Meiji);
    (era, era.era_year(year))
}

/// The first day of 後期高齢者医療 (2008-04-01).
const SCHEME_START: Date = match Date::from_calendar_date(2008, Month::April, 1) {
    Ok(d) => d,
    Err(_) => panic!("valid date"),
};

/// 資格取得年月日: the 75th birthday for those 75 or older on 2026-04-01 (but not before the
/// scheme began on 2008-04-01, when everyone already 75 joined); otherwise a day after the
/// 65th birthday (障害認定) from 2008 to 2026-04-01.
pub(crate) fn acquisition_date(rng: &mut Rng, birth: Date) -> Date {
    let seventy_fifth = crate::population::anniversary(birth, 75);
    if seventy_fifth <= REFERENCE_DAY {
        return seventy_fifth.max(SCHEME_START);
    }
    let sixty_fifth = crate::population::anniversary(birth, 65);
    // Younger than 65 cannot really be enrolled; keep the date plausible all the same.
    let from = sixty_fifth.max(SCHEME_START).max(birth);
    let from = if from > REFERENCE_DAY {
        SCHEME_START.max(birth)
    } else {
        from
    };
    let span = (REFERENCE_DAY - from).whole_days() as u64;
    from + time::Duration::days(rng.range(0, span) as i64)
}

#[cfg(test)]
mod tests {
    use renkei_core::date::{parse_date, DateError};
    use time::macros::date;

    use super::*;
    use crate::rng::Domain;

    #[test]
    fn writes_each_notation() {
        let d = date!(1945 - 04 - 01);
        assert_eq!(write_date(d, Notation::Iso), "1945-04-01");
        assert_eq!(write_date(d, Notation::Kanji), "昭和20年4月1日");
        assert_eq!(write_date(d, Notation::Letter), "S200401");
        assert_eq!(write_date(d, Notation::Digit), "3200401");
        for n in Notation::ALL {
            assert_eq!(parse_date(&write_date(d, n)), Ok(d));
        }
    }

    #[test]
    fn impossible_dates_parse_as_impossible_in_every_notation() {
        for year in [1920, 1926, 1945, 1989, 2008, 2019, 2024] {
            for n in Notation::ALL {
                for i in 0..20 {
                    let mut rng = Rng::for_record(year as u64, Domain::SubscriberRow, i);
                    let text = write_impossible_date(&mut rng, year, n);
                    assert_eq!(parse_date(&text), Err(DateError::Impossible), "{text}");
                }
            }
        }
    }

    #[test]
    fn acquisition_follows_the_75th_birthday() {
        let mut rng = Rng::for_record(1, Domain::SubscriberRow, 0);
        assert_eq!(
            acquisition_date(&mut rng, date!(1950 - 06 - 15)),
            date!(2025 - 06 - 15)
        );
        assert_eq!(
            acquisition_date(&mut rng, date!(1951 - 04 - 01)),
            date!(2026 - 04 - 01)
        );
        assert_eq!(
            acquisition_date(&mut rng, date!(1925 - 01 - 10)),
            date!(2008 - 04 - 01)
        );
        for i in 0..200 {
            let mut rng = Rng::for_record(2, Domain::SubscriberRow, i);
            let birth = date!(1955 - 05 - 05);
            let d = acquisition_date(&mut rng, birth);
            assert!(d >= date!(2020 - 05 - 05) && d <= REFERENCE_DAY, "{d}");
        }
    }
}
