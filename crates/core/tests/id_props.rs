//! Property tests for the identifier parsers in `renkei_core::id`.

use proptest::prelude::*;
use renkei_core::id::{IdError, InsuredNumber, InsurerNumber, MyNumber, ResidentCode, Sex};

/// The 個人番号 remainder r exactly as the law writes it: P(n) the n-th digit from the right
/// of the 11-digit body, Q(n) = n+1 for n <= 6 and n-5 for n >= 7.
fn my_number_remainder(body: &[u8]) -> u32 {
    (1..=11usize)
        .map(|n| {
            let p = u32::from(body[11 - n] - b'0');
            let q = if n <= 6 { n + 1 } else { n - 5 } as u32;
            p * q
        })
        .sum::<u32>()
        % 11
}

fn digits(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, len)
        .prop_map(|ds| ds.into_iter().map(|d| char::from(b'0' + d)).collect())
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(u32::from(c) - u32::from('0') + 0xFF10).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Replaces the digit at `pos` by `(digit + delta) mod 10`, `delta` in 1..=9.
fn substitute(s: &str, pos: usize, delta: u8) -> String {
    let mut bytes = s.as_bytes().to_vec();
    bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
    String::from_utf8(bytes).unwrap_or_default()
}

#[test]
fn a_substitution_between_remainders_0_and_1_goes_undetected() {
    // The law maps r = 0 and r = 1 both to check digit 0, so this pair of valid numbers differs
    // in one digit: 2 at n = 5 (weight 6) adds 12 ≡ 1 (mod 11).
    assert!(MyNumber::parse("000000000000").is_ok());
    assert!(MyNumber::parse("000000200000").is_ok());
}

