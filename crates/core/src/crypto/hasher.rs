//! Keyed hash (HMAC-SHA256) of identifiers, so that stores can find a person by 個人番号
//! without holding the number: without the key, the hash cannot be reversed by trying all
//! 10^11 valid numbers.

use ring::hmac;

use super::Key32;
use crate::id::MyNumber;

/// HMAC-SHA256 under one key. The ring key is prepared once, so hashing per record is cheap;
/// clones share nothing mutable and can be used from many threads.
#[derive(Clone)]
pub struct KeyedHasher {
    key: hmac::Key,
}

impl KeyedHasher {
    /// Prepares a hasher for `key`.
    pub fn new(key: &Key32) -> KeyedHasher {
        KeyedHasher {
            key: hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes()),
        }
    }

    /// HMAC-SHA256 of `data`.
    pub fn hash(&self, data: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&self.key, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// HMAC-SHA256 of the 12 ASCII digits of a 個人番号.
    pub fn hash_number(&self, n: &MyNumber) -> [u8; 32] {
        self.hash(n.expose().as_bytes())
    }
}

impl std::fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHasher(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4231_test_case_2() {
        // Key "Jefe" zero-padded to 32 bytes gives the same HMAC as "Jefe" itself.
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(b"Jefe");
        let hasher = KeyedHasher::new(&Key32::from_bytes(bytes));
        assert_eq!(
            hex::encode(hasher.hash(b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hashes_the_digits_of_a_number() {
        let hasher = KeyedHasher::new(&Key32::generate());
        let n = MyNumber::parse("621498320257").expect("valid");
        assert_eq!(hasher.hash_number(&n), hasher.hash(b"621498320257"));
    }

    #[test]
    fn is_thread_safe() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<KeyedHasher>();
    }
}
