//! Parameters and targets the machine refuses.

use std::time::Duration;

use mpwan_tracker::health::{MAX_DURATION, MAX_TARGETS, MAX_WINDOW};
use mpwan_tracker::{Family, HealthParams, ParamsError, TargetId, WanHealth};

use crate::harness::*;

fn check(params: HealthParams, v4: &[TargetId], v6: &[TargetId]) -> Result<(), ParamsError> {
    WanHealth::new(params, v4, v6, base()).map(|_| ())
}

fn with(f: impl FnOnce(&mut HealthParams)) -> Result<(), ParamsError> {
    let mut p = HealthParams::default();
    f(&mut p);
    check(p, &targets(1), &[])
}

#[test]
fn the_defaults_are_those_of_design_md() {
    let p = HealthParams::default();
    assert_eq!(p.interval, secs(1));
    assert_eq!(p.failure_interval, ms(500));
    assert_eq!(p.recovery_interval, secs(1));
    assert_eq!(p.timeout, ms(800));
    assert_eq!((p.down, p.up, p.reliability), (3, 3, 1));
    assert_eq!(p.hold_down, secs(10));
    assert_eq!(p.failure_latency, ms(1000));
    assert_eq!(p.recovery_latency, ms(500));
    assert_eq!((p.failure_loss, p.recovery_loss), (40, 10));
    assert_eq!(p.window, 10);
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn impossible_values_are_refused() {
    assert_eq!(
        with(|p| p.down = 0),
        Err(ParamsError::Zero { name: "down" })
    );
    assert_eq!(with(|p| p.up = 0), Err(ParamsError::Zero { name: "up" }));
    assert_eq!(
        with(|p| p.reliability = 0),
        Err(ParamsError::Zero {
            name: "reliability"
        })
    );
    assert_eq!(
        with(|p| p.timeout = Duration::ZERO),
        Err(ParamsError::Zero { name: "timeout" })
    );
    assert_eq!(
        with(|p| p.failure_interval = Duration::ZERO),
        Err(ParamsError::Zero {
            name: "failure_interval"
        })
    );
    assert_eq!(
        with(|p| p.stable_period = Duration::ZERO),
        Err(ParamsError::Zero {
            name: "stable_period"
        })
    );
    assert_eq!(
        with(|p| p.hold_down = MAX_DURATION + ms(1)),
        Err(ParamsError::TooLong {
            name: "hold_down",
            max: MAX_DURATION
        })
    );
    assert_eq!(
        with(|p| p.failure_loss = 101),
        Err(ParamsError::PercentAbove100 {
            name: "failure_loss",
            value: 101
        })
    );
    assert_eq!(
        with(|p| p.recovery_loss = 41),
        Err(ParamsError::RecoveryAboveFailure {
            recovery: "recovery_loss",
            failure: "failure_loss"
        })
    );
    assert_eq!(
        with(|p| p.recovery_latency = secs(2)),
        Err(ParamsError::RecoveryAboveFailure {
            recovery: "recovery_latency",
            failure: "failure_latency"
        })
    );
    assert_eq!(
        with(|p| p.window = 0),
        Err(ParamsError::Window {
            value: 0,
            max: MAX_WINDOW
        })
    );
    assert_eq!(
        with(|p| p.window = MAX_WINDOW + 1),
        Err(ParamsError::Window {
            value: MAX_WINDOW + 1,
            max: MAX_WINDOW
        })
    );
    // Zero hold-down and equal limits (an empty band) are allowed.
    assert_eq!(
        with(|p| {
            p.hold_down = Duration::ZERO;
            p.recovery_loss = p.failure_loss;
            p.recovery_latency = p.failure_latency;
        }),
        Ok(())
    );
}

#[test]
fn bad_target_lists_are_refused() {
    let p = HealthParams::default;
    assert_eq!(check(p(), &[], &[]), Err(ParamsError::NoTargets));
    assert_eq!(
        check(p(), &[TargetId(1), TargetId(2), TargetId(1)], &[]),
        Err(ParamsError::DuplicateTarget {
            family: Family::V4,
            target: TargetId(1)
        })
    );
    let many = targets(u32::try_from(MAX_TARGETS).expect("small") + 1);
    assert_eq!(
        check(p(), &[], &many),
        Err(ParamsError::TooManyTargets {
            family: Family::V6,
            count: MAX_TARGETS + 1,
            max: MAX_TARGETS
        })
    );
    let two = HealthParams {
        reliability: 2,
        ..p()
    };
    assert_eq!(
        check(two, &targets(2), &targets(1)),
        Err(ParamsError::ReliabilityAboveTargets {
            family: Family::V6,
            reliability: 2,
            targets: 1
        })
    );
    // The same target id may serve both families.
    assert_eq!(check(p(), &targets(1), &targets(1)), Ok(()));
}

#[test]
fn errors_say_what_is_wrong() {
    let e = ParamsError::ReliabilityAboveTargets {
        family: Family::V6,
        reliability: 2,
        targets: 1,
    };
    assert_eq!(e.to_string(), "reliability 2 exceeds the 1 v6 targets");
}
