//! Authenticated encryption (AES-256-GCM) of values that must be read back, such as a
//! 個人番号 the intermediate server needs to send on. Each sealed value is
//! `nonce (12 bytes) || ciphertext || tag (16 bytes)` with a fresh random nonce.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::{CryptoError, Key32};
use crate::id::MyNumber;

/// Seals and opens values under one key. Clones share the prepared key and can be used from
/// many threads.
#[derive(Clone)]
pub struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

/// Bytes added to the plaintext by sealing: the nonce and the tag.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + 16;

impl Sealer {
    /// Prepares a sealer for `key`.
    pub fn new(key: &Key32) -> Sealer {
        // AES-256 takes exactly 32 bytes, which is what a Key32 holds.
        let unbound = UnboundKey::new(&AES_256_GCM, key.as_bytes())
            .expect("a 32-byte key is valid for AES-256-GCM");
        Sealer {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// Encrypts and authenticates `plaintext` under a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        self.seal_with_aad(plaintext, &[])
    }

    /// Like [`Sealer::seal`], also binding `aad` (e.g. the row's key), which must be given
    /// again to open: a sealed value moved to another row then fails to open.
    ///
    /// # Panics
    /// If the system random generator fails, or the plaintext exceeds AES-GCM's limit of
    /// about 64 GiB.
    pub fn seal_with_aad(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .expect("the system random generator failed");
        let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut out[NONCE_LEN..],
            )
            .expect("plaintext within AES-GCM limits");
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// Checks and decrypts a value made by [`Sealer::seal`].
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.open_with_aad(sealed, &[])
    }

    /// Checks and decrypts a value made by [`Sealer::seal_with_aad`] with the same `aad`.
    pub fn open_with_aad(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < SEAL_OVERHEAD {
            return Err(CryptoError::Open);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Open)?;
        let mut buffer = ciphertext.to_vec();
        let plaintext_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buffer)
            .map_err(|_| CryptoError::Open)?
            .len();
        buffer.truncate(plaintext_len);
        Ok(buffer)
    }

    /// Seals the 12 ASCII digits of a 個人番号.
    pub fn seal_number(&self, n: &MyNumber) -> Vec<u8> {
        self.seal(n.expose().as_bytes())
    }

    /// Opens a value made by [`Sealer::seal_number`], checking that it is a valid 個人番号.
    pub fn open_number(&self, sealed: &[u8]) -> Result<MyNumber, CryptoError> {
        let plaintext = self.open(sealed)?;
        let digits = std::str::from_utf8(&plaintext).map_err(|_| CryptoError::Plaintext)?;
        MyNumber::parse(digits).map_err(|_| CryptoError::Plaintext)
    }
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_have_nonce_and_tag() {
        let sealer = Sealer::new(&Key32::generate());
        let sealed = sealer.seal(b"abc");
        assert_eq!(sealed.len(), 3 + SEAL_OVERHEAD);
        assert_eq!(sealer.open(&sealed).as_deref(), Ok(&b"abc"[..]));
        assert_eq!(sealer.open(&sealer.seal(b"")).as_deref(), Ok(&b""[..]));
    }

    #[test]
    fn short_input_fails_to_open() {
        let sealer = Sealer::new(&Key32::generate());
        assert_eq!(sealer.open(&[]), Err(CryptoError::Open));
        assert_eq!(sealer.open(&[0; SEAL_OVERHEAD - 1]), Err(CryptoError::Open));
    }

    #[test]
    fn aad_must_match() {
        let sealer = Sealer::new(&Key32::generate());
        let sealed = sealer.seal_with_aad(b"x", b"row-1");
        assert_eq!(
            sealer.open_with_aad(&sealed, b"row-1").as_deref(),
            Ok(&b"x"[..])
        );
        assert_eq!(
            sealer.open_with_aad(&sealed, b"row-2"),
            Err(CryptoError::Open)
        );
        assert_eq!(sealer.open(&sealed), Err(CryptoError::Open));
    }

    #[test]
    fn open_number_rejects_other_plaintext() {
        let sealer = Sealer::new(&Key32::generate());
        assert_eq!(
            sealer.open_number(&sealer.seal(b"621498320258")),
            Err(CryptoError::Plaintext)
        );
    }

    #[test]
    fn is_thread_safe() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Sealer>();
    }
}
