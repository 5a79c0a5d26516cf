//! Planted look-alikes: extra residents made to resemble a resident of the population, for
//! testing searches by 基本4情報. Each is a different person (own 個人番号 and 住民票コード,
//! from index block 48, which no population uses) with the same 生年月日 and 性別, and:
//!
//! - [`LookAlikeKind::OtherAddress`]: the same 氏名 and カナ, another block and house number in
//!   the same town (a near address);
//! - [`LookAlikeKind::VariantKanji`]: the 氏名 with an old or variant kanji (高 → 髙, 崎 → 﨑, …)
//!   and the same カナ, in another town; when the name has no such kanji, another address as
//!   for `OtherAddress`;
//! - [`LookAlikeKind::KanaTypo`]: the same 氏名 and 住所, and a カナ that differs in one sound
//!   (タ → ダ, ア → イ, …).
//!
//! A search with all four items of the original must still rank the original first.

use renkei_core::id::MyNumber;

use super::numbers::{self, BLOCK, BLOCKS, INDEX_LIMIT};
use super::{resident, residents, PopulationSpec, Resident};
use crate::rng::{Domain, Rng};

/// The first global index of look-alikes (block 48, after the nation and 47 prefectures).
const BASE: u64 = BLOCK * BLOCKS;

/// How a look-alike resembles its original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookAlikeKind {
    OtherAddress,
    VariantKanji,
    KanaTypo,
}

impl LookAlikeKind {
    pub const ALL: [LookAlikeKind; 3] = [
        LookAlikeKind::OtherAddress,
        LookAlikeKind::VariantKanji,
        LookAlikeKind::KanaTypo,
    ];
}

/// A planted look-alike and whom it imitates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    pub kind: LookAlikeKind,
    /// The original's 個人番号.
    pub of: MyNumber,
    pub resident: Resident,
}

/// Old or variant kanji used for planting (each folds back through the 異体字 table).
const VARIANTS: &[(char, char)] = &[
    ('高', '髙'),
    ('崎', '﨑'),
    ('斎', '齋'),
    ('辺', '邊'),
    ('沢', '澤'),
    ('浜', '濱'),
    ('島', '嶋'),
    ('富', '冨'),
    ('広', '廣'),
    ('国', '國'),
    ('桜', '櫻'),
    ('竜', '龍'),
    ('恵', '惠'),
    ('真', '眞'),
    ('関', '關'),
    ('徳', '德'),
    ('条', '條'),
];

fn variant_name(name: &str) -> Option<String> {
    let (i, c) = name
        .char_indices()
        .find(|(_, c)| VARIANTS.iter().any(|(from, _)| from == c))?;
    let to = VARIANTS.iter().find(|(from, _)| *from == c)?.1;
    Some(format!("{}{to}{}", &name[..i], &name[i + c.len_utf8()..]))
}

/// One sound of the カナ changed: voiced ↔ unvoiced, or another vowel row letter.
fn kana_typo(kana: &str, rng: &mut Rng) -> String {
    const UNVOICED: &str = "カキクケコサシスセソタチテトハヒフヘホ";
    const OTHERS: [char; 20] = [
        'ア', 'イ', 'ウ', 'エ', 'オ', 'ナ', 'ニ', 'ヌ', 'ネ', 'ノ', 'マ', 'ミ', 'ム', 'メ', 'モ',
        'ラ', 'リ', 'ル', 'レ', 'ロ',
    ];
    let chars: Vec<char> = kana.chars().collect();
    let letters: Vec<usize> = (0..chars.len())
        .filter(|&i| ('ァ'..='ヶ').contains(&chars[i]))
        .collect();
    let mut out = chars.clone();
    if letters.is_empty() {
        out.push('ア');
        return out.into_iter().collect();
    }
    let at = letters[rng.below(letters.len() as u64) as usize];
    let c = chars[at];
    out[at] = if UNVOICED.contains(c) {
        char::from_u32(c as u32 + 1).unwrap_or('ア')
    } else if UNVOICED.contains(char::from_u32(c as u32 - 1).unwrap_or(' ')) {
        char::from_u32(c as u32 - 1).unwrap_or('ア')
    } else {
        let i = OTHERS.iter().position(|&o| o == c).map_or(0, |i| i + 1);
        OTHERS[(i + rng.below(OTHERS.len() as u64 - 1) as usize) % OTHERS.len()]
    };
    if out[at] == c {
        out[at] = if c == 'ア' { 'イ' } else { 'ア' };
    }
    out.into_iter().collect()
}

/// The same address with other 丁目・番・号 (the address ends `N丁目N番N号`).
fn near_address(address: &str, rng: &mut Rng) -> String {
    let cut = address
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map_or(address.len(), |(i, _)| i);
    loop {
        let candidate = format!(
            "{}{}丁目{}番{}号",
            &address[..cut],
            rng.range(1, 5),
            rng.range(1, 30),
            rng.range(1, 25)
        );
        if candidate != address {
            return candidate;
        }
    }
}

