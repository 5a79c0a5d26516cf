//! 被保険者番号: the number of an insured person within an insurer; for 後期高齢者医療 it is
//! exactly 8 digits and carries no check digit.

use std::fmt;

use super::{digits_of_len, string_identifier_traits, IdError};

/// A 後期高齢者医療 被保険者番号: exactly 8 ASCII digits (after NFKC).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InsuredNumber(String);

impl InsuredNumber {
    /// Parses a 被保険者番号 after NFKC normalization and trimming.
    pub fn parse(s: &str) -> Result<InsuredNumber, IdError> {
        digits_of_len(s, 8, "8").map(InsuredNumber)
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for InsuredNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InsuredNumber({})", self.0)
    }
}

impl fmt::Display for InsuredNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_identifier_traits!(InsuredNumber, as_str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_eight_digits_in_any_width() {
        assert_eq!(
            InsuredNumber::parse("00012345").map(|n| n.to_string()),
            Ok("00012345".to_owned())
        );
        assert_eq!(
            InsuredNumber::parse(" ０００１２３４５\u{3000}").map(|n| n.0),
            Ok("00012345".to_owned())
        );
    }

    #[test]
    fn rejects_other_lengths_and_characters() {
        assert_eq!(
            InsuredNumber::parse("1234567"),
            Err(IdError::Length {
                expected: "8",
                actual: 7
            })
        );
        assert_eq!(InsuredNumber::parse("1234567a"), Err(IdError::NotDigits));
        assert_eq!(InsuredNumber::parse("  "), Err(IdError::Empty));
    }

    #[test]
    fn serde_round_trips_through_parse() {
        let n = InsuredNumber::parse("12345678").expect("valid");
        let json = serde_json::to_string(&n).expect("serialize");
        assert_eq!(serde_json::from_str::<InsuredNumber>(&json).ok(), Some(n));
        assert!(serde_json::from_str::<InsuredNumber>("\"1234\"").is_err());
    }
}
