//! The detection-time arithmetic of the module documentation, checked on
//! the simulated network with the default parameters.

use mpwan_tracker::health::REPORT_SLACK;
use mpwan_tracker::{Family, HealthParams};

use crate::harness::*;
use crate::sim::{Link, Sim};

const F: Family = Family::V4;
const RTT: u64 = 20;

fn steady() -> Sim {
    let mut sim = Sim::new(
        HealthParams::default(),
        vec![Link::Reply(ms(RTT))],
        vec![],
        7,
    );
    sim.run_until(secs(10) + ms(RTT));
    assert_eq!(sim.h.wan.state(), Up);
    sim
}

fn first_down(sim: &Sim) -> std::time::Duration {
    sim.transitions()
        .into_iter()
        .find(|(_, t)| t.scope == V4 && t.to == Down)
        .map(|(at, _)| at)
        .expect("went down")
}

#[test]
fn worst_case_blackhole_to_down_is_3_4_s_with_defaults() {
    let params = HealthParams::default();
    assert_eq!(params.worst_case_detection(), ms(3400));
    // The round started at 10 s got its reply at 10.02 s; the blackhole
    // begins right after: the worst moment.
    let mut sim = steady();
    let start = sim.h.elapsed();
    sim.set_all(F, Link::Lost);
    sim.run_until(secs(20));
    // 11 s -> 11.8 s, 11.8 -> 12.6, 12.6 -> 13.4: down.
    assert_eq!(first_down(&sim), ms(13_400));
    assert_eq!(
        first_down(&sim) - start,
        params.worst_case_detection() - ms(RTT)
    );
}

#[test]
fn best_case_blackhole_to_down_is_2_4_s_with_defaults() {
    let mut sim = steady();
    sim.run_until(ms(10_999));
    sim.set_all(F, Link::Lost);
    sim.run_until(secs(20));
    assert_eq!(first_down(&sim) - ms(10_999), ms(2401));
}

#[test]
fn a_silent_driver_adds_the_report_slack_per_round() {
    // The driver loses the round entirely: the machine fails it at
    // timeout + REPORT_SLACK, so each round lasts 1 s here.
    let mut h = Harness::new(HealthParams::default(), 1, 0);
    h.rounds(3, F, &[ok(RTT)]);
    let last_reply = h.now;
    let mut down_at = None;
    for _ in 0..10 {
        let a = h.advance();
        if changes(&a).contains(&(V4, Up, Down)) {
            down_at = Some(h.now);
            break;
        }
    }
    let down_at = down_at.expect("went down");
    assert_eq!(REPORT_SLACK, ms(200));
    // Rounds at 3 s, 4 s, 5 s, each failed 1 s later.
    assert_eq!(down_at - last_reply, ms(4000) - ms(RTT));
}

#[test]
fn recovery_after_an_outage_takes_up_rounds_plus_hold_down() {
    let mut sim = steady();
    sim.set_all(F, Link::Lost);
    // Down at 13.4 s (see above); then rounds every recovery_interval from
    // the last start (12.6 s): 13.6, 14.6, ... 20.6 s.
    // Heal just after the round of 20.6 s started: that round still fails.
    sim.run_until(ms(20_601));
    assert_eq!(sim.starts(F).last(), Some(&ms(20_600)));
    sim.set_all(F, Link::Reply(ms(RTT)));
    sim.run_until(secs(60));
    let up = sim
        .transitions()
        .into_iter()
        .find(|(_, t)| t.scope == V4 && t.from == Down && t.to == Up)
        .map(|(at, _)| at)
        .expect("came back");
    // Passes at 21.6, 22.6, 23.6 s (hold-down from 23.62 s), up at
    // 33.62 s: the lost round, 3 x 1 s, and 10 s after the heal.
    assert_eq!(up, ms(33_620));
}