/// The `n`-th look-alike of `seed` (n < 4·10^8), imitating `original` in the way `kind` says.
pub fn look_alike(seed: u64, n: u64, original: &Resident, kind: LookAlikeKind) -> LookAlike {
    let index = BASE + n;
    assert!(index < INDEX_LIMIT, "look-alike index out of range");
    let mut rng = Rng::for_record(seed, Domain::LookAlike, n);
    let mut r = original.clone();
    r.my_number = numbers::my_number(seed, index);
    r.resident_code = numbers::resident_code(seed, index);
    let kind = match kind {
        LookAlikeKind::VariantKanji => match variant_name(&original.name) {
            Some(name) => {
                r.name = name;
                // Somewhere else: another resident's town and numbers.
                let elsewhere = resident(seed, rng.below(BLOCK));
                r.address = elsewhere.address;
                r.municipality_code = elsewhere.municipality_code;
                LookAlikeKind::VariantKanji
            }
            None => {
                r.address = near_address(&original.address, &mut rng);
                LookAlikeKind::OtherAddress
            }
        },
        LookAlikeKind::OtherAddress => {
            r.address = near_address(&original.address, &mut rng);
            LookAlikeKind::OtherAddress
        }
        LookAlikeKind::KanaTypo => {
            r.kana = kana_typo(&original.kana, &mut rng);
            LookAlikeKind::KanaTypo
        }
    };
    LookAlike {
        kind,
        of: original.my_number.clone(),
        resident: r,
    }
}

/// Look-alikes for the population `spec`: every `every`-th resident (by position) gets one,
/// the kinds taking turns. Together with `residents(spec)` this is the population a search
/// test runs on.
pub fn look_alikes(spec: &PopulationSpec, every: u64) -> impl Iterator<Item = LookAlike> + Send {
    assert!(every > 0, "every must be positive");
    let seed = spec.seed;
    residents(spec)
        .enumerate()
        .filter(move |(i, _)| (*i as u64).is_multiple_of(every))
        .enumerate()
        .map(move |(n, (_, original))| {
            let kind = LookAlikeKind::ALL[n % LookAlikeKind::ALL.len()];
            look_alike(seed, n as u64, &original, kind)
        })
}

/// What a search for a resident gives, written as staff might type it (see [`search_items`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchItems {
    pub name: String,
    pub kana: String,
    pub birth: time::Date,
    pub sex: renkei_core::id::Sex,
    pub address: String,
}

/// The four items (and カナ) of `r` with harmless notation differences, taking turns by `n`:
/// the 氏名 with an ASCII space or none; the カナ as written, half-width or in hiragana; the
/// 住所 as written, with hyphens (`1-2-3`), or without the prefecture and with full-width
/// digits.
pub fn search_items(r: &Resident, n: u64) -> SearchItems {
    use crate::subscriber::noise::{ascii_space, to_half_width, to_hiragana};
    let name = match n % 3 {
        0 => r.name.clone(),
        1 => ascii_space(&r.name),
        _ => r.name.replace('\u{3000}', ""),
    };
    let kana = match (n / 3) % 3 {
        0 => r.kana.clone(),
        1 => to_half_width(&ascii_space(&r.kana)),
        _ => to_hiragana(&r.kana),
    };
    let address = match (n / 9) % 3 {
        0 => r.address.clone(),
        1 => r
            .address
            .replace("丁目", "-")
            .replace('番', "-")
            .replace('号', ""),
        _ => {
            let without = crate::data::prefectures()
                .iter()
                .find_map(|p| r.address.strip_prefix(p.name))
                .unwrap_or(&r.address);
            without
                .chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => char::from_u32('０' as u32 + d).unwrap_or(c),
                    None => c,
                })
                .collect()
        }
    };
    SearchItems {
        name,
        kana,
        birth: r.birth,
        sex: r.sex,
        address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn population(count: u64) -> PopulationSpec {
        PopulationSpec {
            seed: 3,
            count,
            prefecture: None,
            min_age: None,
        }
    }

    #[test]
    fn look_alikes_resemble_their_original_and_are_other_people() {
        let originals: Vec<Resident> = residents(&population(3_000)).collect();
        let planted: Vec<LookAlike> = look_alikes(&population(3_000), 10).collect();
        assert_eq!(planted.len(), 300);
        let mut numbers = std::collections::HashSet::new();
        for r in &originals {
            numbers.insert(r.my_number.clone());
        }
        let mut kinds = std::collections::HashMap::new();
        for l in &planted {
            let original = originals.iter().find(|r| r.my_number == l.of).unwrap();
            let r = &l.resident;
            assert!(numbers.insert(r.my_number.clone()), "a new 個人番号");
            assert_eq!((r.birth, r.sex), (original.birth, original.sex));
            match l.kind {
                LookAlikeKind::OtherAddress => {
                    assert_eq!((&r.name, &r.kana), (&original.name, &original.kana));
                    assert_ne!(r.address, original.address);
                }
                LookAlikeKind::VariantKanji => {
                    assert_ne!(r.name, original.name);
                    assert_eq!(
                        renkei_core::text::name_key(&r.name),
                        renkei_core::text::name_key(&original.name)
                    );
                    assert_eq!(r.kana, original.kana);
                }
                LookAlikeKind::KanaTypo => {
                    assert_eq!((&r.name, &r.address), (&original.name, &original.address));
                    assert_ne!(
                        renkei_core::text::kana_key(&r.kana),
                        renkei_core::text::kana_key(&original.kana)
                    );
                }
            }
            *kinds.entry(l.kind).or_insert(0) += 1;
        }
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        // Search items differ in notation only.
        for (n, r) in originals.iter().take(30).enumerate() {
            let items = search_items(r, n as u64);
            use renkei_core::text::{address_key, kana_key, name_key};
            assert_eq!(name_key(&items.name), name_key(&r.name));
            assert_eq!(kana_key(&items.kana), kana_key(&r.kana));
            assert_eq!(
                address_key(&items.address),
                address_key(&r.address),
                "{}",
                items.address
            );
        }
        // Deterministic.
        assert_eq!(
            planted,
            look_alikes(&population(3_000), 10).collect::<Vec<_>>()
        );
    }
}
