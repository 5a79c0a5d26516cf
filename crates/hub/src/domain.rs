//! The hub's rules for 機関別符号, without I/O: how a 符号 is derived, what an agency code
//! is, and who may ask for whose 符号.

use renkei_core::crypto::KeyedHasher;
pub use renkei_core::AgencyCode;
use renkei_core::{MyNumber, ResidentCode};
use renkei_wire::msg::hub::Fugo;
use renkei_wire::{Identity, Role};

use crate::config::HubKeys;

pub use renkei_wire::msg::hub::MAX_BATCH;

/// Bytes of the HMAC kept in a 符号: 160 bits, 32 base32 letters.
const FUGO_BYTES: usize = 20;

/// The hub's keyed derivations: look-up key, person key and 符号.
#[derive(Clone, Debug)]
pub struct Derivation {
    number: KeyedHasher,
    person: KeyedHasher,
    fugo: KeyedHasher,
}

impl Derivation {
    pub fn new(keys: &HubKeys) -> Derivation {
        Derivation {
            number: KeyedHasher::new(&keys.number_hash),
            person: KeyedHasher::new(&keys.person),
            fugo: KeyedHasher::new(&keys.fugo),
        }
    }

    /// The link's look-up key for a 個人番号.
    pub fn number_key(&self, n: &MyNumber) -> [u8; 32] {
        self.number.hash_number(n)
    }

    /// The person, independent of agency, from the 住民票コード J-LIS answered.
    pub fn person_key(&self, code: &ResidentCode) -> [u8; 32] {
        self.person.hash(code.expose().as_bytes())
    }

    /// The 機関別符号 of a person for an agency. The 0x00 separator keeps (person, agency)
    /// pairs from colliding, as agency codes never contain it.
    pub fn fugo(&self, person_key: &[u8; 32], agency: &AgencyCode) -> Fugo {
        let mut input = Vec::with_capacity(32 + 1 + agency.as_str().len());
        input.extend_from_slice(person_key);
        input.push(0);
        input.extend_from_slice(agency.as_str().as_bytes());
        let mac = self.fugo.hash(&input);
        Fugo(base32(&mac[..FUGO_BYTES]))
    }
}

/// RFC 4648 base32 (A–Z, 2–7), upper case, without padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A refusal, naming the rule that refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}")]
pub struct Refusal {
    pub rule: &'static str,
}

/// Who may obtain 符号 for `agency`: `intermediate` for any agency (it acts for its insurer
/// tenants), an agency for itself only, nobody else.
pub fn authorize_issue(caller: &Identity, agency: &AgencyCode) -> Result<(), Refusal> {
    match caller.role {
        Role::Intermediate => Ok(()),
        Role::Agency if caller.code == agency.as_str() => Ok(()),
        Role::Agency => Err(Refusal {
            rule: "機関は自機関の機関別符号だけを取得できます（規則: 符号の取得は自機関分に限る）",
        }),
        _ => Err(Refusal {
            rule:
                "機関別符号を取得できるのは中間サーバと情報保有機関だけです（規則: 符号の取得者）",
        }),
    }
}

/// The batch-size rule, as a message when it is broken.
pub fn check_batch(len: usize) -> Result<(), String> {
    if len > MAX_BATCH {
        Err(format!(
            "一度に送れる個人番号は{MAX_BATCH}件までです（{len}件）。分けて送ってください。"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
