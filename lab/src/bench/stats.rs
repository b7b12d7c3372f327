//! Min, median and max of a benchmark's samples ([`Summary`]: durations,
//! or KiB counts), the table cells made of them (`median (min-max)`), and
//! the Markdown table the benchmarks print.

use std::time::Duration;

/// A sample type with a middle between two values, for the median of an
/// even count.
pub trait Midpoint: Copy + Ord {
    /// The mean of `low` and `high` (`low <= high`), rounded down (for
    /// durations, to within a nanosecond), without overflow.
    fn midpoint(low: Self, high: Self) -> Self;
}

impl Midpoint for Duration {
    /// Halves first: the sum of two durations could overflow. Each half
    /// is rounded down to the nanosecond.
    fn midpoint(low: Duration, high: Duration) -> Duration {
        low / 2 + high / 2
    }
}

impl Midpoint for u64 {
    /// Halves first, as for durations, then the two halves' remainders.
    fn midpoint(low: u64, high: u64) -> u64 {
        low / 2 + high / 2 + (low % 2 + high % 2) / 2
    }
}

/// The summary of one measurement's samples (durations unless said).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary<T = Duration> {
    /// How many samples.
    pub n: usize,
    /// The smallest sample.
    pub min: T,
    /// The middle sample; with an even count, the mean of the two middle
    /// ones ([`Midpoint`]).
    pub median: T,
    /// The largest sample.
    pub max: T,
}

impl<T: Midpoint> Summary<T> {
    /// `None` for no samples.
    pub fn of(samples: &[T]) -> Option<Summary<T>> {
        let mut s = samples.to_vec();
        s.sort();
        let (first, last) = (*s.first()?, *s.last()?);
        let mid = s.len() / 2;
        let median = match (s.len() % 2, mid.checked_sub(1)) {
            (0, Some(below)) => T::midpoint(s[below], s[mid]),
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

/// A duration in milliseconds with `decimals` decimals, as a bare number:
/// `12.35` with 2.
pub fn ms_number(d: Duration, decimals: usize) -> String {
    format!("{:.*}", decimals, d.as_secs_f64() * 1000.0)
}

/// A duration in milliseconds with `decimals` decimals: `12.35 ms` with 2,
/// `2931.4 ms` with 1. Each benchmark picks the precision its goals need.
pub fn ms(d: Duration, decimals: usize) -> String {
    format!("{} ms", ms_number(d, decimals))
}

/// A table cell of samples: the median, with min-max when there are
/// several (`1234 (1200-1300)`), each written by `f`; `-` for none.
fn cell<T: Midpoint>(samples: &[T], f: impl Fn(T) -> String) -> String {
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
    cell(samples, |d| ms_number(d, decimals))
}

/// A cell of MiB from KiB samples, with `decimals` decimals (see [`cell`]).
pub fn mib_cell(kib: &[u64], decimals: usize) -> String {
    cell(kib, |k| format!("{:.*}", decimals, k as f64 / 1024.0))
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
        assert_eq!(Summary::<Duration>::of(&[]), None);
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
    fn medians_of_kib() {
        let median = |v: &[u64]| Summary::of(v).map(|s| s.median);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[9, 1, 5]), Some(5));
        assert_eq!(median(&[4, 1, 2, 3]), Some(2));
        assert_eq!(median(&[3, 5]), Some(4));
        assert_eq!(median(&[1, 3]), Some(2));
        assert_eq!(median(&[u64::MAX, u64::MAX]), Some(u64::MAX));
        // What mib_cell used to compute through microseconds.
        for (a, b) in [(1u64, 3u64), (2, 5), (4000, 4097), (7, 7)] {
            let as_d = Summary::of(&[Duration::from_micros(a), Duration::from_micros(b)]).unwrap();
            assert_eq!(median(&[a, b]), Some(as_d.median.as_micros() as u64));
        }
    }

    #[test]
    fn cells_show_median_and_range() {
        let d = Duration::from_millis;
        assert_eq!(ms_cell(&[d(30), d(10), d(20)], 0), "20 (10-30)");
        assert_eq!(ms_cell(&[d(7)], 1), "7.0");
        assert_eq!(ms_cell(&[], 0), "-");
        assert_eq!(mib_cell(&[1024, 2048, 3072], 1), "2.0 (1.0-3.0)");
        assert_eq!(mib_cell(&[1024, 2048, 3072], 2), "2.00 (1.00-3.00)");
        assert_eq!(mib_cell(&[1536], 1), "1.5");
        assert_eq!(mib_cell(&[1025, 1028], 2), "1.00 (1.00-1.00)");
        assert_eq!(mib_cell(&[], 2), "-");
    }

    #[test]
    fn milliseconds_take_the_decimals_asked_for() {
        assert_eq!(ms(Duration::from_micros(12_346), 2), "12.35 ms");
        assert_eq!(ms(Duration::from_micros(2_931_449), 1), "2931.4 ms");
        assert_eq!(ms(Duration::from_micros(2_931_449), 0), "2931 ms");
        assert_eq!(ms_number(Duration::from_micros(12_346), 2), "12.35");
    }
}
