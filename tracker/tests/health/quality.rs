//! Latency and loss over the window: `degraded` at a failure limit, back to
//! `up` only within both recovery limits (hysteresis), exact thresholds.

use mpwan_tracker::{Family, HealthParams, Outcome, Reason};

use crate::harness::*;

const F: Family = Family::V4;

/// Timeout long enough for slow replies to count as replies.
fn slow_params() -> HealthParams {
    HealthParams {
        timeout: secs(2),
        ..HealthParams::default()
    }
}

#[test]
fn up_to_degraded_on_mean_latency_not_on_single_replies() {
    let mut h = Harness::new(slow_params(), 1, 0);
    h.rounds(3, F, &[ok(100)]);
    assert_eq!(h.wan.state(), Up);
    // 1.5 s replies, one at a time: the window mean is 450, 660, 800, 900,
    // 975 ms (at or below the 1000 ms limit), then 1033 ms.
    for _ in 0..5 {
        assert!(changes(&h.round(F, &[ok(1500)])).is_empty());
    }
    let a = h.round(F, &[ok(1500)]);
    assert_eq!(changes(&a), vec![(V4, Up, Degraded), (WAN, Up, Degraded)]);
    let t = transitions(&a)[0];
    assert_eq!(
        t.reason,
        Reason::QualityBreached {
            latency: true,
            loss: false
        }
    );
    assert_eq!(t.quality.rtt_avg, Some(ms(9300) / 9));
    assert_eq!(t.quality.lost, 0);
}

#[test]
fn degraded_to_up_only_below_the_recovery_latency() {
    let mut h = Harness::new(slow_params(), 1, 0);
    h.rounds(3, F, &[ok(100)]);
    h.rounds(6, F, &[ok(1500)]);
    assert_eq!(h.wan.state(), Degraded);
    // Window [100 x3, 1500 x6], then 100 ms replies push in: the mean goes
    // 940, 940, 940, 940, 800, 660, 520 ms (between the 500 ms recovery and
    // the 1000 ms failure limit: stays degraded), then 380 ms: up.
    let means = [940, 940, 940, 940, 800, 660, 520];
    for mean in means {
        assert!(changes(&h.round(F, &[ok(100)])).is_empty());
        assert_eq!(h.wan.quality().rtt_avg, Some(ms(mean)));
        assert_eq!(h.wan.state(), Degraded);
    }
    let a = h.round(F, &[ok(100)]);
    assert_eq!(changes(&a), vec![(V4, Degraded, Up), (WAN, Degraded, Up)]);
    let t = transitions(&a)[0];
    assert_eq!(t.reason, Reason::QualityRecovered);
    assert_eq!(t.quality.rtt_avg, Some(ms(380)));
}

#[test]
fn latency_exactly_at_the_failure_limit_is_within_it() {
    let mut h = Harness::new(slow_params(), 1, 0);
    let a = h.rounds(3, F, &[ok(1000)]);
    assert_eq!(changes(&a), vec![(V4, Init, Up), (WAN, Init, Up)]);
    // 1 ns over on average: (3000 + 1000.000004) / 4 > 1000 ms.
    let a = h.round(
        F,
        &[Outcome::Reply {
            rtt: ms(1000) + std::time::Duration::from_nanos(4),
        }],
    );
    assert_eq!(changes(&a), vec![(V4, Up, Degraded), (WAN, Up, Degraded)]);
}

/// Ten targets, any one answering passes a round, and a window of one
/// round: each round's loss is the window's loss, and a lossy round still
/// passes (quality is judged on passed rounds only).
fn ten_targets() -> Harness {
    let params = HealthParams {
        window: 1,
        ..HealthParams::default()
    };
    let mut h = Harness::new(params, 10, 0);
    h.rounds(3, F, &[ok(20); 10]);
    assert_eq!(h.wan.state(), Up);
    h
}

/// A round in which the first `lost` of ten targets are lost.
fn lossy(lost: usize) -> Vec<Outcome> {
    (0..10)
        .map(|i| if i < lost { LOST } else { ok(20) })
        .collect()
}

