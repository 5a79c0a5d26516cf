//! 氏名 (kanji name) and カナ氏名 as stored in 加入者情報: kept as the user wrote them apart from
//! trimming and single full-width spaces between parts, and compared through their normalized
//! forms.

use std::fmt;

use super::{hiragana_to_katakana, is_katakana, nfkc, normalize_kana, normalize_name};
use super::{TextError, MAX_NAME_CHARS};

/// A 氏名 as written (kanji, possibly Latin): non-empty, at most 100 characters.
///
/// Not NFKC-normalized, so 異体字 and widths stay as given; only leading and trailing
/// whitespace is removed and each internal run of whitespace becomes one U+3000.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a 氏名.
    pub fn parse(s: &str) -> Result<PersonName, TextError> {
        let collapsed = collapse_spaces(s);
        check_length(&collapsed)?;
        Ok(PersonName(collapsed))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The comparison form, see [`normalize_name`].
    pub fn normalized(&self) -> String {
        normalize_name(&self.0)
    }
}

/// A カナ氏名: katakana (hiragana and half-width katakana are converted), at most 100
/// characters, parts separated by one U+3000.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KanaName(String);

impl KanaName {
    /// Parses a カナ氏名.
    pub fn parse(s: &str) -> Result<KanaName, TextError> {
        let katakana: String = nfkc(s).chars().map(hiragana_to_katakana).collect();
        // Compose pairs that only exist in katakana (ヰ + ゛ → ヸ).
        let collapsed = collapse_spaces(&nfkc(&katakana));
        check_length(&collapsed)?;
        if !collapsed.chars().all(|c| c == '\u{3000}' || is_katakana(c)) {
            return Err(TextError::NotKana);
        }
        Ok(KanaName(collapsed))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The comparison form, see [`normalize_kana`].
    pub fn normalized(&self) -> String {
        normalize_kana(&self.0)
    }
}

/// Trims, and turns each internal run of whitespace into one U+3000.
///
/// Control characters have no place in a name; they are treated as whitespace so that they
/// cannot reach logs or result files.
fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push('\u{3000}');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

fn check_length(s: &str) -> Result<(), TextError> {
    if s.is_empty() {
        return Err(TextError::Empty);
    }
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(TextError::TooLong);
    }
    Ok(())
}

macro_rules! name_traits {
    ($ty:ident) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = TextError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_traits!(PersonName);
name_traits!(KanaName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_name_keeps_the_text_but_tidies_spaces() {
        let name = PersonName::parse("  髙橋 \u{3000} 太郎\t").expect("valid");
        assert_eq!(name.as_str(), "髙橋\u{3000}太郎");
        assert_eq!(name.normalized(), "髙橋太郎");
        // Not NFKC-normalized for storage.
        assert_eq!(
            PersonName::parse("ＪＯＨＮ").map(|n| n.0),
            Ok("ＪＯＨＮ".to_owned())
        );
        assert_eq!(
            PersonName::parse("a\u{7}b").map(|n| n.0),
            Ok("a\u{3000}b".to_owned())
        );
    }

    #[test]
    fn person_name_rejects_empty_and_too_long() {
        assert_eq!(PersonName::parse(" \u{3000} "), Err(TextError::Empty));
        assert!(PersonName::parse(&"山".repeat(100)).is_ok());
        assert_eq!(
            PersonName::parse(&"山".repeat(101)),
            Err(TextError::TooLong)
        );
    }

    #[test]
    fn kana_name_converts_to_full_width_katakana() {
        let name = KanaName::parse(" ﾔﾏﾀﾞ  ﾀﾛｳ ").expect("valid");
        assert_eq!(name.as_str(), "ヤマダ\u{3000}タロウ");
        assert_eq!(name.normalized(), "ヤマダタロウ");
        let hira = KanaName::parse("やまだ たろう").expect("valid");
        assert_eq!(hira, name);
        assert_eq!(KanaName::parse(name.as_str()).as_ref(), Ok(&name));
    }

    #[test]
    fn kana_name_rejects_other_scripts() {
        assert_eq!(KanaName::parse("山田"), Err(TextError::NotKana));
        assert_eq!(KanaName::parse("YAMADA"), Err(TextError::NotKana));
        assert_eq!(KanaName::parse(""), Err(TextError::Empty));
        assert_eq!(KanaName::parse(&"ア".repeat(101)), Err(TextError::TooLong));
        assert_eq!(
            KanaName::parse("山田").unwrap_err().to_string(),
            "カタカナ以外の文字が含まれています"
        );
    }

    #[test]
    fn serde_round_trips_through_parse() {
        let name = KanaName::parse("ヤマダ タロウ").expect("valid");
        let json = serde_json::to_string(&name).expect("serialize");
        assert_eq!(serde_json::from_str::<KanaName>(&json).ok(), Some(name));
        assert!(serde_json::from_str::<KanaName>("\"山田\"").is_err());
        assert!(serde_json::from_str::<PersonName>("\"  \"").is_err());
    }
}
