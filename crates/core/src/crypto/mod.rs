//! Protection at rest (保管時の保護) for 個人番号 and other secrets: keyed hashes (HMAC-SHA256)
//! where only equality is needed — the hub's link table, the intermediate server's person
//! index — and authenticated encryption (AES-256-GCM) where the plaintext must come back.
//! Built on `ring`.

mod hasher;
mod sealer;

pub use hasher::KeyedHasher;
pub use sealer::{Sealer, SEAL_OVERHEAD};

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};

/// Why a key could not be read or a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// A key that is not 64 hexadecimal digits.
    #[error("鍵の形式が正しくありません（16進数64桁）")]
    KeyFormat,
    /// Authentication failed: the data was altered, truncated, or sealed under another key.
    #[error("復号に失敗しました（改ざん、または鍵の誤り）")]
    Open,
    /// The opened plaintext is not what the caller expected (e.g. not a 個人番号).
    #[error("復号した値が正しい形式ではありません")]
    Plaintext,
}

/// A 256-bit secret key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key32([u8; 32]);

impl Key32 {
    /// A fresh random key from the operating system's generator.
    ///
    /// # Panics
    /// If the operating system's random generator fails, which leaves nothing safe to do.
    pub fn generate() -> Key32 {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random generator failed");
        Key32(bytes)
    }

    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Key32 {
        Key32(bytes)
    }

    /// Reads a key written as 64 hexadecimal digits (surrounding whitespace is ignored, so a
    /// key file may end with a newline).
    pub fn from_hex(s: &str) -> Result<Key32, CryptoError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s.trim(), &mut bytes).map_err(|_| CryptoError::KeyFormat)?;
        Ok(Key32(bytes))
    }

    /// The key as 64 lower-case hexadecimal digits, for key files.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key32(****)")
    }
}

impl Drop for Key32 {
    fn drop(&mut self) {
        // Best effort: do not leave the key in freed memory.
        self.0 = [0; 32];
        std::hint::black_box(&self.0);
    }
}

/// SHA-256 of `data` as 64 lower-case hexadecimal digits.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_hex() {
        let key = Key32::generate();
        let hex = key.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(Key32::from_hex(&format!("{hex}\n")), Ok(key.clone()));
        assert_ne!(Key32::generate(), key);
    }

    #[test]
    fn rejects_malformed_hex_keys() {
        assert_eq!(Key32::from_hex("00"), Err(CryptoError::KeyFormat));
        assert_eq!(
            Key32::from_hex(&"g".repeat(64)),
            Err(CryptoError::KeyFormat)
        );
        assert_eq!(
            Key32::from_hex(&"0".repeat(66)),
            Err(CryptoError::KeyFormat)
        );
        assert!(Key32::from_hex(&"Ab".repeat(32)).is_ok());
    }

    #[test]
    fn debug_redacts_the_key() {
        let key = Key32::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "Key32(****)");
        assert!(!shown.to_lowercase().contains("ab"));
    }

    #[test]
    fn sha256_matches_known_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// Serde for a [`Key32`] as 64 hexadecimal digits (`#[serde(with = "key_hex")]`), as keys are
/// written in configuration files. A malformed key is refused without quoting it.
pub mod key_hex {
    use super::Key32;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(key: &Key32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&key.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Key32, D::Error> {
        let text = String::deserialize(d)?;
        Key32::from_hex(&text).map_err(serde::de::Error::custom)
    }
}
