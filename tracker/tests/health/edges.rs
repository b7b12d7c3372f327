//! Edge cases of rounds and reports.

use mpwan_tracker::{Event, Family, HealthParams, RoundId, RoundReport, TargetId, TargetResult};

use crate::harness::*;

const F: Family = Family::V4;

fn three_up(reliability: u32) -> Harness {
    let mut h = Harness::new(
        HealthParams {
            reliability,
            ..HealthParams::default()
        },
        3,
        0,
    );
    h.rounds(3, F, &[ok(20), ok(25), ok(30)]);
    assert_eq!(h.wan.state(), Up);
    h
}

#[test]
fn every_target_timing_out_at_once_is_a_failed_round() {
    let mut h = three_up(1);
    assert!(changes(&h.rounds(2, F, &[LOST, LOST, LOST])).is_empty());
    let a = h.round(F, &[LOST, LOST, LOST]);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
    let q = transitions(&a)[0].quality;
    assert_eq!((q.lost, q.sent), (9, 18));
}

#[test]
fn a_driver_that_never_reports_fails_its_rounds() {
    let mut h = three_up(1);
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.extend(changes(&h.advance()));
    }
    assert_eq!(seen, vec![(V4, Up, Down), (WAN, Up, Down)]);
}

/// Target 2 is dead for four rounds, alive for four, over and over.
fn flapping_target(h: &mut Harness, rounds: u32) -> Vec<mpwan_tracker::Action> {
    (0..rounds)
        .flat_map(|i| {
            let third = if (i / 4) % 2 == 0 { LOST } else { ok(30) };
            h.round(F, &[ok(20), ok(25), third])
        })
        .collect()
}

#[test]
fn one_flapping_target_with_reliability_one_changes_nothing() {
    let mut h = three_up(1);
    // At worst 6 of the 30 probes in the window are lost (four dead rounds
    // and two of the next four): 20 %, below the 40 % failure limit.
    let a = flapping_target(&mut h, 40);
    assert!(changes(&a).is_empty());
    assert_eq!(h.wan.state(), Up);
    let snap = h.wan.snapshot(h.now);
    let per_target: Vec<u32> = snap.families[0].targets.iter().map(|t| t.lost).collect();
    assert_eq!(per_target, vec![0, 0, 4]);
}

#[test]
fn one_flapping_target_with_reliability_equal_to_targets_takes_it_down() {
    let mut h = three_up(3);
    let a = flapping_target(&mut h, 40);
    // Down on its third dead round; four live rounds then start a
    // hold-down that the next dead round clears, so it stays down.
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
    assert_eq!(h.wan.state(), Down);
}

#[test]
fn reports_for_other_rounds_are_ignored() {
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    h.advance();
    let (_, id, _) = h.pending[0];
    let now = h.now + ms(10);
    // A wrong id, a family that is not tracked, then the real report
    // twice: only the first real one counts.
    assert!(h.report_at(F, RoundId(id.0 + 7), &[ok(20)], now).is_empty());
    assert!(h.report_at(Family::V6, id, &[ok(20)], now).is_empty());
    assert_eq!(h.wan.snapshot(now).families[0].passed, 0);
    h.report_at(F, id, &[ok(20)], now);
    h.report_at(F, id, &[ok(20)], now);
    assert_eq!(h.wan.snapshot(now).families[0].passed, 1);
}

#[test]
fn missing_duplicate_and_unknown_results() {
    let mut h = Harness::new(
        HealthParams {
            reliability: 2,
            ..HealthParams::default()
        },
        2,
        0,
    );
    h.advance();
    let (_, id, _) = h.pending[0];
    let result = |t, outcome| TargetResult {
        target: TargetId(t),
        outcome,
    };
    // Target 1 missing (lost), target 0 twice (the first counts), target 9
    // unknown (ignored): one answer, reliability 2, the round fails.
    let report = RoundReport {
        family: F,
        round: id,
        results: vec![result(0, ok(20)), result(0, LOST), result(9, ok(20))],
    };
    h.feed_at(Event::Round(report), h.now + ms(800));
    let snap = h.wan.snapshot(h.now);
    assert_eq!(snap.families[0].failed, 1);
    let t: Vec<(Option<std::time::Duration>, u32, u32)> = snap.families[0]
        .targets
        .iter()
        .map(|t| (t.last_rtt, t.lost, t.sent))
        .collect();
    assert_eq!(t, vec![(Some(ms(20)), 0, 1), (None, 1, 1)]);
}

#[test]
fn per_target_figures_in_the_snapshot() {
    let mut h = Harness::new(HealthParams::default(), 3, 0);
    h.round(F, &[ok(10), ok(20), LOST]);
    h.round(F, &[ok(12), LOST, LOST]);
    let snap = h.wan.snapshot(h.now);
    let fam = &snap.families[0];
    assert_eq!(fam.targets[0].last_rtt, Some(ms(12)));
    // The latest reply is kept when later probes are lost.
    assert_eq!(fam.targets[1].last_rtt, Some(ms(20)));
    assert_eq!(fam.targets[1].loss_percent(), Some(50.0));
    assert_eq!(fam.targets[2].last_rtt, None);
    assert_eq!(fam.targets[2].loss_percent(), Some(100.0));
    assert_eq!(fam.quality.rtt_avg, Some(ms(14)));
    assert_eq!((fam.quality.lost, fam.quality.sent), (3, 6));
    assert_eq!(snap.quality, fam.quality);
}
