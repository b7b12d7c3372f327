//! The agent's open files and resident memory, read from /proc, and the
//! comparison of a run's first and last quarter that tells a leak from
//! noise.

use anyhow::{Context, Result};

use crate::bench::memory::Rss;

/// One reading of one agent process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Entries of /proc/PID/fd.
    pub fds: u32,
    /// VmRSS of /proc/PID/status, in KiB.
    pub rss_kib: u64,
}

/// Reads `pid`'s open files and resident memory.
pub fn read(pid: u32) -> Result<Sample> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("listing /proc/{pid}/fd"))?
        .count();
    Ok(Sample {
        fds: u32::try_from(fds).unwrap_or(u32::MAX),
        rss_kib: Rss::of(pid)?.vm_rss,
    })
}

/// The first and last quarter of one agent's samples, and whether they
/// stay within the margins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    /// Which agent (0 for the first, 1 after the first crash, …).
    pub agent: u32,
    pub samples: usize,
    /// Medians of the first and the last quarter.
    pub fds: (u32, u32),
    pub rss_kib: (u64, u64),
}

/// Open files the last quarter may hold beyond the first: probe sockets
/// and BGP or control connections come and go.
pub const FD_MARGIN: u32 = 4;
/// Resident memory the last quarter may hold beyond the first: the larger
/// of 1 MiB and 15 % (allocator caches settle over the first minutes).
pub fn rss_margin(first: u64) -> u64 {
    (first / 100).saturating_mul(15).max(1024)
}

/// The fewest samples for a trend to mean something (one a second).
pub const MIN_SAMPLES: usize = 8;

fn median<T: Copy + Ord>(mut v: Vec<T>) -> Option<T> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

impl Trend {
    /// The trend of one agent's samples; `None` with too few.
    pub fn of(agent: u32, samples: &[Sample]) -> Option<Trend> {
        if samples.len() < MIN_SAMPLES {
            return None;
        }
        let q = (samples.len() / 4).max(1);
        let first = &samples[..q];
        let last = &samples[samples.len().saturating_sub(q)..];
        Some(Trend {
            agent,
            samples: samples.len(),
            fds: (
                median(first.iter().map(|s| s.fds).collect())?,
                median(last.iter().map(|s| s.fds).collect())?,
            ),
            rss_kib: (
                median(first.iter().map(|s| s.rss_kib).collect())?,
                median(last.iter().map(|s| s.rss_kib).collect())?,
            ),
        })
    }

    /// Why the last quarter looks like a leak, if it does.
    pub fn leak(&self) -> Option<String> {
        let (f0, f1) = self.fds;
        let (r0, r1) = self.rss_kib;
        if f1 > f0.saturating_add(FD_MARGIN) {
            return Some(format!(
                "agent {}: open files grew from {f0} to {f1} (margin {FD_MARGIN})",
                self.agent
            ));
        }
        if r1 > r0.saturating_add(rss_margin(r0)) {
            return Some(format!(
                "agent {}: VmRSS grew from {r0} KiB to {r1} KiB (margin {} KiB)",
                self.agent,
                rss_margin(r0)
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(fds: u32, rss_kib: u64) -> Sample {
        Sample { fds, rss_kib }
    }

    #[test]
    fn this_process_is_read() {
        let me = read(std::process::id()).unwrap();
        assert!(me.fds > 0 && me.rss_kib > 0, "{me:?}");
    }

    #[test]
    fn flat_figures_pass_and_growth_is_a_leak() {
        let flat: Vec<Sample> = (0..12)
            .map(|i| s(20 + i % 2, 6000 + u64::from(i)))
            .collect();
        let t = Trend::of(0, &flat).unwrap();
        assert_eq!(t.samples, 12);
        assert_eq!(t.leak(), None);
        let growing: Vec<Sample> = (0..12).map(|i| s(20 + i, 6000)).collect();
        assert!(
            Trend::of(1, &growing)
                .unwrap()
                .leak()
                .unwrap()
                .contains("open files")
        );
        let bloating: Vec<Sample> = (0..12u32)
            .map(|i| s(20, 6000 + 500 * u64::from(i)))
            .collect();
        assert!(
            Trend::of(2, &bloating)
                .unwrap()
                .leak()
                .unwrap()
                .contains("VmRSS")
        );
        assert_eq!(Trend::of(0, &flat[..3]), None);
    }
}
