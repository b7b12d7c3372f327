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

use super::stats::{Summary, ms_number};

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

/// The speakers a figure can be of: mpwan, or a peer measured in the same
/// run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Mpwan,
    Gobgpd,
    Bird,
}

impl Speaker {
    /// In the order of the tables' columns.
    pub const ALL: [Speaker; 3] = [Speaker::Mpwan, Speaker::Gobgpd, Speaker::Bird];

    /// Its name in tables and progress lines.
    pub fn label(self) -> &'static str {
        match self {
            Speaker::Mpwan => "mpwan",
            Speaker::Gobgpd => "gobgpd",
            Speaker::Bird => "BIRD",
        }
    }

    /// What its figures' keys end with: nothing for mpwan's.
    pub fn key_suffix(self) -> &'static str {
        match self {
            Speaker::Mpwan => "",
            Speaker::Gobgpd => "@gobgpd",
            Speaker::Bird => "@bird",
        }
    }
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
        Some(s) => record(key, ms_number(s.median, decimals), "ms"),
        None => Ok(()),
    }
}

/// The median of `kib` samples, in KiB; nothing when there are none.
pub fn record_kib(key: &str, kib: &[u64]) -> Result<()> {
    match Summary::of(kib) {
        Some(s) => record(key, s.median, "KiB"),
        None => Ok(()),
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
}
