//! The checker on hand-made polls: statuses, kernel readings and stream
//! progress built here, times passed in, no lab.

use super::*;
use crate::soak::kernel::Endpoint;
use crate::soak::truth::Timers;
use crate::soak::view::WanView;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const TABLES: [u32; 2] = [101, 102];
const STALL: Duration = Duration::from_secs(10);

/// A checker whose agent answered at 0.
fn checker() -> Checker {
    Checker::new(7, Bounds::new(Timers::LAB, ms(250)), TABLES, STALL, ms(0))
}

/// A status with each WAN (and its IPv4 family) in the state given, which
/// it entered at `since`, and the announcements its conditions call for.
fn view(states: [(&str, &str); 2]) -> View {
    let wans: Vec<WanView> = states
        .iter()
        .map(|(state, since)| WanView {
            state: state.to_string(),
            since: since.to_string(),
            v4: state.to_string(),
            v4_since: since.to_string(),
            hold: ms(1000),
            hold_min: ms(1000),
            transitions: 0,
        })
        .collect();
    let mut v = View {
        wans,
        established: true,
        announced: Vec::new(),
    };
    v.announced = PREFIXES
        .iter()
        .map(|(p, cond)| {
            let state = if cond.holds(&v) {
                "announced"
            } else {
                "withdrawn"
            };
            (p.to_string(), state.to_string())
        })
        .collect();
    v
}

/// Both WANs up since the start.
fn healthy() -> View {
    view([("up", "t0"), ("up", "t0")])
}

/// A kernel with every rule and route of both WANs, and the endpoints of
/// the WANs in `endpoints`.
fn kernel(endpoints: &[Wan]) -> Kernel {
    let mut k = Kernel::default();
    for wan in endpoints {
        k.endpoints.push(Endpoint {
            id: wan.mptcp_id(),
            addr: wan.gw_v4().to_string(),
            flags: vec!["subflow".to_string()],
        });
    }
    for (wan, table) in Wan::ALL.into_iter().zip(TABLES) {
        let dev = wan.device();
        for (family, src, gateway) in [
            ("v4", wan.gw_v4().to_string(), wan.isp_v4().to_string()),
            ("v6", wan.gw_v6().to_string(), wan.isp_v6().to_string()),
        ] {
            k.rules.extend([
                format!("{family} 4200: from all oif {dev} lookup {table} proto 109"),
                format!("{family} 4210: from {src} lookup main suppress_prefixlength 0 proto 109"),
                format!("{family} 4220: from {src} lookup {table} proto 109"),
            ]);
            k.routes.push(format!(
                "{family} default via {gateway} dev {dev} table {table} proto 109"
            ));
        }
    }
    k
}

fn progress(verified: u64) -> Progress {
    Progress {
        sent: verified,
        verified,
        error: None,
    }
}

/// Polls every 250 ms from `from` to before `to` (ms); `poll` gives what
/// each poll sees. The status answers 10 ms after it is asked for.
fn polls(
    c: &mut Checker,
    from: u64,
    to: u64,
    mut poll: impl FnMut(Duration) -> (View, Kernel, Progress),
) {
    for t in (from..to).step_by(250) {
        let sent = ms(t);
        let (v, k, p) = poll(sent);
        c.observe(sent, sent.saturating_add(ms(10)), Some(&v), Some(&k), &p);
    }
}

/// The stream moves a kilobyte a poll.
fn moving(t: Duration) -> Progress {
    progress(u64::try_from(t.as_millis()).unwrap_or(0).saturating_mul(4))
}

fn whats(c: &Checker) -> Vec<&str> {
    c.violations.iter().map(|v| v.what.as_str()).collect()
}

#[test]
fn a_healthy_run_breaks_nothing() {
    let mut c = checker();
    polls(&mut c, 0, 30_000, |t| {
        (healthy(), kernel(&Wan::ALL), moving(t))
    });
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    assert_eq!(c.stats.polls, 120);
    assert_eq!(c.stats.gap_checks, 1, "the kernel was complete once due");
    assert_eq!(c.stats.transitions, [0, 0]);
    assert_eq!(c.polls.len(), 120);
    assert!(c.polls.iter().all(|p| p.conditions == [(true, ms(10)); 2]));
}