#[test]
fn loss_exactly_at_the_failure_limit_is_within_it() {
    let mut h = ten_targets();
    // 4 of 10 lost = 40 %, and failure_loss = 40 means "more than 40 %".
    assert!(changes(&h.round(F, &lossy(4))).is_empty());
    let q = h.wan.quality();
    assert_eq!((q.lost, q.sent), (4, 10));
    assert_eq!(q.loss_percent(), Some(40.0));
    assert_eq!(h.wan.state(), Up);
    // 5 of 10 = 50 %.
    let a = h.round(F, &lossy(5));
    assert_eq!(changes(&a), vec![(V4, Up, Degraded), (WAN, Up, Degraded)]);
    assert_eq!(
        transitions(&a)[0].reason,
        Reason::QualityBreached {
            latency: false,
            loss: true
        }
    );
}

#[test]
fn loss_recovers_only_at_or_below_the_recovery_limit() {
    let mut h = ten_targets();
    h.round(F, &lossy(5));
    assert_eq!(h.wan.state(), Degraded);
    // 40 %, 30 %, 20 %: inside the band between the 10 %
    // recovery and the 40 % failure limit: still degraded.
    for lost in [4, 3, 2] {
        assert!(changes(&h.round(F, &lossy(lost))).is_empty());
        assert_eq!(h.wan.quality().lost, u32::try_from(lost).unwrap());
        assert_eq!(h.wan.state(), Degraded);
    }
    // 1 of 10 = 10 % = recovery_loss: up.
    let a = h.round(F, &lossy(1));
    assert_eq!(changes(&a), vec![(V4, Degraded, Up), (WAN, Degraded, Up)]);
    assert_eq!(transitions(&a)[0].quality.lost, 1);
}

#[test]
fn a_dying_link_goes_down_without_passing_through_degraded() {
    // One target: every lost probe is a failed round. Failed rounds count
    // towards `down` and are not judged for quality, so a black hole gives
    // up -> down, not up -> degraded -> down.
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    h.rounds(3, F, &[ok(20)]);
    assert!(changes(&h.round(F, &[LOST])).is_empty());
    assert!(changes(&h.round(F, &[LOST])).is_empty());
    let a = h.round(F, &[LOST]);
    assert_eq!(changes(&a), vec![(V4, Up, Down), (WAN, Up, Down)]);
}

#[test]
fn a_failed_round_never_recovers_a_degraded_family() {
    // Three targets that must all answer, and a window of one round, so a
    // single round decides the quality.
    let params = HealthParams {
        reliability: 3,
        window: 1,
        timeout: secs(2),
        failure_loss: 50,
        recovery_loss: 40,
        ..HealthParams::default()
    };
    let mut h = Harness::new(params, 3, 0);
    h.rounds(3, F, &[ok(20), ok(20), ok(20)]);
    assert_eq!(h.wan.state(), Up);
    let a = h.round(F, &[ok(1500), ok(1500), ok(1500)]);
    assert_eq!(changes(&a), vec![(V4, Up, Degraded), (WAN, Up, Degraded)]);
    // 20 ms and 1 of 3 lost are within the recovery limits, but the round
    // failed (2 answers, reliability 3): no evidence of recovery.
    assert!(changes(&h.round(F, &[ok(20), ok(20), LOST])).is_empty());
    assert_eq!(h.wan.quality().lost, 1);
    assert_eq!(h.wan.state(), Degraded);
    let a = h.round(F, &[ok(20), ok(20), ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Degraded, Up), (WAN, Degraded, Up)]);
}

#[test]
fn a_family_that_becomes_usable_with_a_bad_window_is_degraded() {
    // One of three targets is dead: rounds pass (reliability 1) with a
    // third of the probes lost, above a 30 % failure limit.
    let params = HealthParams {
        failure_loss: 30,
        ..HealthParams::default()
    };
    let mut h = Harness::new(params, 3, 0);
    let a = h.rounds(3, F, &[ok(20), ok(20), LOST]);
    assert_eq!(
        changes(&a),
        vec![(V4, Init, Degraded), (WAN, Init, Degraded)]
    );
    assert_eq!(
        transitions(&a)[0].reason,
        Reason::Passed {
            rounds: 3,
            hold_down: std::time::Duration::ZERO
        }
    );
}

#[test]
fn a_recovering_family_is_judged_on_its_passing_run_only() {
    // Ten lost rounds fill the window; the run of passes that brings the
    // family back starts a fresh window, so it comes back up, not degraded.
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    h.rounds(3, F, &[ok(20)]);
    h.rounds(10, F, &[LOST]);
    assert_eq!(h.wan.state(), Down);
    let a = h.rounds(13, F, &[ok(20)]);
    assert_eq!(changes(&a), vec![(V4, Down, Up), (WAN, Down, Up)]);
    assert_eq!(transitions(&a)[0].quality.lost, 0);
}
