//! Injected faults: a 503 at random, from a seeded generator, so one seed gives one sequence.

use std::sync::atomic::{AtomicU64, Ordering};

/// SplitMix64: one well-mixed 64-bit value per input (the data set and the faults use it, so
/// a seed gives the same data and the same faults on every machine and version).
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Decides, request after request, whether to answer 503.
#[derive(Debug)]
pub(crate) struct Faults {
    seed: u64,
    rate: f64,
    drawn: AtomicU64,
}

impl Faults {
    pub fn new(seed: u64, rate: f64) -> Self {
        Self {
            seed: mix(seed ^ 0x6661_756c_7473),
            rate,
            drawn: AtomicU64::new(0),
        }
    }

    /// Whether this request fails: the n-th draw of the seeded sequence is below the rate.
    pub fn fail(&self) -> bool {
        if self.rate <= 0.0 {
            return false;
        }
        if self.rate >= 1.0 {
            return true;
        }
        let n = self.drawn.fetch_add(1, Ordering::Relaxed);
        let draw = mix(self.seed.wrapping_add(n)) >> 11;
        (draw as f64 / (1u64 << 53) as f64) < self.rate
    }
}
