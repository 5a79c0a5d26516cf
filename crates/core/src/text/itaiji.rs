//! 異体字 folding: old and variant kanji (髙, 﨑, 齋, 邊, 澤 …) replaced by the common form
//! (高, 崎, 斎, 辺, 沢 …) from the table in `crates/core/data/itaiji.txt`, so that a name
//! registered with one form matches the same name written with another.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The table as shipped: one group per line, the canonical form first, then its variants.
const TABLE: &str = include_str!("../../data/itaiji.txt");

/// Variant → canonical, built once from [`TABLE`].
fn table() -> &'static HashMap<char, char> {
    static MAP: OnceLock<HashMap<char, char>> = OnceLock::new();
    MAP.get_or_init(|| {
        groups()
            .flat_map(|group| {
                let canonical = group[0];
                group
                    .into_iter()
                    .skip(1)
                    .map(move |variant| (variant, canonical))
            })
            .collect()
    })
}

/// The groups of the table, each with its canonical form first.
///
/// Every entry is a single character (the table's tests check it); a malformed entry is
/// skipped rather than folded wrongly.
pub fn groups() -> impl Iterator<Item = Vec<char>> {
    TABLE
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.split_whitespace()
                .filter_map(|entry| {
                    let mut chars = entry.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => Some(c),
                        _ => None,
                    }
                })
                .collect::<Vec<char>>()
        })
        .filter(|group| group.len() >= 2)
}

/// The canonical form of one character: itself unless the table lists it as a variant.
pub fn fold_char(c: char) -> char {
    table().get(&c).copied().unwrap_or(c)
}

/// Replaces every variant kanji in `s` by its canonical form; other characters are kept.
pub fn fold_itaiji(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_table_is_well_formed() {
        for (number, line) in TABLE.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entries: Vec<&str> = line.split_whitespace().collect();
            assert!(entries.len() >= 2, "line {}: no variant", number + 1);
            for entry in entries {
                assert_eq!(entry.chars().count(), 1, "line {}: {entry}", number + 1);
            }
        }
    }

    #[test]
    fn a_variant_is_listed_once_and_is_never_canonical() {
        let mut seen = HashMap::new();
        let canonicals: Vec<char> = groups().map(|g| g[0]).collect();
        for group in groups() {
            for &variant in &group[1..] {
                assert!(seen.insert(variant, group[0]).is_none(), "{variant} twice");
                assert!(
                    !canonicals.contains(&variant),
                    "{variant} is also canonical"
                );
            }
        }
        assert!(seen.len() >= 100, "only {} variants", seen.len());
    }

    #[test]
    fn folds_common_surname_variants() {
        assert_eq!(fold_itaiji("髙橋"), "高橋");
        assert_eq!(fold_itaiji("山﨑"), "山崎");
        assert_eq!(fold_itaiji("齋藤"), "斎藤");
        assert_eq!(fold_itaiji("齊藤"), "斎藤");
        assert_eq!(fold_itaiji("斉藤"), "斎藤");
        assert_eq!(fold_itaiji("渡邊"), "渡辺");
        assert_eq!(fold_itaiji("渡邉"), "渡辺");
        assert_eq!(fold_itaiji("澤田"), "沢田");
        assert_eq!(fold_itaiji("濱口"), "浜口");
        assert_eq!(fold_itaiji("國分"), "国分");
        assert_eq!(fold_itaiji("櫻井"), "桜井");
        assert_eq!(fold_itaiji("廣瀬"), "広瀬");
        assert_eq!(fold_itaiji("德川"), "徳川");
        assert_eq!(fold_itaiji("龍之介"), "竜之介");
        assert_eq!(fold_itaiji("小嶋"), "小島");
        assert_eq!(fold_itaiji("冨田"), "富田");
        assert_eq!(fold_itaiji("𠮷田"), "吉田");
        assert_eq!(fold_itaiji("山田太郎"), "山田太郎");
    }
}
