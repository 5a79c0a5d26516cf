//! Birth dates drawn from Japan's population by year of birth, and the reference day ages are
//! counted on.

use time::{Date, Month};

use crate::data::{BIRTH_YEAR_WEIGHTS, FIRST_BIRTH_YEAR};
use crate::rng::{cumulative, Rng};

/// Ages in [`super::PopulationSpec::min_age`] are counted on this day (2026-04-01).
pub const REFERENCE_DAY: Date = match Date::from_calendar_date(2026, Month::April, 1) {
    Ok(d) => d,
    Err(_) => panic!("valid date"),
};

/// The oldest age anyone in a population can have on [`REFERENCE_DAY`].
pub const MAX_AGE: u32 = (REFERENCE_DAY.year() - FIRST_BIRTH_YEAR) as u32;

/// Draws a birth date: the year by population weight, the day uniformly within it.
pub(crate) fn draw_birth(rng: &mut Rng) -> Date {
    static WEIGHTS: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    let weights =
        WEIGHTS.get_or_init(|| cumulative(BIRTH_YEAR_WEIGHTS.iter().map(|&w| u64::from(w))));
    let year = FIRST_BIRTH_YEAR + rng.weighted(weights) as i32;
    let days = u64::from(time::util::days_in_year(year));
    let ordinal = 1 + rng.below(days) as u16;
    Date::from_ordinal_date(year, ordinal).expect("ordinal within the year")
}

/// The latest birth date of someone at least `min_age` years old on [`REFERENCE_DAY`].
pub(crate) fn latest_birth_for_age(min_age: u32) -> Date {
    let year = REFERENCE_DAY.year() - min_age as i32;
    Date::from_calendar_date(year, Month::April, 1).expect("April 1st exists")
}

/// The day someone born on `birth` turns `years` old; 29 February births turn a year older on
/// 1 March in common years (as [`renkei_core::date::age_on`] counts).
pub(crate) fn anniversary(birth: Date, years: i32) -> Date {
    let year = birth.year() + years;
    Date::from_calendar_date(year, birth.month(), birth.day()).unwrap_or_else(|_| {
        Date::from_calendar_date(year, Month::March, 1).expect("1 March exists")
    })
}

#[cfg(test)]
mod tests {
    use renkei_core::date::age_on;
    use time::macros::date;

    use super::*;
    use crate::rng::Domain;

    #[test]
    fn births_lie_in_the_table_years() {
        for i in 0..10_000 {
            let birth = draw_birth(&mut Rng::for_record(5, Domain::Resident, i));
            assert!(birth >= date!(1920 - 01 - 01) && birth <= date!(2025 - 12 - 31));
        }
    }

    #[test]
    fn age_cutoff_agrees_with_core() {
        for min_age in [0, 1, 65, 75, 106] {
            let cutoff = latest_birth_for_age(min_age);
            assert_eq!(age_on(cutoff, REFERENCE_DAY), min_age);
            assert_eq!(
                age_on(cutoff.next_day().unwrap(), REFERENCE_DAY),
                min_age.saturating_sub(1)
            );
        }
        assert_eq!(MAX_AGE, 106);
    }

    #[test]
    fn leap_day_anniversary_is_first_of_march() {
        assert_eq!(
            anniversary(date!(1948 - 02 - 29), 75),
            date!(2023 - 03 - 01)
        );
        assert_eq!(
            anniversary(date!(1948 - 02 - 29), 76),
            date!(2024 - 02 - 29)
        );
        assert_eq!(
            anniversary(date!(1950 - 06 - 15), 75),
            date!(2025 - 06 - 15)
        );
        assert_eq!(age_on(date!(1948 - 02 - 29), date!(2023 - 03 - 01)), 75);
    }
}
