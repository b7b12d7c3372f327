//! The announce policy on condition flips: withdraw or degrade on down,
//! back to announced on up, nothing on a repeated value, and the checks
//! `Policy::new` makes. The conditions ("any", "all", a list of WANs) are
//! evaluated by the caller; here they are just names.

mod announce_support;

use announce_support::*;
use mpwan_bgp::announce::{
    Change, ConditionId, MAX_DEGRADE_COMMUNITIES, OnDown, Policy, PolicyError, PrefixState,
};
use mpwan_bgp::wire::Community;

use PrefixState::{Announced, Degraded, Withdrawn};

fn change(prefix: &str, from: PrefixState, to: PrefixState) -> Change {
    Change {
        prefix: p(prefix),
        from,
        to,
    }
}

#[test]
fn starts_as_if_no_condition_holds() {
    let pol = policy(vec![
        withdraw_spec("0.0.0.0/0", "any"),
        degrade_spec("2001:db8::/32", "all"),
    ]);
    assert_eq!(pol.state(&p("0.0.0.0/0")), Some(Withdrawn));
    assert_eq!(pol.state(&p("2001:db8::/32")), Some(Degraded));
    assert_eq!(pol.state(&p("10.0.0.0/8")), None);
    assert!(!pol.condition(&ConditionId::from("any")));
    let routes: Vec<_> = pol.routes().map(|r| r.prefix).collect();
    assert_eq!(routes, [p("2001:db8::/32")]);
}

#[test]
fn withdraw_on_down_and_back_on_up() {
    let mut pol = policy(vec![withdraw_spec("0.0.0.0/0", "any")]);
    assert_eq!(
        pol.set_condition("any", true),
        [change("0.0.0.0/0", Withdrawn, Announced)]
    );
    assert!(pol.condition(&"any".into()));
    let routes: Vec<_> = pol.routes().collect();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].degrade, None);
    assert_eq!(
        pol.set_condition("any", false),
        [change("0.0.0.0/0", Announced, Withdrawn)]
    );
    assert_eq!(pol.routes().count(), 0);
    assert_eq!(
        pol.set_condition("any", true),
        [change("0.0.0.0/0", Withdrawn, Announced)]
    );
}

#[test]
fn degrade_on_down_and_back_on_up() {
    let mut pol = policy(vec![degrade_spec("192.0.2.0/24", "wan1")]);
    assert_eq!(
        pol.set_condition("wan1", true),
        [change("192.0.2.0/24", Degraded, Announced)]
    );
    assert_eq!(
        pol.set_condition("wan1", false),
        [change("192.0.2.0/24", Announced, Degraded)]
    );
    let routes: Vec<_> = pol.routes().collect();
    assert_eq!(routes.len(), 1, "a degraded route is still carried");
    assert_eq!(routes[0].degrade, Some(&degrade()));
    assert_eq!(
        pol.set_condition("wan1", true),
        [change("192.0.2.0/24", Degraded, Announced)]
    );
    assert_eq!(pol.routes().next().and_then(|r| r.degrade), None);
}

#[test]
fn repeated_values_and_unused_conditions_change_nothing() {
    let mut pol = policy(vec![withdraw_spec("0.0.0.0/0", "any")]);
    assert!(pol.set_condition("any", false).is_empty(), "already down");
    assert_eq!(pol.set_condition("any", true).len(), 1);
    assert!(pol.set_condition("any", true).is_empty());
    assert!(pol.set_condition("nobody-uses-this", false).is_empty());
    assert_eq!(pol.state(&p("0.0.0.0/0")), Some(Announced));
}

#[test]
fn only_prefixes_of_the_flipped_condition_move() {
    // "any", "all" and a list of WANs: the agent evaluates each and hands
    // over its truth value under a name.
    let mut pol = policy(vec![
        withdraw_spec("0.0.0.0/0", "any"),
        degrade_spec("198.51.100.0/24", "all"),
        withdraw_spec("203.0.113.0/24", "wan1,wan2"),
        withdraw_spec("::/0", "any"),
    ]);
    let mut up = pol.set_condition("any", true);
    up.sort_by_key(|c| c.prefix);
    assert_eq!(
        up,
        [
            change("0.0.0.0/0", Withdrawn, Announced),
            change("::/0", Withdrawn, Announced),
        ]
    );
    assert_eq!(
        pol.set_condition("all", true),
        [change("198.51.100.0/24", Degraded, Announced)]
    );
    assert_eq!(
        pol.set_condition("wan1,wan2", true),
        [change("203.0.113.0/24", Withdrawn, Announced)]
    );
    // One WAN of two fails: the agent says "all" fails, "any" still holds.
    assert_eq!(
        pol.set_condition("all", false),
        [change("198.51.100.0/24", Announced, Degraded)]
    );
    assert!(pol.set_condition("any", true).is_empty());
    let states: Vec<_> = pol.status().into_iter().map(|s| s.state).collect();
    // Sorted by prefix: IPv4 before IPv6.
    assert_eq!(states, [Announced, Degraded, Announced, Announced]);
}

#[test]
fn status_serializes_lowercase() {
    let mut pol = policy(vec![
        withdraw_spec("0.0.0.0/0", "a"),
        degrade_spec("192.0.2.0/24", "b"),
        withdraw_spec("198.51.100.0/24", "c"),
    ]);
    pol.set_condition("a", true);
    let json = serde_json::to_value(pol.status()).expect("serializes");
    assert_eq!(
        json,
        serde_json::json!([
            { "prefix": "0.0.0.0/0", "state": "announced" },
            { "prefix": "192.0.2.0/24", "state": "degraded" },
            { "prefix": "198.51.100.0/24", "state": "withdrawn" },
        ])
    );
    let back: PrefixState = serde_json::from_str("\"degraded\"").expect("parses");
    assert_eq!(back, Degraded);
}

#[test]
fn rejects_duplicates_and_oversized_degrades() {
    let dup = Policy::new(vec![
        withdraw_spec("10.0.0.0/8", "a"),
        degrade_spec("10.0.0.0/8", "b"),
    ]);
    assert_eq!(
        dup.err(),
        Some(PolicyError::DuplicatePrefix(p("10.0.0.0/8")))
    );
    let mut big = degrade_spec("10.0.0.0/8", "a");
    let count = MAX_DEGRADE_COMMUNITIES + 1;
    if let OnDown::Degrade(d) = &mut big.on_down {
        d.communities = (0..count)
            .map(|i| Community::new(65001, u16::try_from(i).expect("small")))
            .collect();
    }
    assert_eq!(
        Policy::new(vec![big]).err(),
        Some(PolicyError::TooManyCommunities {
            prefix: p("10.0.0.0/8"),
            count
        })
    );
    assert!(Policy::new(Vec::new()).is_ok());
}
