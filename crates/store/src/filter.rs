//! A Bloom filter of 64-bit key hashes: "certainly not stored" or "maybe stored".
//!
//! A store's writer keeps one beside a random index to skip the look-ups that cannot find
//! anything: registering a new person probes each of their keys, and on a large table each
//! probe is a descent through pages scattered over the index. The filter holds what the
//! table holds (it is filled from the index and told of every write), so a "no" is certain;
//! a "maybe" is checked in the table as before. Keys are never removed: a key that left the
//! table only costs a probe. Constraints and checks in the database stay the ground truth.

/// Bits per key at the filter's capacity, and hashes per key: about 1 % false "maybe".
const BITS_PER_KEY: usize = 10;
const HASHES: u64 = 7;

#[derive(Debug, Clone)]
pub struct KeyFilter {
    words: Vec<u64>,
    /// Number of bits, a power of two.
    bits: u64,
    keys: usize,
    capacity: usize,
}

impl KeyFilter {
    /// An empty filter sized for `capacity` keys (at least 2^16).
    pub fn with_capacity(capacity: usize) -> KeyFilter {
        let capacity = capacity.max(1 << 16);
        let bits = (capacity * BITS_PER_KEY).next_power_of_two() as u64;
        KeyFilter {
            words: vec![0; (bits / 64) as usize],
            bits,
            keys: 0,
            capacity,
        }
    }

    pub fn insert(&mut self, hash: u64) {
        for bit in self.positions(hash) {
            self.words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
        self.keys += 1;
    }

    /// False only if `hash` was never inserted.
    pub fn may_contain(&self, hash: u64) -> bool {
        self.positions(hash)
            .all(|bit| self.words[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    /// Whether more keys went in than the filter was sized for (its "maybe"s grow more
    /// frequent): time to fill a larger one.
    pub fn is_full(&self) -> bool {
        self.keys > self.capacity
    }

    fn positions(&self, hash: u64) -> impl Iterator<Item = u64> {
        // Double hashing (Kirsch–Mitzenmacher) on a mixed hash, so that keys which are
        // already random and keys which are not spread alike.
        let h = mix(hash);
        let (h1, h2) = (h, h.rotate_left(32) | 1);
        let mask = self.bits - 1;
        (0..HASHES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) & mask)
    }
}

/// The hash of a key that is random bytes already (a keyed hash): its first 8 bytes, the
/// prefix the stores index (`substr(key, 1, 8)`); a shorter key is padded with zeros.
pub fn prefix_hash(key: &[u8]) -> u64 {
    let mut tag = [0u8; 8];
    let n = key.len().min(8);
    tag[..n].copy_from_slice(&key[..n]);
    u64::from_le_bytes(tag)
}

/// The 64-bit hash of `parts` (FNV-1a, then [`mix`]ed by the filter), for keys that are not
/// random bytes themselves; parts are separated so that ("ab", "c") and ("a", "bc") differ.
pub fn key_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// splitmix64's finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inserted_key_is_maybe_and_few_others_are() {
        let n = 200_000;
        let mut f = KeyFilter::with_capacity(n);
        // Sequential numbers: the least random keys there are.
        for i in 0..n as u64 {
            f.insert(key_hash(&[
                b"koiki-13",
                format!("{:08}", 10_000_000 + i).as_bytes(),
            ]));
        }
        for i in 0..n as u64 {
            let h = key_hash(&[b"koiki-13", format!("{:08}", 10_000_000 + i).as_bytes()]);
            assert!(f.may_contain(h), "inserted key {i} must be found");
        }
        let false_maybe = (n as u64..2 * n as u64)
            .filter(|i| {
                f.may_contain(key_hash(&[
                    b"koiki-13",
                    format!("{:08}", 10_000_000 + i).as_bytes(),
                ]))
            })
            .count();
        // 10 bits and 7 hashes per key: ~0.8 % expected; the filter's bits round up to a
        // power of two, which only lowers it.
        assert!(false_maybe < n / 50, "{false_maybe} false maybes of {n}");
        assert!(!f.is_full());
        f.insert(1);
        assert_eq!(f.keys, n + 1);
    }

    #[test]
    fn a_full_filter_says_so_and_parts_are_separated() {
        let mut f = KeyFilter::with_capacity(10);
        // 2^16 keys at 10 bits each, rounded up to 2^20 bits.
        assert_eq!(f.words.len() * 8, 1 << 17);
        for i in 0..=(1u64 << 16) {
            f.insert(i);
        }
        assert!(f.is_full());
        assert_ne!(key_hash(&[b"ab", b"c"]), key_hash(&[b"a", b"bc"]));
        assert_ne!(
            key_hash(&[b"koiki-13", b"1"]),
            key_hash(&[b"koiki-14", b"1"])
        );
    }
}
