//! Tests for `renkei_core::crypto`: sealing round-trips and detects tampering, keyed hashes are
//! deterministic and separated by key.

use proptest::prelude::*;
use renkei_core::crypto::{sha256_hex, CryptoError, Key32, KeyedHasher, Sealer};
use renkei_core::MyNumber;

fn key() -> impl Strategy<Value = Key32> {
    any::<[u8; 32]>().prop_map(Key32::from_bytes)
}

#[test]
fn sealing_twice_uses_different_nonces() {
    let sealer = Sealer::new(&Key32::generate());
    assert_ne!(sealer.seal(b"same"), sealer.seal(b"same"));
}

#[test]
fn a_number_survives_sealing() {
    let sealer = Sealer::new(&Key32::generate());
    let n = MyNumber::parse("621498320257").expect("valid");
    let sealed = sealer.seal_number(&n);
    assert!(!sealed.windows(12).any(|w| w == b"621498320257"));
    assert_eq!(sealer.open_number(&sealed), Ok(n));
}

#[test]
fn sealer_and_hasher_work_across_threads() {
    let sealer = Sealer::new(&Key32::generate());
    let hasher = KeyedHasher::new(&Key32::generate());
    let sealed = sealer.seal(b"x");
    let expected = hasher.hash(b"x");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (sealer, hasher, sealed) = (sealer.clone(), hasher.clone(), sealed.clone());
            std::thread::spawn(move || (sealer.open(&sealed), hasher.hash(b"x")))
        })
        .collect();
    for handle in handles {
        let (opened, hash) = handle.join().expect("thread");
        assert_eq!(opened.as_deref(), Ok(&b"x"[..]));
        assert_eq!(hash, expected);
    }
}

/// `KeyedHasher` is HMAC-SHA256: the RFC 4231 test cases whose key fits in 32 bytes. A key
/// shorter than SHA-256's 64-byte block is zero-padded by HMAC, so the 32-byte key with zeros
/// after the test key gives the RFC's answer.
#[test]
fn hashing_matches_rfc_4231() {
    let cases: [(&[u8], &[u8], &str); 4] = [
        (
            &[0x0b; 20],
            b"Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            b"Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            &[0xaa; 20],
            &[0xdd; 50],
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            &[
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                24, 25,
            ],
            &[0xcd; 50],
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        ),
    ];
    for (n, (key, data, expected)) in cases.into_iter().enumerate() {
        let mut bytes = [0u8; 32];
        bytes[..key.len()].copy_from_slice(key);
        let hash = KeyedHasher::new(&Key32::from_bytes(bytes)).hash(data);
        assert_eq!(hex::encode(hash), expected, "RFC 4231 test case {}", n + 1);
    }
}

proptest! {
    #[test]
    fn seal_open_round_trip(k in key(), data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let sealer = Sealer::new(&k);
        prop_assert_eq!(sealer.open(&sealer.seal(&data)), Ok(data.clone()));
        // A second sealer from the same key opens it too (keys are all that is shared).
        prop_assert_eq!(Sealer::new(&k).open(&sealer.seal(&data)), Ok(data));
    }

    #[test]
    fn any_flipped_bit_is_detected(
        k in key(), data in proptest::collection::vec(any::<u8>(), 0..64),
        index in any::<prop::sample::Index>(), bit in 0u8..8,
    ) {
        let sealer = Sealer::new(&k);
        let mut sealed = sealer.seal(&data);
        let i = index.index(sealed.len());
        sealed[i] ^= 1 << bit;
        prop_assert_eq!(sealer.open(&sealed), Err(CryptoError::Open));
    }

    #[test]
    fn truncation_and_extension_are_detected(
        k in key(), data in proptest::collection::vec(any::<u8>(), 0..64), cut in 1usize..40,
    ) {
        let sealer = Sealer::new(&k);
        let sealed = sealer.seal(&data);
        let cut = cut.min(sealed.len());
        prop_assert_eq!(sealer.open(&sealed[..sealed.len() - cut]), Err(CryptoError::Open));
        let mut longer = sealed.clone();
        longer.push(0);
        prop_assert_eq!(sealer.open(&longer), Err(CryptoError::Open));
    }

    #[test]
    fn another_key_cannot_open(a in key(), b in key(), data in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assume!(a != b);
        let sealed = Sealer::new(&a).seal(&data);
        prop_assert_eq!(Sealer::new(&b).open(&sealed), Err(CryptoError::Open));
    }

    #[test]
    fn numbers_round_trip(k in key(), body in 0u64..100_000_000_000) {
        let sealer = Sealer::new(&k);
        let n = MyNumber::from_body_u64(body);
        prop_assert_eq!(sealer.open_number(&sealer.seal_number(&n)), Ok(n));
    }

    #[test]
    fn hashing_is_deterministic_and_separates_keys_and_inputs(
        k in key(), other_key in key(),
        data in proptest::collection::vec(any::<u8>(), 0..128),
        other_data in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let a = KeyedHasher::new(&k);
        let b = KeyedHasher::new(&k);
        prop_assert_eq!(a.hash(&data), a.hash(&data));
        prop_assert_eq!(a.hash(&data), b.hash(&data));
        prop_assert_eq!(a.clone().hash(&data), a.hash(&data));
        // A constant or key-blind function would pass the lines above; these would fail it.
        if other_key != k {
            prop_assert_ne!(KeyedHasher::new(&other_key).hash(&data), a.hash(&data));
        }
        if other_data != data {
            prop_assert_ne!(a.hash(&other_data), a.hash(&data));
        }
    }

    #[test]
    fn keys_separate_hashes(a in key(), b in key(), body in 0u64..100_000_000_000) {
        prop_assume!(a != b);
        let n = MyNumber::from_body_u64(body);
        prop_assert_ne!(KeyedHasher::new(&a).hash_number(&n), KeyedHasher::new(&b).hash_number(&n));
    }

    #[test]
    fn numbers_hash_apart(k in key(), x in 0u64..100_000_000_000, y in 0u64..100_000_000_000) {
        prop_assume!(x != y);
        let hasher = KeyedHasher::new(&k);
        prop_assert_ne!(
            hasher.hash_number(&MyNumber::from_body_u64(x)),
            hasher.hash_number(&MyNumber::from_body_u64(y))
        );
    }

    #[test]
    fn keys_round_trip_through_hex(k in key()) {
        prop_assert_eq!(Key32::from_hex(&k.to_hex()), Ok(k.clone()));
        prop_assert_eq!(Key32::from_hex(&k.to_hex().to_uppercase()), Ok(k));
    }

    #[test]
    fn sha256_hex_is_64_lowercase_hex_digits(data in proptest::collection::vec(any::<u8>(), 0..128)) {
        let digest = sha256_hex(&data);
        prop_assert_eq!(digest.len(), 64);
        prop_assert!(digest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}
