//! The WAN state combined from its IPv4 and IPv6 families.

use mpwan_tracker::{Family, HealthParams, HealthState, Reason, Scope};

use crate::harness::*;
use crate::sim::{Link, Sim};

fn dual() -> Sim {
    Sim::new(
        HealthParams::default(),
        vec![Link::Reply(ms(20)), Link::Reply(ms(25))],
        vec![Link::Reply(ms(30))],
        3,
    )
}

/// (scope, from, to) of the transitions logged since index `from`.
fn changes_since(sim: &Sim, from: usize) -> Vec<(Scope, HealthState, HealthState)> {
    sim.transitions()[from..]
        .iter()
        .map(|(_, t)| (t.scope, t.from, t.to))
        .collect()
}

#[test]
fn a_dead_ipv6_path_is_not_hidden_by_a_live_ipv4_one() {
    let mut sim = dual();
    sim.run_until(secs(5));
    // IPv4's replies come first; the WAN waits for IPv6's round that ran
    // alongside (5 ms later) and is judged on both.
    assert_eq!(
        changes_since(&sim, 0),
        vec![(V4, Init, Up), (V6, Init, Up), (WAN, Init, Up)]
    );
    let mark = sim.transitions().len();
    sim.set_all(Family::V6, Link::Lost);
    sim.run_until(secs(15));
    assert_eq!(
        changes_since(&sim, mark),
        vec![(V6, Up, Down), (WAN, Up, Degraded)]
    );
    let (_, t) = *sim.transitions().last().expect("transition");
    assert_eq!(
        t.reason,
        Reason::Families {
            v4: Some(Up),
            v6: Some(Down)
        }
    );
    // The WAN's figures cover both windows: 10 IPv4 rounds of 2 probes,
    // all answered, and an IPv6 window (1 probe a round) with losses.
    let v4 = sim.h.wan.family(Family::V4).expect("v4").quality();
    let v6 = sim.h.wan.family(Family::V6).expect("v6").quality();
    assert_eq!((v4.lost, v4.sent), (0, 20));
    assert!(v6.lost >= 3);
    let wan = sim.h.wan.quality();
    assert_eq!((wan.lost, wan.sent), (v6.lost, 20 + v6.sent));
    // Both dead: down.
    let mark = sim.transitions().len();
    sim.set_all(Family::V4, Link::Lost);
    sim.run_until(secs(25));
    assert_eq!(
        changes_since(&sim, mark),
        vec![(V4, Up, Down), (WAN, Degraded, Down)]
    );
    // IPv4 back (after its hold-down): degraded again, then IPv6: up.
    let mark = sim.transitions().len();
    sim.set_all(Family::V4, Link::Reply(ms(20)));
    sim.run_until(secs(45));
    sim.set_all(Family::V6, Link::Reply(ms(30)));
    sim.run_until(secs(65));
    assert_eq!(
        changes_since(&sim, mark),
        vec![
            (V4, Down, Up),
            (WAN, Down, Degraded),
            (V6, Down, Up),
            (WAN, Degraded, Up)
        ]
    );
}

#[test]
fn a_degraded_family_makes_the_wan_degraded() {
    let mut sim = Sim::new(
        HealthParams {
            timeout: secs(2),
            ..HealthParams::default()
        },
        vec![Link::Reply(ms(20))],
        vec![Link::Reply(ms(30))],
        3,
    );
    sim.run_until(secs(5));
    assert_eq!(sim.h.wan.state(), Up);
    let mark = sim.transitions().len();
    sim.set_all(Family::V4, Link::Reply(ms(1900)));
    sim.run_until(secs(30));
    assert_eq!(
        changes_since(&sim, mark),
        vec![(V4, Up, Degraded), (WAN, Up, Degraded)]
    );
}

#[test]
fn a_family_still_in_init_does_not_hold_the_wan_back() {
    let mut h = Harness::new(HealthParams::default(), 1, 1);
    // IPv4 answers; IPv6 rounds are reported as errors every other round,
    // so IPv6 decides nothing.
    let mut seen = Vec::new();
    for i in 0..3 {
        seen.extend(changes(&h.round(Family::V4, &[ok(20)])));
        let v6 = if i % 2 == 0 { ok(30) } else { LOST };
        seen.extend(changes(&h.round(Family::V6, &[v6])));
    }
    assert_eq!(seen, vec![(V4, Init, Up), (WAN, Init, Up)]);
    assert_eq!(h.wan.family(Family::V6).expect("v6").state(), Init);
}

#[test]
fn a_single_family_wan_follows_its_family() {
    let mut sim = Sim::new(
        HealthParams::default(),
        vec![],
        vec![Link::Reply(ms(30))],
        3,
    );
    sim.run_until(secs(3));
    assert_eq!(
        changes_since(&sim, 0),
        vec![(V6, Init, Up), (WAN, Init, Up)]
    );
    let (_, t) = *sim.transitions().last().expect("transition");
    assert_eq!(
        t.reason,
        Reason::Families {
            v4: None,
            v6: Some(Up)
        }
    );
    assert!(sim.h.wan.family(Family::V4).is_none());
    assert_eq!(sim.h.wan.snapshot(sim.h.now).families.len(), 1);
}

#[test]
fn a_black_hole_takes_the_wan_straight_down_even_when_one_family_reports_first() {
    // IPv4's rounds report 5 ms before IPv6's. Both die at once: the WAN
    // must go up -> down, never through a degraded it never was.
    let mut sim = dual();
    sim.run_until(secs(5));
    let mark = sim.transitions().len();
    sim.set_all(Family::V4, Link::Lost);
    sim.set_all(Family::V6, Link::Lost);
    sim.run_until(secs(15));
    let wan: Vec<_> = changes_since(&sim, mark)
        .into_iter()
        .filter(|(scope, _, _)| *scope == WAN)
        .collect();
    assert_eq!(wan, vec![(WAN, Up, Down)]);
    // And back: straight up again, after both families' hold-downs.
    let mark = sim.transitions().len();
    sim.set_all(Family::V4, Link::Reply(ms(20)));
    sim.set_all(Family::V6, Link::Reply(ms(30)));
    sim.run_until(secs(40));
    let wan: Vec<_> = changes_since(&sim, mark)
        .into_iter()
        .filter(|(scope, _, _)| *scope == WAN)
        .collect();
    assert_eq!(wan, vec![(WAN, Down, Up)]);
}
