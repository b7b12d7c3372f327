//! The command line and setup every benchmark shares:
//! `NAME [--quick] PATH-TO-MPWAN`, run as root, failures printed as
//! `NAME FAILED: ...` with exit status 1, and the lab built with its build
//! time on stderr.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::Lab;

/// What a benchmark was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `--quick`: fewer runs, for a check rather than a measurement.
    pub quick: bool,
    /// The `mpwan` binary to measure, as given.
    pub mpwan: PathBuf,
}

impl Args {
    /// Reads the arguments after the program name; `Err` holds the exit
    /// status for the usage line: 0 when help was asked for, 2 on a bad
    /// command line.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, i32> {
        let mut quick = false;
        let mut mpwan = None;
        for arg in args {
            match arg.to_str() {
                Some("--quick") => quick = true,
                Some("-h" | "--help") => return Err(0),
                Some(s) if s.starts_with('-') => return Err(2),
                _ if mpwan.is_none() => mpwan = Some(PathBuf::from(arg)),
                _ => return Err(2),
            }
        }
        mpwan.map(|mpwan| Args { quick, mpwan }).ok_or(2)
    }
}

/// The whole of a benchmark's `main`: reads the command line (printing the
/// usage line and exiting on a bad one), resolves the path to `mpwan`, and
/// calls `run(quick, mpwan)`; on its error prints `name FAILED: ...` and
/// exits with status 1.
pub fn main(name: &str, run: impl FnOnce(bool, &Path) -> Result<()>) {
    let args = match Args::parse(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(code) => {
            eprintln!("usage: {name} [--quick] PATH-TO-MPWAN   (as root)");
            std::process::exit(code)
        }
    };
    let outcome = std::fs::canonicalize(&args.mpwan)
        .with_context(|| format!("{}", args.mpwan.display()))
        .and_then(|mpwan| run(args.quick, &mpwan));
    if let Err(e) = outcome {
        eprintln!("\n{name} FAILED: {e:#}");
        std::process::exit(1);
    }
}

/// Builds the lab and says on stderr how long that took.
pub fn build_lab() -> Result<Lab> {
    let lab = Lab::new().context("building the lab")?;
    eprintln!(
        "lab {} built in {} ms",
        lab.run_id(),
        lab.build_time().as_millis()
    );
    Ok(lab)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, i32> {
        Args::parse(args.iter().map(OsString::from))
    }

    #[test]
    fn the_command_line_is_quick_and_one_path() {
        assert_eq!(
            parse(&["--quick", "/bin/mpwan"]),
            Ok(Args {
                quick: true,
                mpwan: PathBuf::from("/bin/mpwan"),
            })
        );
        assert_eq!(
            parse(&["mpwan"]),
            Ok(Args {
                quick: false,
                mpwan: PathBuf::from("mpwan"),
            })
        );
        assert_eq!(parse(&["--help", "mpwan"]), Err(0));
        assert_eq!(parse(&["-h"]), Err(0));
        assert_eq!(parse(&[]), Err(2));
        assert_eq!(parse(&["--fast", "mpwan"]), Err(2));
        assert_eq!(parse(&["a", "b"]), Err(2));
    }
}
