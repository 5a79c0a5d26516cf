//! The two check-digit rules used by Japanese identifiers, each in exactly one place:
//! the modulus-11 rule of 個人番号 and 住民票コード (検査数字), and the Luhn-like modulus-10
//! rule of 保険者番号 (検証番号).

/// 検査数字 of 個人番号 and 住民票コード.
///
/// With P(n) the n-th digit counted from the right of `body` (n = 1, 2, …) and weights
/// Q(n) = 2, 3, 4, 5, 6, 7, 2, 3, … (for the 個人番号 the law writes this as Q(n) = n+1 for
/// n ≤ 6 and n−5 for n ≥ 7), r = Σ P(n)·Q(n) mod 11 and the check digit is 0 if r ≤ 1,
/// otherwise 11 − r.
///
/// `body` must be ASCII digits (the callers have checked).
pub(crate) fn mod11(body: &[u8]) -> u8 {
    let r = mod11_remainder(body);
    if r <= 1 {
        0
    } else {
        11 - r
    }
}

/// The remainder r of [`mod11`], before it is mapped to a digit.
pub(crate) fn mod11_remainder(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let weight = (i % 6) as u32 + 2;
            u32::from(b - b'0') * weight
        })
        .sum();
    (sum % 11) as u8
}

/// 検証番号 of 保険者番号.
///
/// Multiply the digits of `body` alternately by 2 and 1, starting with 2 on the rightmost,
/// add the digits of each product (14 → 1 + 4), and take (10 − sum mod 10) mod 10.
///
/// `body` must be ASCII digits (the callers have checked).
pub(crate) fn luhn_like(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b - b'0');
            let product = if i % 2 == 0 { digit * 2 } else { digit };
            product / 10 + product % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mod11_matches_the_published_example() {
        // 621498320257: body 62149832025, check digit 7.
        assert_eq!(mod11(b"62149832025"), 7);
    }

    #[test]
    fn mod11_weights_follow_the_law_formula() {
        // Q(n) = n+1 for n <= 6, n-5 for n >= 7, n counted from the right.
        for n in 1..=11usize {
            let mut body = [b'0'; 11];
            body[11 - n] = b'1';
            let q = if n <= 6 { n + 1 } else { n - 5 };
            assert_eq!(usize::from(mod11_remainder(&body)), q % 11, "n = {n}");
        }
    }

    #[test]
    fn mod11_maps_small_remainders_to_zero() {
        assert_eq!(mod11(b"00000000000"), 0); // r = 0
        assert_eq!(mod11(b"00000000010"), 8); // r = 3 (weight of n=2 is 3)
    }

    #[test]
    fn luhn_like_matches_the_published_examples() {
        assert_eq!(luhn_like(b"3312001"), 5);
        assert_eq!(luhn_like(b"3913115"), 6);
    }

    #[test]
    fn luhn_like_adds_the_digits_of_products() {
        // Rightmost 7 -> 14 -> 1 + 4 = 5; check = 10 - 5 = 5.
        assert_eq!(luhn_like(b"7"), 5);
        assert_eq!(luhn_like(b"0"), 0);
    }
}
