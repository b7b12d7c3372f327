//! The long fault soak behind `bench/soak`: `mpwan_lab::soak` for N
//! minutes (default 10) with one agent crash per minute (at least two),
//! printing the report; exit status 1 when an invariant broke.
//!
//! Usage: mpwan-soak [--minutes N] [--quick] [--seed S] PATH-TO-MPWAN   (as root)
//! `--quick`: one minute. Without `--seed`, `MPWAN_SOAK_SEED` or a random
//! seed. With `MPWAN_BENCH_SUMMARY=FILE`, the figures are also appended to
//! FILE (`mpwan_lab::bench::summary`, for `bench/run`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mpwan_lab::bench::summary;
use mpwan_lab::soak::{self, Options};

const USAGE: &str =
    "usage: mpwan-soak [--minutes N] [--quick] [--seed S] PATH-TO-MPWAN   (as root)";

struct Args {
    minutes: u32,
    seed: Option<u64>,
    mpwan: PathBuf,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Args> {
    let mut minutes = 10;
    let mut seed = None;
    let mut mpwan = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => minutes = 1,
            "--minutes" => {
                let n = it.next().context("--minutes needs a number")?;
                minutes = n
                    .parse()
                    .ok()
                    .filter(|m| (1..=24 * 60).contains(m))
                    .with_context(|| format!("--minutes {n:?}: expected 1 to 1440"))?;
            }
            "--seed" => {
                let s = it.next().context("--seed needs a number")?;
                seed = Some(
                    s.parse()
                        .with_context(|| format!("--seed {s:?} is not a number"))?,
                );
            }
            s if s.starts_with('-') => bail!("unknown option {s}"),
            _ if mpwan.is_none() => mpwan = Some(PathBuf::from(a)),
            _ => bail!("one path to mpwan, please"),
        }
    }
    Ok(Args {
        minutes,
        seed,
        mpwan: mpwan.context("the path to mpwan is missing")?,
    })
}

/// The report's figures as `soak.*` summary lines.
fn record(r: &soak::Report) -> Result<()> {
    let s = &r.stats;
    summary::record("soak.seed", r.seed, "seed")?;
    summary::record("soak.faults", r.faults_injected(), "faults")?;
    summary::record("soak.restarts", r.restarts, "restarts")?;
    summary::record(
        "soak.transitions",
        s.transitions[0].saturating_add(s.transitions[1]),
        "transitions",
    )?;
    for (kind, d) in &s.detection {
        let key = kind.replace(' ', "_");
        summary::record(&format!("soak.{key}_max_ms"), d.max.as_millis(), "ms")?;
        summary::record(&format!("soak.{key}_bound_ms"), d.bound.as_millis(), "ms")?;
    }
    summary::record("soak.recovery_max_ms", s.recovery.max.as_millis(), "ms")?;
    summary::record("soak.stream_max_stall_ms", s.max_stall.as_millis(), "ms")?;
    if let Some(t) = r.usage.iter().max_by_key(|t| t.samples) {
        summary::record("soak.fds_first", t.fds.0, "fds")?;
        summary::record("soak.fds_last", t.fds.1, "fds")?;
        summary::record("soak.rss_first_kib", t.rss_kib.0, "KiB")?;
        summary::record("soak.rss_last_kib", t.rss_kib.1, "KiB")?;
    }
    summary::record("soak.violations", r.violations.len(), "violations")
}

fn main() {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("mpwan-soak: {e:#}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let outcome = (|| -> Result<soak::Report> {
        let mpwan = std::fs::canonicalize(&args.mpwan)
            .with_context(|| format!("{}", args.mpwan.display()))?;
        let mut opts = Options::new(
            mpwan,
            Duration::from_secs(u64::from(args.minutes).saturating_mul(60)),
            args.minutes.max(2),
        );
        opts.seed = args.seed;
        soak::run(&opts)
    })();
    match outcome {
        Ok(report) => {
            println!("{report}");
            if let Err(e) = record(&report) {
                eprintln!("mpwan-soak: {e:#}");
            }
            if !report.passed() {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("\nmpwan-soak FAILED: {e:#}");
            std::process::exit(1);
        }
    }
}
