//! Dates as they appear in 加入者情報 and 本人確認情報: the Western calendar and 和暦 (Japanese
//! era dates such as 昭和20年4月1日, S200401 or 3200401), parsed into one [`Date`] type.

mod era;
mod format;
mod parse;

pub use era::Era;
pub use format::{to_iso, to_wareki, to_wareki_digits, to_wareki_letter};
pub use parse::parse_date;
pub use time::Date;

/// Why a string is not a valid date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Nothing left after trimming.
    #[error("日付がありません")]
    Empty,
    /// Not one of the accepted notations.
    #[error("日付の形式が正しくありません")]
    Format,
    /// A notation that is fine but names a day that does not exist (2月30日, 13月).
    #[error("存在しない日付です")]
    Impossible,
    /// A 和暦 date outside its era (平成31年5月1日 is 令和元年5月1日).
    #[error("{era}の期間外の日付です")]
    OutsideEra {
        /// The era name as written in kanji, e.g. `"平成"`.
        era: &'static str,
    },
}

/// Age in completed years on the day `on`; 0 if `on` is before `birth`.
///
/// The age goes up on the birthday itself (the anniversary of the date of birth). Someone born
/// on 29 February turns a year older on 1 March in common years.
pub fn age_on(birth: Date, on: Date) -> u32 {
    if on <= birth {
        return 0;
    }
    let years = on.year() - birth.year();
    let before_birthday = (on.month() as u8, on.day()) < (birth.month() as u8, birth.day());
    let age = if before_birthday { years - 1 } else { years };
    u32::try_from(age).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn age_counts_completed_years() {
        let birth = date!(1945 - 04 - 01);
        assert_eq!(age_on(birth, date!(2020 - 03 - 31)), 74);
        assert_eq!(age_on(birth, date!(2020 - 04 - 01)), 75);
        assert_eq!(age_on(birth, date!(2020 - 12 - 31)), 75);
        assert_eq!(age_on(birth, birth), 0);
        assert_eq!(age_on(birth, date!(1900 - 01 - 01)), 0);
    }

    #[test]
    fn age_of_a_leap_day_birth() {
        let birth = date!(2000 - 02 - 29);
        assert_eq!(age_on(birth, date!(2001 - 02 - 28)), 0);
        assert_eq!(age_on(birth, date!(2001 - 03 - 01)), 1);
        assert_eq!(age_on(birth, date!(2004 - 02 - 29)), 4);
    }

    #[test]
    fn errors_read_in_japanese() {
        assert_eq!(
            DateError::OutsideEra { era: "平成" }.to_string(),
            "平成の期間外の日付です"
        );
        assert_eq!(
            DateError::Format.to_string(),
            "日付の形式が正しくありません"
        );
        assert_eq!(DateError::Impossible.to_string(), "存在しない日付です");
    }
}
