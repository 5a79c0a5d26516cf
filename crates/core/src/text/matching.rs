//! Comparing one 氏名, カナ氏名 or 住所 with another: a [`MatchLevel`] that says whether they
//! are identical, equal after normalization, close (with a similarity), or different.
//!
//! The rules and the score scale are documented in `docs/matching.md`.

use super::address::address_key;
use super::keys::{kana_key, name_key};
use super::trim_ja;

/// The lowest similarity, in per mille, reported as [`MatchLevel::Partial`]; below it two
/// values do not match at all.
pub const PARTIAL_THRESHOLD: u16 = 600;

/// How well two values agree, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchLevel {
    /// Identical as written (after trimming surrounding spaces).
    Exact,
    /// Different as written, equal after normalization (width, kana, 異体字, address forms).
    Normalized,
    /// Not equal after normalization, but close: the similarity of the two keys in per mille,
    /// from [`PARTIAL_THRESHOLD`] to 999 (`1000 × (1 − edit distance / longer length)`).
    Partial(u16),
    /// Different (or one side is empty).
    None,
}

impl MatchLevel {
    /// This level's value on the score scale, in per mille: Exact 1000, Normalized 950,
    /// Partial 80% of its similarity (480..=799), None 0.
    pub fn per_mille(self) -> u32 {
        match self {
            MatchLevel::Exact => 1000,
            MatchLevel::Normalized => 950,
            MatchLevel::Partial(similarity) => u32::from(similarity) * 4 / 5,
            MatchLevel::None => 0,
        }
    }

    /// Exact or Normalized: the values are the same once notation is set aside.
    pub fn is_match(self) -> bool {
        matches!(self, MatchLevel::Exact | MatchLevel::Normalized)
    }
}

/// Compares two 氏名 (kanji names) through [`name_key`].
pub fn compare_name(a: &str, b: &str) -> MatchLevel {
    compare_with(a, b, name_key)
}

/// Compares two カナ氏名 through [`kana_key`].
pub fn compare_kana(a: &str, b: &str) -> MatchLevel {
    compare_with(a, b, kana_key)
}

/// Compares two 住所 through [`address_key`].
pub fn compare_address(a: &str, b: &str) -> MatchLevel {
    compare_with(a, b, address_key)
}

fn compare_with(a: &str, b: &str, key: fn(&str) -> String) -> MatchLevel {
    let (a, b) = (trim_ja(a), trim_ja(b));
    if a.is_empty() || b.is_empty() {
        return MatchLevel::None;
    }
    if a == b {
        return MatchLevel::Exact;
    }
    compare_keys(&key(a), &key(b))
}

/// Compares two values already turned into keys, for callers that keep keys precomputed:
/// equal non-empty keys are [`MatchLevel::Normalized`], never Exact.
pub fn compare_keys(a: &str, b: &str) -> MatchLevel {
    if a.is_empty() || b.is_empty() {
        return MatchLevel::None;
    }
    if a == b {
        return MatchLevel::Normalized;
    }
    if !may_reach_threshold(a, b) {
        return MatchLevel::None;
    }
    let similarity = similarity(a, b);
    if similarity >= PARTIAL_THRESHOLD {
        MatchLevel::Partial(similarity.min(999))
    } else {
        MatchLevel::None
    }
}

/// A cheap upper bound on [`similarity`], without allocating: an alignment keeps at most the
/// characters of the shorter string that occur somewhere in the longer one, so the edit distance
/// is at least `longer − that count`. False when the bound is below [`PARTIAL_THRESHOLD`] (the
/// pair cannot be [`MatchLevel::Partial`]); most pairs of unrelated names stop here.
fn may_reach_threshold(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    let (short, long, longer) = if la <= lb { (a, b, lb) } else { (b, a, la) };
    let kept = short.chars().filter(|c| long.contains(*c)).count();
    longer == 0 || kept * 1000 >= usize::from(PARTIAL_THRESHOLD) * longer
}

/// The similarity of two strings in per mille: `1000 × (1 − d / n)`, where d is the edit
/// (Levenshtein) distance in characters and n the longer length; 1000 for two empty strings.
pub fn similarity(a: &str, b: &str) -> u16 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 1000;
    }
    let distance = edit_distance(&a, &b);
    let lost = (distance * 1000).div_ceil(longer);
    u16::try_from(1000usize.saturating_sub(lost)).unwrap_or(0)
}

/// Levenshtein distance: the fewest insertions, deletions and substitutions of characters
/// turning `a` into `b`.
pub fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_exact_to_none() {
        assert_eq!(compare_name("山田太郎", "山田太郎"), MatchLevel::Exact);
        assert_eq!(compare_name(" 山田太郎　", "山田太郎"), MatchLevel::Exact);
        assert_eq!(
            compare_name("髙橋一郎", "高橋 一郎"),
            MatchLevel::Normalized
        );
        assert_eq!(
            compare_name("山田太郎", "山田次郎"),
            MatchLevel::Partial(750)
        );
        assert_eq!(compare_name("山田太郎", "鈴木花子"), MatchLevel::None);
        assert_eq!(compare_name("", ""), MatchLevel::None);
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        let d = |a: &str, b: &str| {
            edit_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(d("ヤマダ", "ヤマダ"), 0);
        assert_eq!(d("ヤマダ", "ヤマタ"), 1);
        assert_eq!(d("ヤマダ", "ヤマダタ"), 1);
        assert_eq!(d("ヤマダ", "マダ"), 1);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
    }

    #[test]
    fn the_quick_bound_never_hides_a_partial_match() {
        let words = [
            "ヤマダタロウ",
            "ヤマダジロウ",
            "ヤマタタロウ",
            "タロウヤマダ",
            "スズキハナコ",
            "ヤマ",
            "千代田区丸の内1-2-3",
            "千代田区丸の内1-2-4",
            "中央区銀座5-1-1",
            "山田太郎",
            "山田次郎",
            "ア",
        ];
        for a in words {
            for b in words {
                if similarity(a, b) >= PARTIAL_THRESHOLD {
                    assert!(may_reach_threshold(a, b), "{a} {b}");
                }
            }
        }
        assert!(!may_reach_threshold("ヤマダタロウ", "スズキハナコ"));
    }

    #[test]
    fn per_mille_orders_the_levels() {
        assert!(MatchLevel::Exact.per_mille() > MatchLevel::Normalized.per_mille());
        assert!(MatchLevel::Normalized.per_mille() > MatchLevel::Partial(999).per_mille());
        assert!(MatchLevel::Partial(PARTIAL_THRESHOLD).per_mille() > MatchLevel::None.per_mille());
    }
}
