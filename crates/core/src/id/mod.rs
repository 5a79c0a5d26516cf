//! Identifiers (識別子) that travel between renkei's systems: 個人番号, 保険者番号,
//! 被保険者番号, 住民票コード, 性別, and the network's codes (機関コード, 事務コード,
//! 特定個人情報コード).
//!
//! Every type here can only hold a valid value ("parse, don't validate"): construct one with
//! `parse` (or `FromStr`, or serde deserialization, which all go through `parse`) and pass it
//! around instead of a raw string. Input is normalized with NFKC first, so full-width digits
//! typed on a Japanese keyboard are accepted, and surrounding spaces (ASCII and U+3000) are
//! trimmed. Error messages are Japanese and never contain the input value, because the input
//! may be a 個人番号.

mod check;
mod code;
mod insured_number;
mod insurer_number;
mod my_number;
mod resident_code;
mod sex;

pub use code::{AgencyCode, InfoCode, TaskCode};
pub use insured_number::InsuredNumber;
pub use insurer_number::InsurerNumber;
pub use my_number::MyNumber;
pub use resident_code::ResidentCode;
pub use sex::Sex;

use crate::text::{nfkc, trim_ja};

/// Why a string is not a valid identifier.
///
/// The messages name the problem, never the value: the value may be a 個人番号.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Nothing left after trimming.
    #[error("値がありません")]
    Empty,
    /// A character other than a digit (after NFKC).
    #[error("数字以外の文字が含まれています")]
    NotDigits,
    /// The number of digits is wrong; `expected` is e.g. `"12"` or `"8または6"`.
    #[error("桁数が正しくありません（{expected}桁のところ{actual}桁）")]
    Length {
        expected: &'static str,
        actual: usize,
    },
    /// The check digit (検査数字 / 検証番号) does not match the other digits.
    #[error("検査数字が一致しません")]
    CheckDigit,
    /// A code (機関コード, 事務コード, 特定個人情報コード) of the wrong shape.
    #[error("{what}は{rule}で指定してください")]
    Code {
        what: &'static str,
        rule: &'static str,
    },
    /// A 性別 other than 1, 2, 男 or 女.
    #[error("性別は1（男）または2（女）で指定してください")]
    InvalidSex,
}

/// NFKC-normalizes and trims `s`, then requires it to be ASCII digits only.
///
/// Length is left to the caller, which knows what lengths are allowed.
fn normalized_digits(s: &str) -> Result<String, IdError> {
    let normalized = nfkc(s);
    let trimmed = trim_ja(&normalized);
    if trimmed.is_empty() {
        return Err(IdError::Empty);
    }
    if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotDigits);
    }
    Ok(trimmed.to_owned())
}

/// Like [`normalized_digits`] but also requires exactly `len` digits.
fn digits_of_len(s: &str, len: usize, expected: &'static str) -> Result<String, IdError> {
    let digits = normalized_digits(s)?;
    if digits.len() != len {
        return Err(IdError::Length {
            expected,
            actual: digits.len(),
        });
    }
    Ok(digits)
}

/// Implements `FromStr`, `Serialize` (as the string) and `Deserialize` (through `parse`) for
/// a newtype identifier whose inner string is reached with `$accessor`.
macro_rules! string_identifier_traits {
    ($ty:ident, $accessor:ident) => {
        impl std::str::FromStr for $ty {
            type Err = $crate::id::IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.$accessor())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
                // The error message never contains the value, so it is safe to pass on.
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_identifier_traits;
