//! 後期高齢者医療広域連合: one per prefecture, each holding one 保険者番号 per member
//! municipality (法別番号 39 + 都道府県番号 + 保険者別番号 + 検証番号).
//!
//! The 保険者別番号 of a municipality is the 3-digit municipal part of its 全国地方公共団体コード
//! (digits 3–5): unique within the prefecture and stable when the tables grow. So 杉並区
//! (131156) gets 39131156, the number used in examples.

use renkei_core::id::InsurerNumber;

use crate::data::{municipalities, prefectures};

/// A 後期高齢者医療広域連合 and its 保険者番号.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KoikiUnion {
    /// Institution code in renkei, `"koiki-13"`.
    pub code: String,
    /// `"東京都後期高齢者医療広域連合"`.
    pub name: String,
    /// Two-digit prefecture code.
    pub prefecture_code: String,
    /// One 保険者番号 per member municipality, with that municipality's 6-digit code.
    pub insurers: Vec<(InsurerNumber, &'static str)>,
}

/// The 47 広域連合 in prefecture order.
pub fn koiki_unions() -> Vec<KoikiUnion> {
    prefectures()
        .iter()
        .map(|p| KoikiUnion {
            code: format!("koiki-{}", p.code),
            name: format!("{}後期高齢者医療広域連合", p.name),
            prefecture_code: p.code.to_owned(),
            insurers: municipalities()
                .iter()
                .filter(|m| m.prefecture_code == p.code)
                .map(|m| (insurer_number(m.code), m.code))
                .collect(),
        })
        .collect()
}

/// The 後期高齢者医療 保険者番号 for a municipality's 6-digit code.
fn insurer_number(municipality_code: &str) -> InsurerNumber {
    let body = format!("39{}", &municipality_code[..5]);
    InsurerNumber::from_body(&body).expect("39 + five digits is a valid 7-digit body")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn one_union_per_prefecture() {
        let unions = koiki_unions();
        assert_eq!(unions.len(), 47);
        assert_eq!(unions[0].name, "北海道後期高齢者医療広域連合");
        assert_eq!(unions[12].code, "koiki-13");
        assert_eq!(unions[12].name, "東京都後期高齢者医療広域連合");
        assert!(unions.iter().all(|u| !u.insurers.is_empty()));
    }

    #[test]
    fn tokyo_holds_39131156_for_suginami() {
        let tokyo = &koiki_unions()[12];
        let suginami = tokyo
            .insurers
            .iter()
            .find(|(n, _)| n.as_str() == "39131156")
            .expect("39131156 in Tokyo");
        assert_eq!(suginami.1, "131156");
    }

    #[test]
    fn insurer_numbers_are_valid_and_unique() {
        let mut seen = HashSet::new();
        for union in koiki_unions() {
            for (number, municipality) in &union.insurers {
                let s = number.as_str();
                assert_eq!(s.len(), 8);
                assert!(
                    s.starts_with(&format!("39{}", union.prefecture_code)),
                    "{s}"
                );
                assert_eq!(&municipality[..2], union.prefecture_code);
                assert_eq!(InsurerNumber::parse(s).as_ref(), Ok(number));
                assert!(seen.insert(s.to_owned()), "duplicate {s}");
            }
        }
    }
}