#[test]
fn a_blackhole_the_agent_does_not_see_flags_the_wan_state() {
    let mut c = checker();
    polls(&mut c, 0, 10_000, |t| {
        (healthy(), kernel(&Wan::ALL), moving(t))
    });
    c.fault_started(Wan::One, Fault::Blackhole, ms(10_000), ms(10_050));
    // Due down at 10.05 s + detect (2.9 s) = 12.95 s.
    polls(&mut c, 10_000, 13_000, |t| {
        (healthy(), kernel(&Wan::ALL), moving(t))
    });
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    polls(&mut c, 13_000, 14_000, |t| {
        (healthy(), kernel(&Wan::ALL), moving(t))
    });
    assert_eq!(whats(&c), ["wan1 state"], "{:?}", c.violations);
    let v = &c.violations[0];
    assert_eq!(v.at, ms(13_000));
    assert!(v.expected.starts_with("down since 12.950 s"), "{v}");
    assert!(v.seen.starts_with("up"), "{v}");
}

#[test]
fn an_endpoint_left_behind_its_family_is_flagged() {
    let mut c = checker();
    polls(&mut c, 0, 10_000, |t| {
        (healthy(), kernel(&Wan::ALL), moving(t))
    });
    c.fault_started(Wan::One, Fault::Blackhole, ms(10_000), ms(10_050));
    let down = || view([("down", "t1"), ("up", "t0")]);
    // Seen down from 11 s, its endpoint still in the kernel: the endpoint
    // may lag by `follow` (2.95 s), so until 13.95 s.
    polls(&mut c, 11_000, 14_000, |t| {
        (down(), kernel(&Wan::ALL), moving(t))
    });
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    polls(&mut c, 14_000, 15_000, |t| {
        (down(), kernel(&Wan::ALL), moving(t))
    });
    assert_eq!(
        whats(&c),
        ["wan1 MPTCP endpoint id 1"],
        "{:?}",
        c.violations
    );
    assert_eq!(c.violations[0].at, ms(14_000));
    assert_eq!(c.violations[0].seen, "present (subflow)");
    assert!(c.violations[0].expected.starts_with("absent"));
    // Gone from the kernel: nothing more.
    polls(&mut c, 15_000, 20_000, |t| {
        (down(), kernel(&[Wan::Two]), moving(t))
    });
    assert_eq!(c.violations.len(), 1, "{:?}", c.violations);
    assert_eq!(c.stats.detection["black hole"].count, 1);
}

#[test]
fn a_doubled_rule_is_a_duplicate() {
    let mut c = checker();
    let mut twice = kernel(&Wan::ALL);
    let rule = twice.rules[0].clone();
    twice.rules.push(rule.clone());
    polls(&mut c, 0, 2_000, |t| (healthy(), twice.clone(), moving(t)));
    assert_eq!(whats(&c), ["gw's kernel"], "reported once while it lasts");
    assert_eq!(c.violations[0].at, ms(0));
    assert!(c.violations[0].seen.contains(&rule), "{:?}", c.violations);
    // Gone, then back: reported again.
    polls(&mut c, 2_000, 3_000, |t| {
        (healthy(), kernel(&Wan::ALL), moving(t))
    });
    polls(&mut c, 3_000, 3_250, |t| {
        (healthy(), twice.clone(), moving(t))
    });
    assert_eq!(whats(&c), ["gw's kernel", "gw's kernel"]);
}

#[test]
fn a_stream_without_progress_while_a_path_is_usable_is_flagged() {
    let mut c = checker();
    // Progress up to 1 s (last seen at 1.01 s), then none.
    let stuck = |t: Duration| moving(t.min(ms(1000)));
    polls(&mut c, 0, 11_250, |t| {
        (healthy(), kernel(&Wan::ALL), stuck(t))
    });
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    polls(&mut c, 11_250, 12_000, |t| {
        (healthy(), kernel(&Wan::ALL), stuck(t))
    });
    assert_eq!(whats(&c), ["the MPTCP stream"], "{:?}", c.violations);
    assert_eq!(c.violations[0].at, ms(11_250));
    assert_eq!(c.violations[0].seen, "no byte verified since 1.010 s");
    assert!(c.stats.max_stall > STALL);
}

#[test]
fn no_path_no_stall() {
    let mut c = checker();
    // Neither endpoint in the kernel: the stream may stand still (the
    // endpoints' own check flags the kernel).
    polls(&mut c, 0, 2_000, |t| {
        (healthy(), kernel(&Wan::ALL), moving(t))
    });
    polls(&mut c, 2_000, 20_000, |_| {
        (healthy(), kernel(&[]), progress(8000))
    });
    assert!(
        !whats(&c).contains(&"the MPTCP stream"),
        "{:?}",
        c.violations
    );
    assert_eq!(c.stats.max_stall, Duration::ZERO);
}

#[test]
fn conditions_name_their_wans() {
    assert_eq!(Condition::Wan2.wans(), [Wan::Two]);
    assert_eq!(Condition::Any.wans(), Wan::ALL);
    let one_up = view([("up", "t0"), ("down", "t0")]);
    assert!(!Condition::Wan2.holds(&one_up));
    assert!(Condition::Any.holds(&one_up));
}
