//! A tiny deterministic PRNG (SplitMix64) written out here rather than taken from a crate, so
//! that the synthetic data a seed produces stays byte-for-byte the same across dependency
//! upgrades.

/// SplitMix64's finalizer: a bijective 64-bit mix.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A SplitMix64 stream.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

/// Independent stream names, so that adding a draw to one kind of record never shifts the
/// numbers another kind gets.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Domain {
    Resident = 1,
    MyNumberOffset = 2,
    ResidentCodeOffset = 3,
    InsuredOffset = 4,
    SubscriberRow = 5,
    UnknownNumber = 6,
    LookAlike = 7,
    FuhonRow = 8,
}

impl Rng {
    /// The stream for record `index` of `domain` under `seed`.
    pub(crate) fn for_record(seed: u64, domain: Domain, index: u64) -> Rng {
        let state = mix64(mix64(seed ^ mix64(domain as u64)).wrapping_add(index));
        Rng { state }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-32 for the ranges used here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)` with 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn from cumulative weights (`cumulative` ascending, last = total).
    pub(crate) fn weighted(&mut self, cumulative: &[u64]) -> usize {
        let total = *cumulative.last().expect("non-empty weights");
        let x = self.below(total);
        cumulative.partition_point(|&c| c <= x)
    }
}

/// Running sums of `weights`, for [`Rng::weighted`].
pub(crate) fn cumulative(weights: impl IntoIterator<Item = u64>) -> Vec<u64> {
    weights
        .into_iter()
        .scan(0u64, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        let mut rng = Rng { state: 0 };
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn streams_are_stable() {
        let a = Rng::for_record(1, Domain::Resident, 7).next_u64();
        let b = Rng::for_record(1, Domain::Resident, 7).next_u64();
        let c = Rng::for_record(1, Domain::Resident, 8).next_u64();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn weighted_respects_zero_weights() {
        let cum = cumulative([0, 5, 0, 5]);
        let mut rng = Rng::for_record(3, Domain::Resident, 0);
        for _ in 0..1000 {
            let i = rng.weighted(&cum);
            assert!(i == 1 || i == 3, "{i}");
        }
    }
}
