//! The lab restates a few of the tracker's values in
//! `mpwan_lab::soak::truth` (the lab does not depend on the tracker
//! crate): the soak's bounds are derived from them. This pins them to the
//! tracker's own, so that a change here fails a test instead of loosening
//! or tightening the soak's bounds unseen.

use mpwan_lab::soak::truth::{self, Timers};
use mpwan_tracker::HealthParams;
use mpwan_tracker::health::REPORT_SLACK;

/// The tracker's parameters with the lab's timings, the rest default.
fn lab_params() -> HealthParams {
    let t = Timers::LAB;
    HealthParams {
        interval: t.interval,
        failure_interval: t.failure_interval,
        recovery_interval: t.recovery_interval,
        timeout: t.timeout,
        down: t.down,
        up: t.up,
        hold_down: t.hold_down,
        ..HealthParams::default()
    }
}

#[test]
fn the_lab_restates_the_trackers_defaults() {
    let d = HealthParams::default();
    assert_eq!(Timers::LAB.window, d.window);
    assert_eq!(Timers::LAB.hold_down_max, d.hold_down_max);
    assert_eq!(truth::REPORT_SLACK, REPORT_SLACK);
}

#[test]
fn the_labs_detection_bound_is_the_trackers_worst_case() {
    let p = lab_params();
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(Timers::LAB.worst_case_detection(), p.worst_case_detection());
    // Not only for the lab's timings: the defaults, and a failure
    // interval longer than the timeout.
    for params in [
        HealthParams::default(),
        HealthParams {
            failure_interval: p.timeout.saturating_mul(3),
            down: 5,
            ..p.clone()
        },
    ] {
        let t = Timers {
            interval: params.interval,
            failure_interval: params.failure_interval,
            recovery_interval: params.recovery_interval,
            timeout: params.timeout,
            down: params.down,
            up: params.up,
            hold_down: params.hold_down,
            window: params.window,
            hold_down_max: params.hold_down_max,
        };
        assert_eq!(t.worst_case_detection(), params.worst_case_detection());
    }
}
