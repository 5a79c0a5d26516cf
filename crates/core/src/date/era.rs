//! 元号 (eras) from 明治 on, with the Gregorian day each began and ended, as Japanese
//! administrative systems use them: year N of an era is its first Gregorian year + N − 1.

use time::macros::date;
use time::Date;

/// A Japanese era (元号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Era {
    /// 明治 (M, code 1), from 1868-01-25 (the lunar calendar is not modelled).
    Meiji,
    /// 大正 (T, code 2), 1912-07-30 to 1926-12-24.
    Taisho,
    /// 昭和 (S, code 3), 1926-12-25 to 1989-01-07.
    Showa,
    /// 平成 (H, code 4), 1989-01-08 to 2019-04-30.
    Heisei,
    /// 令和 (R, code 5), from 2019-05-01.
    Reiwa,
}

impl Era {
    /// All eras, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The name in kanji, e.g. `"昭和"`.
    pub fn name(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The letter used in `S200401`-style dates (upper case).
    pub fn letter(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The digit used in `3200401`-style dates: 1 明治 … 5 令和.
    pub fn code(self) -> u8 {
        match self {
            Era::Meiji => 1,
            Era::Taisho => 2,
            Era::Showa => 3,
            Era::Heisei => 4,
            Era::Reiwa => 5,
        }
    }

    /// The first day of the era.
    pub fn start(self) -> Date {
        match self {
            Era::Meiji => date!(1868 - 01 - 25),
            Era::Taisho => date!(1912 - 07 - 30),
            Era::Showa => date!(1926 - 12 - 25),
            Era::Heisei => date!(1989 - 01 - 08),
            Era::Reiwa => date!(2019 - 05 - 01),
        }
    }

    /// The last day of the era; `None` for the current era.
    pub fn end(self) -> Option<Date> {
        match self {
            Era::Meiji => Some(date!(1912 - 07 - 29)),
            Era::Taisho => Some(date!(1926 - 12 - 24)),
            Era::Showa => Some(date!(1989 - 01 - 07)),
            Era::Heisei => Some(date!(2019 - 04 - 30)),
            Era::Reiwa => None,
        }
    }

    /// The era by its kanji name.
    pub fn from_name(name: &str) -> Option<Era> {
        Era::ALL.into_iter().find(|era| era.name() == name)
    }

    /// The era by its letter, either case.
    pub fn from_letter(letter: char) -> Option<Era> {
        let upper = letter.to_ascii_uppercase();
        Era::ALL.into_iter().find(|era| era.letter() == upper)
    }

    /// The era by its digit code.
    pub fn from_code(code: u8) -> Option<Era> {
        Era::ALL.into_iter().find(|era| era.code() == code)
    }

    /// The era a date falls in; `None` before 明治.
    pub fn of(date: Date) -> Option<Era> {
        Era::ALL.into_iter().rev().find(|era| era.start() <= date)
    }

    /// Whether `date` lies within the era.
    pub fn contains(self, date: Date) -> bool {
        self.start() <= date && self.end().is_none_or(|end| date <= end)
    }

    /// The Gregorian year of the era's year `year` (元年 is 1).
    pub fn gregorian_year(self, year: u32) -> i64 {
        i64::from(self.start().year()) - 1 + i64::from(year)
    }

    /// The era year of a Gregorian year (元年 is 1).
    pub fn era_year(self, gregorian_year: i32) -> i32 {
        gregorian_year - self.start().year() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eras_follow_one_another_without_gaps() {
        for pair in Era::ALL.windows(2) {
            let end = pair[0].end().expect("only the last era is open");
            assert_eq!(end.next_day(), Some(pair[1].start()));
        }
    }

    #[test]
    fn finds_the_era_of_a_date() {
        assert_eq!(Era::of(date!(1868 - 01 - 24)), None);
        assert_eq!(Era::of(date!(1989 - 01 - 07)), Some(Era::Showa));
        assert_eq!(Era::of(date!(1989 - 01 - 08)), Some(Era::Heisei));
        assert_eq!(Era::of(date!(2019 - 05 - 01)), Some(Era::Reiwa));
    }

    #[test]
    fn converts_years() {
        assert_eq!(Era::Meiji.gregorian_year(1), 1868);
        assert_eq!(Era::Taisho.gregorian_year(1), 1912);
        assert_eq!(Era::Showa.gregorian_year(20), 1945);
        assert_eq!(Era::Heisei.gregorian_year(31), 2019);
        assert_eq!(Era::Reiwa.gregorian_year(1), 2019);
        assert_eq!(Era::Showa.era_year(1989), 64);
    }

    #[test]
    fn looks_eras_up_by_name_letter_and_code() {
        assert_eq!(Era::from_name("平成"), Some(Era::Heisei));
        assert_eq!(Era::from_letter('r'), Some(Era::Reiwa));
        assert_eq!(Era::from_letter('X'), None);
        assert_eq!(Era::from_code(1), Some(Era::Meiji));
        assert_eq!(Era::from_code(6), None);
    }
}
