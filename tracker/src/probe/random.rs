//! Unpredictable numbers for ICMP identifiers, echo cookies and DNS query
//! ids, without another dependency.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// 64 unpredictable bits. std keys every `RandomState` with SipHash keys
/// drawn from the operating system's generator (then stepped per call), and
/// SipHash is a keyed PRF, so the output cannot be guessed by another host.
/// Good enough against spoofed replies; not meant for cryptography.
pub(crate) fn random_u64() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// 16 unpredictable bits.
pub(crate) fn random_u16() -> u16 {
    // Truncation is the point: any 16 of the 64 bits are as good as others.
    (random_u64() & 0xffff) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_differ_between_calls() {
        let values: std::collections::HashSet<u64> = (0..64).map(|_| random_u64()).collect();
        // 64 draws of 64 bits: a collision would mean the keys do not change.
        assert_eq!(values.len(), 64);
    }
}