proptest! {
    #[test]
    fn my_number_from_body_parses(body in digits(11)) {
        let n = MyNumber::from_body(&body).expect("any 11 digits are a body");
        prop_assert_eq!(&n.expose()[..11], body.as_str());
        prop_assert_eq!(MyNumber::parse(n.expose()), Ok(n.clone()));
        prop_assert_eq!(MyNumber::parse(&full_width(n.expose())), Ok(n.clone()));
        prop_assert_eq!(MyNumber::parse(&format!("\u{3000}{} ", n.expose())), Ok(n.clone()));
        let check = MyNumber::check_digit(&body).expect("valid body");
        prop_assert_eq!(n.expose().as_bytes()[11] - b'0', check);
        let r = my_number_remainder(body.as_bytes());
        prop_assert_eq!(u32::from(check), if r <= 1 { 0 } else { 11 - r });
    }

    #[test]
    fn my_number_from_body_u64_matches_from_body(body in 0u64..100_000_000_000) {
        let n = MyNumber::from_body_u64(body);
        prop_assert_eq!(Some(n.clone()), MyNumber::from_body(&format!("{body:011}")).ok());
    }

    /// A single substitution always changes r (weights 2..7 and differences 1..9 are all
    /// invertible mod 11), so it is caught unless r moves between 0 and 1, which share check
    /// digit 0. A substituted check digit is always caught.
    #[test]
    fn my_number_single_substitutions(body in digits(11), pos in 0usize..12, delta in 1u8..10) {
        let valid = MyNumber::from_body(&body).expect("valid body");
        let mutated = substitute(valid.expose(), pos, delta);
        let result = MyNumber::parse(&mutated);
        if pos == 11 {
            prop_assert_eq!(result, Err(IdError::CheckDigit));
        } else {
            let r_old = my_number_remainder(body.as_bytes());
            let r_new = my_number_remainder(&mutated.as_bytes()[..11]);
            prop_assert_ne!(r_old, r_new);
            if r_old <= 1 && r_new <= 1 {
                prop_assert!(result.is_ok());
            } else {
                prop_assert_eq!(result, Err(IdError::CheckDigit));
            }
        }
    }

    #[test]
    fn my_number_debug_and_display_never_show_digits(body in 0u64..100_000_000_000) {
        let n = MyNumber::from_body_u64(body);
        let shown = format!("{n:?} {n} {:?} {:#?}", Some(&n), vec![&n]);
        prop_assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{}", shown);
    }

    #[test]
    fn resident_code_from_body_parses(body in 0u64..10_000_000_000) {
        let code = ResidentCode::from_body_u64(body);
        prop_assert_eq!(ResidentCode::parse(code.expose()), Ok(code.clone()));
        prop_assert_eq!(ResidentCode::parse(&full_width(code.expose())), Ok(code.clone()));
        prop_assert_eq!(ResidentCode::from_body(&format!("{body:010}")), Ok(code.clone()));
    }

    /// Same rule as the 個人番号: caught unless r moves between 0 and 1.
    #[test]
    fn resident_code_single_substitutions(
        body in 0u64..10_000_000_000, pos in 0usize..11, delta in 1u8..10,
    ) {
        let valid = ResidentCode::from_body_u64(body);
        let mutated = substitute(valid.expose(), pos, delta);
        let weights = [5u32, 4, 3, 2, 7, 6, 5, 4, 3, 2];
        let r = |s: &str| -> u32 {
            s.bytes().zip(weights).map(|(b, w)| u32::from(b - b'0') * w).sum::<u32>() % 11
        };
        let result = ResidentCode::parse(&mutated);
        if pos == 10 {
            prop_assert_eq!(result, Err(IdError::CheckDigit));
        } else {
            let (r_old, r_new) = (r(&valid.expose()[..10]), r(&mutated[..10]));
            prop_assert_ne!(r_old, r_new);
            prop_assert_eq!(result.is_ok(), r_old <= 1 && r_new <= 1);
        }
    }

    #[test]
    fn resident_code_debug_and_display_never_show_digits(body in 0u64..10_000_000_000) {
        let code = ResidentCode::from_body_u64(body);
        let shown = format!("{code:?} {code} {:?}", Some(&code));
        prop_assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{}", shown);
    }

    #[test]
    fn insurer_number_from_body_parses(body in prop_oneof![digits(7), digits(5)]) {
        let n = InsurerNumber::from_body(&body).expect("valid body");
        prop_assert_eq!(InsurerNumber::parse(n.as_str()), Ok(n.clone()));
        prop_assert_eq!(InsurerNumber::parse(&full_width(n.as_str())), Ok(n.clone()));
        prop_assert_eq!(n.law_code().is_some(), body.len() == 7);
        let expected_prefecture = &body[body.len() - 5..body.len() - 3];
        prop_assert_eq!(n.prefecture_code(), expected_prefecture);
    }

    /// The 検証番号 catches every single-digit substitution, in any position.
    #[test]
    fn insurer_number_catches_every_substitution(
        body in prop_oneof![digits(7), digits(5)], pos in 0usize..8, delta in 1u8..10,
    ) {
        let n = InsurerNumber::from_body(&body).expect("valid body");
        let pos = pos % n.as_str().len();
        let mutated = substitute(n.as_str(), pos, delta);
        prop_assert_eq!(InsurerNumber::parse(&mutated), Err(IdError::CheckDigit));
    }

    #[test]
    fn insured_number_accepts_exactly_eight_digits(s in digits(8), other in 0usize..16) {
        let n = InsuredNumber::parse(&full_width(&s)).expect("8 digits");
        prop_assert_eq!(n.as_str(), s.as_str());
        if other != 8 {
            let wrong = "1".repeat(other);
            prop_assert!(InsuredNumber::parse(&wrong).is_err());
        }
    }

    #[test]
    fn serde_round_trips(body in 0u64..100_000_000_000, insured in digits(8)) {
        let n = MyNumber::from_body_u64(body);
        let json = serde_json::to_string(&n).expect("serialize");
        prop_assert_eq!(serde_json::from_str::<MyNumber>(&json).ok(), Some(n));
        let i = InsuredNumber::parse(&insured).expect("valid");
        let json = serde_json::to_string(&i).expect("serialize");
        prop_assert_eq!(serde_json::from_str::<InsuredNumber>(&json).ok(), Some(i));
    }

    #[test]
    fn parsers_never_panic(s in any::<String>()) {
        let _ = MyNumber::parse(&s);
        let _ = ResidentCode::parse(&s);
        let _ = InsurerNumber::parse(&s);
        let _ = InsuredNumber::parse(&s);
        let _ = Sex::parse(&s);
        let _ = MyNumber::check_digit(&s);
        let _ = MyNumber::from_body(&s);
        let _ = InsurerNumber::check_digit(&s);
        let _ = InsurerNumber::from_body(&s);
    }

    #[test]
    fn parsers_never_panic_on_digit_like_input(s in "[0-9０-９ 　a-z①²٣-]{0,14}") {
        for result in [
            MyNumber::parse(&s).map(|_| ()),
            ResidentCode::parse(&s).map(|_| ()),
            InsurerNumber::parse(&s).map(|_| ()),
            InsuredNumber::parse(&s).map(|_| ()),
            Sex::parse(&s).map(|_| ()),
        ] {
            if let Err(e) = result {
                // Messages never echo the input (they hold at most two digits in a row, such
                // as the expected length, so only inputs of three or more characters count).
                let msg = e.to_string();
                let input = s.trim();
                prop_assert!(input.chars().count() < 3 || !msg.contains(input), "{}", msg);
            }
        }
    }
}
