//! RFC 7606 (revised UPDATE error handling), one case per rule, each
//! asserting the exact outcome: the session reset with its code and
//! subcode, treat-as-withdraw with its prefixes and reason, or attribute
//! discard.

use std::net::Ipv4Addr;

use mpwan_bgp::wire::*;

const WK: u8 = 0x40; // well-known (transitive)
const OT: u8 = 0xc0; // optional transitive
const ON: u8 = 0x80; // optional non-transitive

fn attr(flags: u8, type_code: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![flags, type_code];
    if flags & 0x10 != 0 {
        v.extend(
            u16::try_from(value.len())
                .expect("short test value")
                .to_be_bytes(),
        );
    } else {
        v.push(u8::try_from(value.len()).expect("short test value"));
    }
    v.extend_from_slice(value);
    v
}

fn origin() -> Vec<u8> {
    attr(WK, 1, &[0])
}

fn as_path() -> Vec<u8> {
    attr(WK, 2, &[2, 1, 0, 0, 0xfd, 0xe9])
}

fn next_hop() -> Vec<u8> {
    attr(WK, 3, &[192, 0, 2, 1])
}

/// MP_REACH_NLRI for IPv6 unicast announcing 2001:db8:1::/48.
fn mp_reach() -> Vec<u8> {
    let mut v = vec![0, 2, 1, 16];
    v.extend([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    v.push(0);
    v.extend([48, 0x20, 0x01, 0x0d, 0xb8, 0, 1]);
    attr(ON, 14, &v)
}

/// MP_UNREACH_NLRI for IPv6 unicast withdrawing 2001:db8:2::/48.
fn mp_unreach() -> Vec<u8> {
    attr(ON, 15, &[0, 2, 1, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 2])
}

const NLRI: [u8; 4] = [24, 10, 0, 0]; // 10.0.0.0/24
const WITHDRAWN: [u8; 3] = [16, 10, 9]; // 10.9.0.0/16

fn body(withdrawn: &[u8], attrs: &[Vec<u8>], nlri: &[u8]) -> Vec<u8> {
    let attrs = attrs.concat();
    let mut v = Vec::new();
    v.extend(u16::try_from(withdrawn.len()).expect("short").to_be_bytes());
    v.extend_from_slice(withdrawn);
    v.extend(u16::try_from(attrs.len()).expect("short").to_be_bytes());
    v.extend_from_slice(&attrs);
    v.extend_from_slice(nlri);
    v
}

fn decode(b: &[u8]) -> Result<Update, DecodeError> {
    Update::decode(b, &Negotiated::FOUR_OCTET_AS)
}

/// A valid UPDATE with `extra` appended to the mandatory attributes.
fn with(extra: Vec<u8>) -> Result<Update, DecodeError> {
    decode(&body(
        &WITHDRAWN,
        &[origin(), as_path(), next_hop(), extra],
        &NLRI,
    ))
}

fn p(s: &str) -> Prefix {
    s.parse().expect("test prefix")
}

fn assert_withdraw(r: Result<Update, DecodeError>, type_code: u8, problem: Problem) {
    match r {
        Err(DecodeError::TreatAsWithdraw { withdrawn, reason }) => {
            assert_eq!(reason, Malformed { type_code, problem });
            assert_eq!(
                withdrawn,
                [p("10.0.0.0/24"), p("10.9.0.0/16")],
                "NLRI and withdrawn routes"
            );
        }
        other => panic!("expected treat-as-withdraw for {type_code}/{problem:?}, got {other:?}"),
    }
}

fn assert_reset(r: Result<Update, DecodeError>, sub: UpdateSubcode) -> Vec<u8> {
    match r {
        Err(DecodeError::SessionReset(n)) => {
            assert_eq!(n.code, ErrorCode::Update(sub));
            n.data
        }
        other => panic!("expected session reset with {sub:?}, got {other:?}"),
    }
}

fn assert_discard(r: Result<Update, DecodeError>, type_code: u8, problem: Problem) -> Update {
    let u = r.unwrap_or_else(|e| panic!("expected attribute discard, got {e}"));
    assert_eq!(u.discarded, [Malformed { type_code, problem }]);
    assert_eq!(u.nlri, [p("10.0.0.0/24")], "the UPDATE goes on");
    u
}

#[test]
fn valid_baseline() {
    let u = with(Vec::new()).expect("valid");
    assert_eq!(u.nlri, [p("10.0.0.0/24")]);
    assert_eq!(u.withdrawn, [p("10.9.0.0/16")]);
    assert!(u.discarded.is_empty());
}

// 7.1 ORIGIN
#[test]
fn origin_malformed_is_treat_as_withdraw() {
    let bad = |v: &[u8]| {
        decode(&body(
            &WITHDRAWN,
            &[attr(WK, 1, v), as_path(), next_hop()],
            &NLRI,
        ))
    };
    assert_withdraw(bad(&[3]), 1, Problem::Value);
    assert_withdraw(bad(&[0, 0]), 1, Problem::Length(2));
    assert_withdraw(bad(&[]), 1, Problem::Length(0));
}

// 7.2 AS_PATH (RFC 7606 6)
#[test]
fn as_path_malformed_is_treat_as_withdraw() {
    let bad = |v: &[u8]| {
        decode(&body(
            &WITHDRAWN,
            &[origin(), attr(WK, 2, v), next_hop()],
            &NLRI,
        ))
    };
    assert_withdraw(bad(&[5, 1, 0, 0, 0, 1]), 2, Problem::Segment);
    assert_withdraw(bad(&[2, 0]), 2, Problem::Segment);
    assert_withdraw(bad(&[2, 2, 0, 0, 0, 1]), 2, Problem::Segment);
    assert_withdraw(bad(&[2]), 2, Problem::Segment);
    // A 2-octet path read as 4-octet does not line up either.
    assert_withdraw(bad(&[2, 1, 0xfd, 0xe9]), 2, Problem::Segment);
}

// 7.3 NEXT_HOP
#[test]
fn next_hop_malformed_is_treat_as_withdraw() {
    let bad = |v: &[u8]| {
        decode(&body(
            &WITHDRAWN,
            &[origin(), as_path(), attr(WK, 3, v)],
            &NLRI,
        ))
    };
    assert_withdraw(bad(&[192, 0, 2, 1, 0]), 3, Problem::Length(5));
    assert_withdraw(bad(&[0, 0, 0, 0]), 3, Problem::NextHop);
    assert_withdraw(bad(&[224, 0, 0, 1]), 3, Problem::NextHop);
    assert_withdraw(bad(&[255, 255, 255, 255]), 3, Problem::NextHop);
    // Unused (no IPv4 NLRI), a zero NEXT_HOP is ignored (RFC 4760 3).
    let mp_only = decode(&body(
        &[],
        &[mp_reach(), origin(), as_path(), attr(WK, 3, &[0, 0, 0, 0])],
        &[],
    ));
    assert!(mp_only.is_ok());
}

// 7.4, 7.5 MED, LOCAL_PREF
#[test]
fn med_and_local_pref_length_is_treat_as_withdraw() {
    assert_withdraw(with(attr(ON, 4, &[0, 0, 1])), 4, Problem::Length(3));
    assert_withdraw(with(attr(WK, 5, &[0, 0, 0, 0, 1])), 5, Problem::Length(5));
    let ok = with(attr(ON, 4, &[0, 0, 1, 0])).expect("valid MED");
    assert_eq!(ok.attributes.med, Some(256));
}

// 7.6, 7.7 ATOMIC_AGGREGATE, AGGREGATOR
#[test]
fn aggregate_attributes_are_discarded() {
    let u = assert_discard(with(attr(WK, 6, &[1])), 6, Problem::Length(1));
    assert!(!u.attributes.atomic_aggregate);
    let u = assert_discard(
        with(attr(OT, 7, &[0, 0, 0xfd, 0xe9, 192, 0, 2])),
        7,
        Problem::Length(7),
    );
    assert_eq!(u.attributes.aggregator, None);
    // 6 octets is the 2-octet form: wrong once 4-octet AS is negotiated.
    assert_discard(
        with(attr(OT, 7, &[0xfd, 0xe9, 192, 0, 2, 1])),
        7,
        Problem::Length(6),
    );
}

// 7.8 COMMUNITIES, RFC 8092 5 LARGE_COMMUNITY
#[test]
fn communities_malformed_is_treat_as_withdraw() {
    assert_withdraw(with(attr(OT, 8, &[0, 0, 0, 1, 0])), 8, Problem::Length(5));
    assert_withdraw(with(attr(OT, 8, &[])), 8, Problem::Length(0));
    assert_withdraw(with(attr(OT, 32, &[0; 11])), 32, Problem::Length(11));
    let ok = with(attr(OT, 8, &[0xff, 0xff, 0, 6])).expect("valid");
    assert!(ok.attributes.has_community(Community::LLGR_STALE));
}

// 3.c flags
#[test]
fn flag_conflicts_follow_the_attribute_rule() {
    let origin_optional = decode(&body(
        &WITHDRAWN,
        &[attr(OT, 1, &[0]), as_path(), next_hop()],
        &NLRI,
    ));
    assert_withdraw(origin_optional, 1, Problem::Flags(OT));
    assert_withdraw(with(attr(WK, 4, &[0, 0, 0, 1])), 4, Problem::Flags(WK));
    assert_withdraw(with(attr(ON, 8, &[0, 0, 0, 1])), 8, Problem::Flags(ON));
    assert_discard(
        with(attr(WK, 7, &[0, 0, 0, 1, 1, 1, 1, 1])),
        7,
        Problem::Flags(WK),
    );
    // The Partial and Extended Length bits are not conflicts.
    let ok = with(attr(OT | 0x20 | 0x10, 8, &[0, 0, 0, 1])).expect("valid");
    assert_eq!(ok.attributes.communities, [Community(1)]);
}

// 3.d missing mandatory attributes
#[test]
fn missing_mandatory_is_treat_as_withdraw() {
    let without = |attrs: &[Vec<u8>]| decode(&body(&WITHDRAWN, attrs, &NLRI));
    assert_withdraw(without(&[as_path(), next_hop()]), 1, Problem::Missing);
    assert_withdraw(without(&[origin(), next_hop()]), 2, Problem::Missing);
    assert_withdraw(without(&[origin(), as_path()]), 3, Problem::Missing);
    // MP routes need ORIGIN and AS_PATH but no NEXT_HOP.
    assert!(decode(&body(&[], &[mp_reach(), origin(), as_path()], &[])).is_ok());
    match decode(&body(&[], &[mp_reach(), as_path()], &[])) {
        Err(DecodeError::TreatAsWithdraw { withdrawn, reason }) => {
            assert_eq!(withdrawn, [p("2001:db8:1::/48")]);
            assert_eq!(
                reason,
                Malformed {
                    type_code: 1,
                    problem: Problem::Missing
                }
            );
        }
        other => panic!("expected treat-as-withdraw, got {other:?}"),
    }
    // Withdrawals alone need nothing.
    assert!(decode(&body(&WITHDRAWN, &[], &[])).is_ok());
}

// 3.g duplicates
#[test]
fn duplicates() {
    let u = decode(&body(
        &WITHDRAWN,
        &[origin(), attr(WK, 1, &[1]), as_path(), next_hop()],
        &NLRI,
    ))
    .expect("valid");
    assert_eq!(
        u.attributes.origin,
        Some(Origin::Igp),
        "the first one counts"
    );
    assert_eq!(
        u.discarded,
        [Malformed {
            type_code: 1,
            problem: Problem::Duplicate
        }]
    );
    let twice = decode(&body(
        &[],
        &[mp_reach(), mp_reach(), origin(), as_path()],
        &[],
    ));
    assert_reset(twice, UpdateSubcode::MalformedAttributeList);
    let twice = decode(&body(&[], &[mp_unreach(), mp_unreach()], &[]));
    assert_reset(twice, UpdateSubcode::MalformedAttributeList);
}

// 7.11, 7.12, 5.3 MP_REACH / MP_UNREACH
#[test]
fn multiprotocol_problems_reset_the_session() {
    let mut bad_nh = vec![0, 2, 1, 4, 192, 0, 2, 1, 0];
    bad_nh.extend([48, 0x20, 0x01, 0x0d, 0xb8, 0, 1]);
    let raw = attr(ON, 14, &bad_nh);
    let data = assert_reset(
        decode(&body(&[], &[raw.clone(), origin(), as_path()], &[])),
        UpdateSubcode::OptionalAttributeError,
    );
    assert_eq!(data, raw, "the data is the erroneous attribute");
    let bad_nlri = attr(
        ON,
        14,
        &[
            0, 2, 1, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 129,
        ],
    );
    assert_reset(
        decode(&body(&[], &[bad_nlri, origin(), as_path()], &[])),
        UpdateSubcode::InvalidNetworkField,
    );
    let overrun = attr(ON, 15, &[0, 2, 1, 64, 0x20, 0x01]);
    assert_reset(
        decode(&body(&[], &[overrun], &[])),
        UpdateSubcode::InvalidNetworkField,
    );
    assert_reset(
        decode(&body(&[], &[attr(ON, 15, &[0, 2])], &[])),
        UpdateSubcode::OptionalAttributeError,
    );
    let flags = attr(WK, 14, &mp_reach()[3..]);
    assert_reset(
        decode(&body(&[], &[flags, origin(), as_path()], &[])),
        UpdateSubcode::AttributeFlagsError,
    );
}

// 4 attribute list overrun, 3.j
#[test]
fn attribute_list_overrun() {
    // ORIGIN claims 5 bytes where 1 remains.
    let cut = vec![WK, 1, 5, 0];
    assert_reset(
        decode(&body(&WITHDRAWN, &[as_path(), cut.clone()], &NLRI)),
        UpdateSubcode::MalformedAttributeList,
    );
    // Half an attribute header.
    assert_reset(
        decode(&body(&[], &[origin(), vec![WK]], &[])),
        UpdateSubcode::MalformedAttributeList,
    );
    // Both MP attributes already read: every route is located, so
    // treat-as-withdraw is possible.
    match decode(&body(
        &WITHDRAWN,
        &[mp_unreach(), mp_reach(), origin(), cut],
        &NLRI,
    )) {
        Err(DecodeError::TreatAsWithdraw { withdrawn, reason }) => {
            assert_eq!(
                reason,
                Malformed {
                    type_code: 1,
                    problem: Problem::Overrun
                }
            );
            assert_eq!(
                withdrawn,
                [
                    p("10.0.0.0/24"),
                    p("2001:db8:1::/48"),
                    p("10.9.0.0/16"),
                    p("2001:db8:2::/48")
                ]
            );
        }
        other => panic!("expected treat-as-withdraw, got {other:?}"),
    }
}

// RFC 4271 6.3 field lengths, 3.i and 5.3 NLRI syntax
#[test]
fn field_lengths_and_nlri_syntax() {
    let mut b = body(&WITHDRAWN, &[origin(), as_path(), next_hop()], &NLRI);
    b[1] = 200; // withdrawn length beyond the message
    assert_reset(decode(&b), UpdateSubcode::MalformedAttributeList);
    let mut b = body(&[], &[origin(), as_path(), next_hop()], &[]);
    b[3] = 200; // total attribute length beyond the message
    assert_reset(decode(&b), UpdateSubcode::MalformedAttributeList);
    assert_reset(decode(&[0]), UpdateSubcode::MalformedAttributeList);
    let attrs = [origin(), as_path(), next_hop()];
    assert_reset(
        decode(&body(&[], &attrs, &[33, 10, 0, 0, 0, 0])),
        UpdateSubcode::InvalidNetworkField,
    );
    assert_reset(
        decode(&body(&[], &attrs, &[24, 10, 0])),
        UpdateSubcode::InvalidNetworkField,
    );
    assert_reset(
        decode(&body(&[16, 10], &attrs, &NLRI)),
        UpdateSubcode::InvalidNetworkField,
    );
}

// RFC 4271 5, 6.3 unknown attributes
#[test]
fn unknown_attributes() {
    let raw = attr(WK, 99, &[1, 2]);
    let data = assert_reset(
        with(raw.clone()),
        UpdateSubcode::UnrecognizedWellKnownAttribute,
    );
    assert_eq!(data, raw);
    let kept = with(attr(OT, 99, &[1, 2])).expect("valid");
    assert_eq!(
        kept.attributes.other,
        [RawAttribute {
            flags: OT | 0x20,
            type_code: 99,
            value: vec![1, 2]
        }],
        "passed on with the Partial bit"
    );
    let dropped = with(attr(ON, 99, &[1, 2])).expect("valid");
    assert!(
        dropped.attributes.other.is_empty(),
        "optional non-transitive: ignored"
    );
}

// 3.h strongest action wins
#[test]
fn strongest_action_wins() {
    let bad_origin = attr(WK, 1, &[7]);
    let bad_mp = attr(ON, 15, &[0, 2]);
    assert_reset(
        decode(&body(&[], &[bad_origin.clone(), as_path(), bad_mp], &[])),
        UpdateSubcode::OptionalAttributeError,
    );
    let bad_agg = attr(OT, 7, &[0]);
    let r = decode(&body(
        &WITHDRAWN,
        &[bad_agg, bad_origin, as_path(), next_hop()],
        &NLRI,
    ));
    assert_withdraw(r, 1, Problem::Value);
    // An attribute error in an UPDATE with no routes withdraws nothing.
    match decode(&body(&[], &[attr(WK, 1, &[7])], &[])) {
        Err(DecodeError::TreatAsWithdraw { withdrawn, .. }) => assert!(withdrawn.is_empty()),
        other => panic!("expected treat-as-withdraw, got {other:?}"),
    }
}

// RFC 6793: AS4_PATH and AS4_AGGREGATOR
#[test]
fn four_octet_as_attributes() {
    // From a peer that negotiated 4-octet AS: ignored.
    let as4 = attr(OT, 17, &[2, 1, 0xfa, 0x56, 0xea, 0]);
    assert_discard(with(as4.clone()), 17, Problem::Unexpected);
    // From an old speaker: merged into the path.
    let old = Negotiated::default();
    let two_octet_path = attr(WK, 2, &[2, 2, 0xfd, 0xea, 0x5b, 0xa0]); // 65002 23456
    let agg = attr(OT, 7, &[0x5b, 0xa0, 192, 0, 2, 9]);
    let as4_agg = attr(OT, 18, &[0xfa, 0x56, 0xea, 0, 192, 0, 2, 9]);
    let b = body(
        &[],
        &[
            origin(),
            two_octet_path.clone(),
            next_hop(),
            as4,
            agg,
            as4_agg,
        ],
        &NLRI,
    );
    let u = Update::decode(&b, &old).expect("valid");
    assert_eq!(
        u.attributes.as_path,
        Some(AsPath::from_sequence([65002, 4_200_000_000]))
    );
    assert_eq!(
        u.attributes.aggregator,
        Some(Aggregator {
            asn: 4_200_000_000,
            address: Ipv4Addr::new(192, 0, 2, 9)
        })
    );
    // A malformed AS4_PATH is discarded; AS_PATH stays as received.
    let bad_as4 = attr(OT, 17, &[2, 1, 0, 0]);
    let b = body(&[], &[origin(), two_octet_path, next_hop(), bad_as4], &NLRI);
    let u = Update::decode(&b, &old).expect("valid");
    assert_eq!(
        u.discarded,
        [Malformed {
            type_code: 17,
            problem: Problem::Segment
        }]
    );
    assert_eq!(
        u.attributes.as_path,
        Some(AsPath::from_sequence([65002, 23456]))
    );
}

// Through the whole-message entry point.
#[test]
fn message_level() {
    let b = body(
        &WITHDRAWN,
        &[attr(WK, 1, &[9]), as_path(), next_hop()],
        &NLRI,
    );
    let mut frame = vec![0xff; 16];
    frame.extend(u16::try_from(19 + b.len()).expect("short").to_be_bytes());
    frame.push(2);
    frame.extend(&b);
    let r = Message::decode(&frame, &Negotiated::FOUR_OCTET_AS);
    assert!(matches!(r, Err(DecodeError::TreatAsWithdraw { .. })));
    assert_eq!(r.as_ref().err().and_then(|e| e.notification()), None);
    // A frame longer than its header says.
    frame.push(0);
    let r = Message::decode(&frame, &Negotiated::FOUR_OCTET_AS);
    let n = r
        .err()
        .and_then(|e| e.notification().cloned())
        .expect("session reset");
    assert_eq!(
        n.code,
        ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength)
    );
}
