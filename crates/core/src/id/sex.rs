//! 性別 as the code used in 加入者情報 and 本人確認情報: 1 男, 2 女.

use std::fmt;

use super::IdError;
use crate::text::{nfkc, trim_ja};

/// 性別. Serialized as the number 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    /// 男 (code 1).
    Male = 1,
    /// 女 (code 2).
    Female = 2,
}

impl Sex {
    /// Parses `"1"`, `"2"`, `"男"` or `"女"` after NFKC normalization and trimming.
    pub fn parse(s: &str) -> Result<Sex, IdError> {
        let normalized = nfkc(s);
        match trim_ja(&normalized) {
            "" => Err(IdError::Empty),
            "1" | "男" => Ok(Sex::Male),
            "2" | "女" => Ok(Sex::Female),
            _ => Err(IdError::InvalidSex),
        }
    }

    /// The code: 1 for 男, 2 for 女.
    pub fn code(&self) -> u8 {
        *self as u8
    }

    /// The code as a string, `"1"` or `"2"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }

    /// The Japanese label, `"男"` or `"女"`.
    pub fn label_ja(&self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// The value for a code, if it is 1 or 2.
    pub fn from_code(code: u8) -> Result<Sex, IdError> {
        match code {
            1 => Ok(Sex::Male),
            2 => Ok(Sex::Female),
            _ => Err(IdError::InvalidSex),
        }
    }
}

impl std::str::FromStr for Sex {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sex::parse(s)
    }
}

impl serde::Serialize for Sex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Sex {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SexVisitor)
    }
}

/// Accepts the numbers 1 and 2 and, for hand-written input, the strings `parse` accepts.
struct SexVisitor;

impl serde::de::Visitor<'_> for SexVisitor {
    type Value = Sex;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("性別の番号 1 または 2")
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Sex, E> {
        u8::try_from(v)
            .map_err(|_| IdError::InvalidSex)
            .and_then(Sex::from_code)
            .map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Sex, E> {
        u8::try_from(v)
            .map_err(|_| IdError::InvalidSex)
            .and_then(Sex::from_code)
            .map_err(E::custom)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sex, E> {
        Sex::parse(v).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_labels() {
        assert_eq!(Sex::parse("1"), Ok(Sex::Male));
        assert_eq!(Sex::parse("２"), Ok(Sex::Female));
        assert_eq!(Sex::parse(" 男 "), Ok(Sex::Male));
        assert_eq!(Sex::parse("\u{3000}女"), Ok(Sex::Female));
        assert_eq!(Sex::parse("3"), Err(IdError::InvalidSex));
        assert_eq!(Sex::parse("男性"), Err(IdError::InvalidSex));
        assert_eq!(Sex::parse(""), Err(IdError::Empty));
        assert_eq!("2".parse::<Sex>(), Ok(Sex::Female));
    }

    #[test]
    fn exposes_code_and_label() {
        assert_eq!(Sex::Male.code(), 1);
        assert_eq!(Sex::Female.code(), 2);
        assert_eq!(Sex::Male.label_ja(), "男");
        assert_eq!(Sex::Female.label_ja(), "女");
        assert_eq!(Sex::Female.as_str(), "2");
    }

    #[test]
    fn serde_uses_the_number() {
        assert_eq!(
            serde_json::to_string(&Sex::Female).ok().as_deref(),
            Some("2")
        );
        assert_eq!(serde_json::from_str::<Sex>("1").ok(), Some(Sex::Male));
        assert_eq!(serde_json::from_str::<Sex>("\"2\"").ok(), Some(Sex::Female));
        assert!(serde_json::from_str::<Sex>("3").is_err());
        assert!(serde_json::from_str::<Sex>("-1").is_err());
    }
}
