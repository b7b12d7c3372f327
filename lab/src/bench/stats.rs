//! Min, median and max of a set of measured durations.

use std::time::Duration;

/// The summary of one measurement's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// How many samples.
    pub n: usize,
    /// The smallest sample.
    pub min: Duration,
    /// The middle sample; with an even count, the mean of the two middle
    /// ones.
    pub median: Duration,
    /// The largest sample.
    pub max: Duration,
}

impl Summary {
    /// `None` for no samples.
    pub fn of(samples: &[Duration]) -> Option<Summary> {
        let mut s = samples.to_vec();
        s.sort();
        let (first, last) = (*s.first()?, *s.last()?);
        let mid = s.len() / 2;
        let median = match (s.len() % 2, mid.checked_sub(1)) {
            // Halves first: the sum of two durations could overflow.
            (0, Some(below)) => s[below] / 2 + s[mid] / 2,
            _ => s[mid],
        };
        Some(Summary {
            n: s.len(),
            min: first,
            median,
            max: last,
        })
    }
}

/// A duration in milliseconds with `decimals` decimals: `12.35 ms` with 2,
/// `2931.4 ms` with 1. Each benchmark picks the precision its goals need.
pub fn ms(d: Duration, decimals: usize) -> String {
    format!("{:.*} ms", decimals, d.as_secs_f64() * 1000.0)
}

/// A table cell of samples: the median, with min-max when there are
/// several (`1234 (1200-1300)`), each written by `f`; `-` for none.
fn cell(samples: &[Duration], f: impl Fn(Duration) -> String) -> String {
    let Some(s) = Summary::of(samples) else {
        return "-".into();
    };
    if s.n == 1 {
        f(s.median)
    } else {
        format!("{} ({}-{})", f(s.median), f(s.min), f(s.max))
    }
}

/// A cell of milliseconds with `decimals` decimals (see [`cell`]).
pub fn ms_cell(samples: &[Duration], decimals: usize) -> String {
    cell(samples, |d| {
        format!("{:.*}", decimals, d.as_secs_f64() * 1000.0)
    })
}

/// A cell of MiB from KiB samples, with `decimals` decimals (see [`cell`]).
pub fn mib_cell(kib: &[u64], decimals: usize) -> String {
    // Summary works on durations: one KiB per microsecond keeps every
    // value exact.
    let as_d: Vec<Duration> = kib.iter().map(|&k| Duration::from_micros(k)).collect();
    cell(&as_d, |d| {
        format!("{:.*}", decimals, d.as_micros() as f64 / 1024.0)
    })
}

/// Prints `header` and `rows` as a Markdown table, each column as wide as
/// its widest cell.
pub fn print_table<R: AsRef<[String]>>(header: &[&str], rows: &[R]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in width.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<String> = (cells.zip(&width))
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("| {} |", cells.join(" | "));
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.as_ref().iter().map(String::as_str));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn odd_and_even_counts() {
        assert_eq!(Summary::of(&[]), None);
        let s = Summary::of(&[ms_(30), ms_(10), ms_(20)]).unwrap();
        assert_eq!(
            (s.n, s.min, s.median, s.max),
            (3, ms_(10), ms_(20), ms_(30))
        );
        let s = Summary::of(&[ms_(40), ms_(10), ms_(30), ms_(20)]).unwrap();
        assert_eq!(
            (s.n, s.min, s.median, s.max),
            (4, ms_(10), ms_(25), ms_(40))
        );
        let one = Summary::of(&[ms_(7)]).unwrap();
        assert_eq!((one.min, one.median, one.max), (ms_(7), ms_(7), ms_(7)));
        let huge = Summary::of(&[Duration::MAX, Duration::MAX]).unwrap();
        assert!(huge.median > Duration::MAX / 2);
    }

    #[test]
    fn milliseconds_take_the_decimals_asked_for() {
        assert_eq!(ms(Duration::from_micros(12_346), 2), "12.35 ms");
        assert_eq!(ms(Duration::from_micros(2_931_449), 1), "2931.4 ms");
        assert_eq!(ms(Duration::from_micros(2_931_449), 0), "2931 ms");
    }
}
