//! Where a resident's numbers come from: bijections from the resident's global index, so that
//! no two residents of a seed ever share a 個人番号 or a 住民票コード, and a reserved block of
//! 個人番号 that no population of any seed can produce (for planting unknown numbers).
//!
//! - Global index space: `0..INDEX_LIMIT` (10^10). Block 0 (`0..BLOCK`) is the nation-wide
//!   population; block p (`p·BLOCK..(p+1)·BLOCK`, p = 1..=47) holds the extra residents
//!   generated directly inside prefecture p (see [`super::PopulationSpec`]).
//! - 個人番号 body = (g·A + B_seed) mod 9·10^10. A is coprime to 9·10^10, so this is a
//!   bijection on `0..9·10^10` and injective on the index space; every body is below 9·10^10.
//! - Unknown 個人番号: bodies in `9·10^10..10^11` (first digit 9), which no resident of any
//!   seed can have. They are valid numbers (correct check digit) that J-LIS does not know.
//! - 住民票コード body = (g·C + D_seed) mod 10^10, C coprime to 10: a bijection on the index
//!   space.

use renkei_core::id::{MyNumber, ResidentCode};

use crate::rng::{mix64, Domain, Rng};

/// Indices per block: 200 million, more than the population of Japan.
pub(crate) const BLOCK: u64 = 200_000_000;
/// Blocks: the nation (0) and the 47 prefectures.
pub(crate) const BLOCKS: u64 = 48;
/// Upper bound of global indices (the 住民票コード body space).
pub(crate) const INDEX_LIMIT: u64 = 10_000_000_000;
const _: () = assert!(BLOCK * BLOCKS <= INDEX_LIMIT);

/// 個人番号 bodies of residents lie below this; the rest of `0..10^11` is never a resident's.
const RESIDENT_BODIES: u64 = 90_000_000_000;
const UNKNOWN_BODIES: u64 = 100_000_000_000 - RESIDENT_BODIES;
const A: u64 = 53_781_264_917; // coprime to 9·10^10
const C: u64 = 6_180_339_887; // coprime to 10
const E: u64 = 7_071_067_811; // coprime to 10

fn affine(index: u64, multiplier: u64, offset: u64, modulus: u64) -> u64 {
    ((u128::from(index) * u128::from(multiplier) + u128::from(offset)) % u128::from(modulus)) as u64
}

fn offset(seed: u64, domain: Domain) -> u64 {
    Rng::for_record(seed, domain, 0).next_u64() ^ mix64(seed)
}

/// The 個人番号 of the resident with global index `index` (< [`INDEX_LIMIT`]).
pub(crate) fn my_number(seed: u64, index: u64) -> MyNumber {
    debug_assert!(index < INDEX_LIMIT);
    let b = offset(seed, Domain::MyNumberOffset) % RESIDENT_BODIES;
    MyNumber::from_body_u64(affine(index, A, b, RESIDENT_BODIES))
}

/// The 住民票コード of the resident with global index `index` (< [`INDEX_LIMIT`]).
pub(crate) fn resident_code(seed: u64, index: u64) -> ResidentCode {
    debug_assert!(index < INDEX_LIMIT);
    let d = offset(seed, Domain::ResidentCodeOffset) % INDEX_LIMIT;
    ResidentCode::from_body_u64(affine(index, C, d, INDEX_LIMIT))
}

/// The `n`-th of 10^10 distinct valid 個人番号 that belong to no synthetic resident of any seed
/// (bodies 9·10^10 and up). For tests of "番号が見つからない" paths.
pub fn unknown_my_number(seed: u64, n: u64) -> MyNumber {
    let f = offset(seed, Domain::UnknownNumber) % UNKNOWN_BODIES;
    MyNumber::from_body_u64(RESIDENT_BODIES + affine(n % UNKNOWN_BODIES, E, f, UNKNOWN_BODIES))
}

/// Whether a 個人番号 lies in the block reserved for [`unknown_my_number`].
pub fn is_reserved_unknown(number: &MyNumber) -> bool {
    number.expose().starts_with('9')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_numbers_never_start_with_9_and_unknown_ones_do() {
        for seed in [0, 1, u64::MAX] {
            for index in [0, 1, BLOCK - 1, BLOCK, INDEX_LIMIT - 1] {
                assert!(!is_reserved_unknown(&my_number(seed, index)));
            }
            for n in [0, 1, 12_345, u64::MAX] {
                assert!(is_reserved_unknown(&unknown_my_number(seed, n)));
            }
        }
    }

    #[test]
    fn affine_maps_are_bijections_on_small_moduli() {
        // The same argument as for the real moduli: a multiplier coprime to the modulus.
        for (multiplier, modulus) in [(A % 900, 900), (C % 1000, 1000), (E % 1000, 1000)] {
            let mut seen = vec![false; modulus as usize];
            for i in 0..modulus {
                let v = affine(i, multiplier, 17, modulus) as usize;
                assert!(!seen[v]);
                seen[v] = true;
            }
        }
    }

    #[test]
    fn multipliers_are_coprime_to_their_moduli() {
        fn gcd(a: u64, b: u64) -> u64 {
            if b == 0 {
                a
            } else {
                gcd(b, a % b)
            }
        }
        assert_eq!(gcd(A, RESIDENT_BODIES), 1);
        assert_eq!(gcd(C, INDEX_LIMIT), 1);
        assert_eq!(gcd(E, UNKNOWN_BODIES), 1);
    }
}
