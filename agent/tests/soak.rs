//! The fault soak, bounded for CI (issue 7): about a minute of black
//! holes, loss bursts and carrier losses on both WANs of the lab, with two
//! `kill -9`s of the agent, while an MPTCP stream runs and a gobgpd peer
//! watches the announcements. Every invariant is checked by
//! `mpwan_lab::soak` (see its module documentation); a violation names
//! the seed, replayed with `MPWAN_SOAK_SEED=<seed>`.

use std::path::PathBuf;
use std::time::Duration;

use mpwan_lab::skip_without_netns;
use mpwan_lab::soak::{self, Options};

const MPWAN: &str = env!("CARGO_BIN_EXE_mpwan");

#[test]
fn a_minute_of_faults_and_two_crashes_break_no_invariant() {
    if skip_without_netns("a_minute_of_faults_and_two_crashes_break_no_invariant") {
        return;
    }
    // The seed: MPWAN_SOAK_SEED if set, else a random one.
    let opts = Options::new(PathBuf::from(MPWAN), Duration::from_secs(60), 2);
    let report = soak::run(&opts).expect("the soak could not run");
    eprintln!("{report}");
    assert!(report.passed(), "{report}");
    assert_eq!(report.restarts, 2, "{report}");
}
