//! The figures of a benchmark in a form `bench/run` reads: when the
//! environment variable [`ENV`] names a file, each figure is appended to it
//! as one `key<TAB>value<TAB>unit` line. Keys are `group.figure`, with
//! `@gobgpd` or `@bird` appended when the figure is a peer's (none means
//! mpwan's): `bgp.receive_ms@bird`. Values are the medians the human
//! table prints. Without the variable nothing is written.

use std::fmt::Display;
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use super::stats::Summary;

/// The variable naming the summary file.
pub const ENV: &str = "MPWAN_BENCH_SUMMARY";

/// One `key<TAB>value<TAB>unit` line, or an error for a key or unit that
/// would break the format.
pub fn line(key: &str, value: &dyn Display, unit: &str) -> Result<String> {
    let value = value.to_string();
    for (what, s) in [("key", key), ("value", value.as_str()), ("unit", unit)] {
        ensure!(
            !s.is_empty() && !s.contains(['\t', '\n']),
            "summary {what} {s:?} is empty or holds a tab or a newline"
        );
    }
    Ok(format!("{key}\t{value}\t{unit}\n"))
}

/// Appends one figure to the summary file, if one is asked for.
pub fn record(key: &str, value: impl Display, unit: &str) -> Result<()> {
    let Some(path) = std::env::var_os(ENV) else {
        return Ok(());
    };
    let text = line(key, &value, unit)?;
    let mut f = std::fs::File::options()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {ENV}={}", path.to_string_lossy()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.to_string_lossy()))
}

/// The median of `samples` in milliseconds with `decimals` decimals;
/// nothing when there are none.
pub fn record_ms(key: &str, samples: &[Duration], decimals: usize) -> Result<()> {
    match Summary::of(samples) {
        Some(s) => record(
            key,
            format!("{:.*}", decimals, s.median.as_secs_f64() * 1000.0),
            "ms",
        ),
        None => Ok(()),
    }
}

/// The median of `kib` samples, in KiB; nothing when there are none.
pub fn record_kib(key: &str, kib: &[u64]) -> Result<()> {
    match median(kib) {
        Some(m) => record(key, m, "KiB"),
        None => Ok(()),
    }
}

/// The middle value; with an even count, the mean of the two middle ones
/// rounded down; `None` for none.
pub fn median(values: &[u64]) -> Option<u64> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let mid = v.len() / 2;
    match (v.len() % 2, mid.checked_sub(1)) {
        // Halves first, as in Summary::of: the sum could overflow.
        (0, Some(below)) => Some(v[below] / 2 + v[mid] / 2 + (v[below] % 2 + v[mid] % 2) / 2),
        (0, None) => None,
        _ => Some(v[mid]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_tab_separated_and_checked() {
        assert_eq!(
            line("a.b@bird", &12.5, "ms").unwrap(),
            "a.b@bird\t12.5\tms\n"
        );
        assert!(line("a\tb", &1, "ms").is_err());
        assert!(line("a", &"x\ny", "ms").is_err());
        assert!(line("a", &1, "").is_err());
    }

    #[test]
    fn medians_of_kib() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[9, 1, 5]), Some(5));
        assert_eq!(median(&[4, 1, 2, 3]), Some(2));
        assert_eq!(median(&[3, 5]), Some(4));
        assert_eq!(median(&[u64::MAX, u64::MAX]), Some(u64::MAX));
    }
}
