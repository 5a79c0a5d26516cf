//! The network's codes: 機関コード (the institution code in every certificate, e.g.
//! `koiki-13`, `city-131121`), 事務コード (the legal task an inquiry is for, e.g. `K01`) and
//! 特定個人情報コード (the kind of information asked, e.g. `J01`). Whether a 事務 or an
//! information kind is in the permission table is the hub's decision; these types only carry
//! the shape, so that a malformed code is refused where it enters, naming the field.

use std::fmt;

use super::{string_identifier_traits, IdError};

/// Only ASCII letters, digits, `-` and `_`, between 1 and `max` characters.
fn code_shape(s: &str, max: usize, what: &'static str, rule: &'static str) -> Result<(), IdError> {
    let ok = !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(IdError::Code { what, rule })
    }
}

macro_rules! code_type {
    ($(#[$doc:meta])* $ty:ident, $max:expr, $what:expr, $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(String);

        impl $ty {
            /// Parses the code exactly as given (no trimming: codes are compared byte for byte).
            pub fn parse(s: &str) -> Result<$ty, IdError> {
                code_shape(s, $max, $what, $rule)?;
                Ok($ty(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// Read access to the code as text: a code is compared, written and signed as the
        /// string it is.
        impl std::ops::Deref for $ty {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $ty {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$ty> for String {
            fn eq(&self, other: &$ty) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        string_identifier_traits!($ty, as_str);
    };
}

code_type!(
    /// 機関コード: an institution of the network as its certificate names it (`koiki-13`,
    /// `city-131121`, `hub`): 1 to 64 ASCII letters, digits, `-` or `_`.
    AgencyCode,
    64,
    "機関コード",
    "英数字・-・_ の1〜64文字"
);

code_type!(
    /// 事務コード: the task an inquiry is made for (`K01` 保険料の賦課, …): 1 to 16 ASCII
    /// letters, digits, `-` or `_`.
    TaskCode,
    16,
    "事務コード",
    "英数字・-・_ の1〜16文字"
);

code_type!(
    /// 特定個人情報コード: the kind of information asked (`J01` 地方税関係情報, …): 1 to 16
    /// ASCII letters, digits, `-` or `_`.
    InfoCode,
    16,
    "特定個人情報コード",
    "英数字・-・_ の1〜16文字"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_the_right_shape_are_kept_exactly() {
        assert_eq!(
            AgencyCode::parse("city-131121").unwrap().as_str(),
            "city-131121"
        );
        assert_eq!(
            AgencyCode::parse("koiki_13").unwrap().to_string(),
            "koiki_13"
        );
        assert_eq!(TaskCode::parse("K01").unwrap(), "K01");
        assert_eq!(InfoCode::parse("J04").unwrap(), "J04");
        assert!(AgencyCode::parse(&"a".repeat(64)).is_ok());
        assert!(TaskCode::parse(&"A".repeat(16)).is_ok());
    }

    #[test]
    fn malformed_codes_are_refused_naming_the_field_and_the_rule() {
        for bad in ["", " K01", "K01 ", "K/01", "Ｋ01", "事務"] {
            assert_eq!(
                TaskCode::parse(bad).unwrap_err().to_string(),
                "事務コードは英数字・-・_ の1〜16文字で指定してください",
                "{bad:?}"
            );
        }
        assert_eq!(
            InfoCode::parse(&"J".repeat(17)).unwrap_err().to_string(),
            "特定個人情報コードは英数字・-・_ の1〜16文字で指定してください"
        );
        assert_eq!(
            AgencyCode::parse(&"a".repeat(65)).unwrap_err().to_string(),
            "機関コードは英数字・-・_ の1〜64文字で指定してください"
        );
        assert!(AgencyCode::parse("city 131121").is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        let code: AgencyCode = serde_json::from_str("\"koiki-13\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"koiki-13\"");
        let err = serde_json::from_str::<TaskCode>("\"K 01\"").unwrap_err();
        assert!(err.to_string().starts_with("事務コードは英数字"), "{err}");
    }
}
