//! 保険者番号: the number of a medical insurer (医療保険者).
//!
//! Eight digits — 法別番号 (2; 39 for 後期高齢者医療) + 都道府県番号 (2) + 保険者別番号 (3) +
//! 検証番号 (1) — or six digits for municipal 国民健康保険, which has no 法別番号. A
//! 後期高齢者医療広域連合 holds one 保険者番号 per member municipality.

use std::fmt;

use super::{check, normalized_digits, string_identifier_traits, IdError};

/// A valid 保険者番号 of 8 or 6 ASCII digits whose last digit is the 検証番号.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InsurerNumber(String);

/// Lengths of a full number: with 法別番号, and municipal 国民健康保険 without it.
const LONG: usize = 8;
const SHORT: usize = 6;

impl InsurerNumber {
    /// Parses a 保険者番号 after NFKC normalization and trimming.
    pub fn parse(s: &str) -> Result<InsurerNumber, IdError> {
        let digits = normalized_digits(s)?;
        if digits.len() != LONG && digits.len() != SHORT {
            return Err(IdError::Length {
                expected: "8または6",
                actual: digits.len(),
            });
        }
        let (body, check_digit) = digits.as_bytes().split_at(digits.len() - 1);
        if check::luhn_like(body) != check_digit[0] - b'0' {
            return Err(IdError::CheckDigit);
        }
        Ok(InsurerNumber(digits))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 法別番号 (e.g. `"39"` for 後期高齢者医療); `None` for a 6-digit 国民健康保険 number.
    pub fn law_code(&self) -> Option<&str> {
        (self.0.len() == LONG).then(|| &self.0[..2])
    }

    /// 都道府県番号 (two digits, `"01"` 北海道 … `"47"` 沖縄県).
    pub fn prefecture_code(&self) -> &str {
        let start = self.0.len() - SHORT;
        &self.0[start..start + 2]
    }

    /// 保険者別番号 (three digits).
    pub fn insurer_code(&self) -> &str {
        let start = self.0.len() - 4;
        &self.0[start..start + 3]
    }

    /// The 検証番号 for a 7- or 5-digit body (NFKC-normalized and trimmed like `parse`).
    pub fn check_digit(body: &str) -> Result<u8, IdError> {
        let body = body_digits(body)?;
        Ok(check::luhn_like(body.as_bytes()))
    }

    /// Builds a 保険者番号 from a 7- or 5-digit body by appending its 検証番号.
    pub fn from_body(body: &str) -> Result<InsurerNumber, IdError> {
        let mut digits = body_digits(body)?;
        let check_digit = check::luhn_like(digits.as_bytes());
        digits.push(char::from(b'0' + check_digit));
        Ok(InsurerNumber(digits))
    }
}

/// A body: the digits of a 保険者番号 without its 検証番号.
fn body_digits(body: &str) -> Result<String, IdError> {
    let digits = normalized_digits(body)?;
    if digits.len() != LONG - 1 && digits.len() != SHORT - 1 {
        return Err(IdError::Length {
            expected: "7または5",
            actual: digits.len(),
        });
    }
    Ok(digits)
}

impl fmt::Debug for InsurerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InsurerNumber({})", self.0)
    }
}

impl fmt::Display for InsurerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_identifier_traits!(InsurerNumber, as_str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_published_examples() {
        let a = InsurerNumber::parse("33120015").expect("valid");
        assert_eq!(a.law_code(), Some("33"));
        assert_eq!(a.prefecture_code(), "12");
        assert_eq!(a.insurer_code(), "001");
        let b = InsurerNumber::parse("39131156").expect("valid");
        assert_eq!(b.law_code(), Some("39"));
        assert_eq!(b.prefecture_code(), "13");
        assert_eq!(b.to_string(), "39131156");
    }

    #[test]
    fn accepts_six_digit_national_health_insurance_numbers() {
        let body = "13115";
        let n = InsurerNumber::from_body(body).expect("valid body");
        assert_eq!(n.law_code(), None);
        assert_eq!(n.prefecture_code(), "13");
        assert_eq!(n.insurer_code(), "115");
        assert_eq!(InsurerNumber::parse(n.as_str()).as_ref(), Ok(&n));
        // From the right: 5×2=10→1+0, 1, 1×2=2, 3, 1×2=2; sum 9 → check 1.
        assert_eq!(InsurerNumber::check_digit(body), Ok(1));
        assert_eq!(n.as_str(), "131151");
    }

    #[test]
    fn accepts_full_width_input() {
        let n = InsurerNumber::parse("　３９１３１１５６　").expect("valid");
        assert_eq!(n.as_str(), "39131156");
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(InsurerNumber::parse("33120016"), Err(IdError::CheckDigit));
        assert_eq!(
            InsurerNumber::parse("3312001"),
            Err(IdError::Length {
                expected: "8または6",
                actual: 7
            })
        );
        assert_eq!(InsurerNumber::parse("3312-0015"), Err(IdError::NotDigits));
        assert_eq!(InsurerNumber::parse(""), Err(IdError::Empty));
        assert!(matches!(
            InsurerNumber::from_body("123456"),
            Err(IdError::Length {
                expected: "7または5",
                actual: 6
            })
        ));
    }

    #[test]
    fn builds_from_a_body() {
        assert_eq!(InsurerNumber::check_digit("3312001"), Ok(5));
        assert_eq!(
            InsurerNumber::from_body("3913115").map(|n| n.0),
            Ok("39131156".to_owned())
        );
    }

    #[test]
    fn serde_round_trips_through_parse() {
        let n = InsurerNumber::parse("39131156").expect("valid");
        let json = serde_json::to_string(&n).expect("serialize");
        assert_eq!(json, "\"39131156\"");
        assert_eq!(serde_json::from_str::<InsurerNumber>(&json).ok(), Some(n));
        assert!(serde_json::from_str::<InsurerNumber>("\"39131157\"").is_err());
    }
}
