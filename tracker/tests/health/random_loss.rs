//! Random loss that a healthy WAN must ride out: three targets,
//! reliability 2, independent loss per probe, 120 rounds.
//!
//! The arithmetic, with `down` = 3: a round fails when 2 or 3 of its 3
//! probes are lost.
//!
//! - At 20 % loss: P(fail) = 3 x 0.2^2 x 0.8 + 0.2^3 = 0.104, so three
//!   failed rounds in a row start at a given round with P = 0.104^3 =
//!   0.0011, and a run of 120 rounds reaches `down` with P = 0.113 (a
//!   three-state Markov chain over the run length). The window (10 rounds,
//!   30 probes) breaches the 40 % loss limit with 13+ of 30 lost: P = 0.003
//!   per full window, about 0.10 over a run (more while the window is
//!   short). So about one run in five sees a transition: a test over one
//!   arbitrary seed could fail for some seeds, which is why
//!   `twenty_percent_loss_...` uses one fixed seed (checked: it rides
//!   through, with single and double failed rounds along the way), and
//!   `the_false_alarm_rate_matches_the_arithmetic` checks the rate over 400
//!   fixed seeds instead.
//! - At 10 % loss: P(fail) = 0.028, P(three in a row) = 2.2e-5 per round,
//!   P(down in 120 rounds) = 0.0025, and the loss limit practically never
//!   (2e-4 per run, simulated).

use mpwan_tracker::{Family, HealthParams, Outcome};

use crate::harness::*;

const F: Family = Family::V4;

struct Run {
    transitions: usize,
    lost: u32,
    sent: u32,
    /// Longest run of failed rounds seen.
    max_failed: u32,
}

fn lossy_run(seed: u64, percent: u64, rounds: u32) -> Run {
    let params = HealthParams {
        reliability: 2,
        ..HealthParams::default()
    };
    let mut h = Harness::new(params, 3, 0);
    h.rounds(3, F, &[ok(20), ok(20), ok(20)]);
    assert_eq!(h.wan.state(), Up);
    let mut rng = XorShift::new(seed);
    let mut run = Run {
        transitions: 0,
        lost: 0,
        sent: 0,
        max_failed: 0,
    };
    for _ in 0..rounds {
        let outcomes: Vec<Outcome> = (0..3)
            .map(|_| if rng.chance(percent) { LOST } else { ok(20) })
            .collect();
        let lost = outcomes.iter().filter(|o| **o == LOST).count();
        run.lost += u32::try_from(lost).expect("three");
        run.sent += 3;
        run.transitions += transitions(&h.round(F, &outcomes)).len();
        run.max_failed = run.max_failed.max(h.wan.snapshot(h.now).families[0].failed);
    }
    run
}

#[test]
fn twenty_percent_loss_for_120_rounds_changes_nothing() {
    let run = lossy_run(SEED_20, 20, 120);
    assert_eq!(run.transitions, 0);
    // The loss was really there, and failed rounds did happen (two in a
    // row at most): the machine rode them out rather than never seeing any.
    let percent = f64::from(run.lost) * 100.0 / f64::from(run.sent);
    assert!((15.0..=25.0).contains(&percent), "loss {percent} %");
    assert_eq!(run.max_failed, 2);
}

#[test]
fn ten_percent_loss_for_120_rounds_changes_nothing() {
    let run = lossy_run(SEED_10, 10, 120);
    assert_eq!(run.transitions, 0);
    let percent = f64::from(run.lost) * 100.0 / f64::from(run.sent);
    assert!((7.0..=13.0).contains(&percent), "loss {percent} %");
    assert!(run.max_failed >= 1);
}

#[test]
fn the_false_alarm_rate_matches_the_arithmetic() {
    // About 20 % of runs (11 % down, 10 % degraded, simulated) see a
    // transition at 20 % loss; 400 runs put 4 standard deviations at
    // +-8 points.
    let alarms = (1..=400u64)
        .filter(|seed| lossy_run(*seed, 20, 120).transitions > 0)
        .count();
    assert!((48..=120).contains(&alarms), "{alarms} of 400 runs");
    // At 10 % loss: about 0.2 % of runs.
    let alarms = (1..=400u64)
        .filter(|seed| lossy_run(*seed, 10, 120).transitions > 0)
        .count();
    assert!(alarms <= 6, "{alarms} of 400 runs");
}

// Seed 3 rides out 20 % loss with two failed rounds in a row at worst;
// of seeds 1 to 20, seeds 2, 10 and 11 do not (a `down` or a `degraded`),
// as the arithmetic above predicts for about one run in five.
const SEED_20: u64 = 3;
const SEED_10: u64 = 3;
