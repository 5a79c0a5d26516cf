//! What an agency holds about a resident, by 特定個人情報コード, and the sandbox's synthetic
//! values. No I/O.
//!
//! | code | 特定個人情報 | items |
//! | --- | --- | --- |
//! | J01 | 地方税関係情報 | 課税年度, 課税所得, 住民税 (課税 / 非課税) |
//! | J02 | 住民票関係情報 | 世帯構成, 世帯人数 |
//! | J05 | 介護保険給付等関係情報 | 要介護度 (a resident without certification has no record) |

use std::collections::BTreeMap;

/// Items of one 特定個人情報 for one resident.
pub type Items = BTreeMap<String, String>;

/// 特定個人情報コード an agency may hold, with their names.
pub const INFO: &[(&str, &str)] = &[
    ("J01", "地方税関係情報"),
    ("J02", "住民票関係情報"),
    ("J05", "介護保険給付等関係情報"),
];

const HOUSEHOLDS: &[(&str, u32)] = &[
    ("単身", 1),
    ("夫婦のみ", 2),
    ("夫婦と子", 3),
    ("子と同居", 2),
    ("三世代同居", 5),
];

const CARE_LEVELS: &[&str] = &[
    "要支援1",
    "要支援2",
    "要介護1",
    "要介護2",
    "要介護3",
    "要介護4",
    "要介護5",
];

/// A small deterministic mixer (SplitMix64), so the same resident always gets the same data.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE5_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The synthetic holdings of the resident with seed `seed` (any stable number of the
/// resident, e.g. its position in the synthetic population): (code, items) for each held.
pub fn synthetic(seed: u64) -> Vec<(&'static str, Items)> {
    let r = mix(seed);
    let mut out = Vec::with_capacity(3);
    // 課税所得: 0 for about 40 % (非課税 below 450,000 yen), else up to about 6 million.
    let income = if r % 10 < 4 {
        (r >> 8) % 450_000 / 1000 * 1000
    } else {
        450_000 + (r >> 8) % 5_550_000 / 1000 * 1000
    };
    let mut tax = Items::new();
    tax.insert("課税年度".into(), "令和7年度".into());
    tax.insert("課税所得".into(), income.to_string());
    tax.insert(
        "住民税".into(),
        if income < 450_000 {
            "非課税"
        } else {
            "課税"
        }
        .into(),
    );
    out.push(("J01", tax));
    let (household, members) = HOUSEHOLDS[((r >> 24) % HOUSEHOLDS.len() as u64) as usize];
    let mut family = Items::new();
    family.insert("世帯構成".into(), household.into());
    family.insert("世帯人数".into(), members.to_string());
    out.push(("J02", family));
    // About a third of the elderly are certified.
    if (r >> 32).is_multiple_of(3) {
        let level = CARE_LEVELS[((r >> 40) % CARE_LEVELS.len() as u64) as usize];
        let mut care = Items::new();
        care.insert("要介護度".into(), level.into());
        out.push(("J05", care));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_data_is_stable_consistent_and_varied() {
        assert_eq!(synthetic(42), synthetic(42));
        let mut taxed = 0;
        let mut certified = 0;
        for seed in 0..3000 {
            let h = synthetic(seed);
            let tax = &h[0].1;
            let income: u64 = tax["課税所得"].parse().unwrap();
            assert_eq!(tax["住民税"] == "課税", income >= 450_000, "{tax:?}");
            taxed += usize::from(income >= 450_000);
            certified += usize::from(h.len() == 3);
            assert!(h
                .iter()
                .all(|(code, _)| INFO.iter().any(|(c, _)| c == code)));
        }
        assert!((1500..2100).contains(&taxed), "{taxed}");
        assert!((800..1200).contains(&certified), "{certified}");
    }
}
