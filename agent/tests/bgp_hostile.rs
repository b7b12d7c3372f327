//! Hostile peers and input: the agent in the lab's gateway with two
//! neighbors. gobgpd (10.99.0.2) is a well-behaved peer whose session must
//! stay Established, never reset, through everything. A second address in
//! the peer namespace (10.99.0.3, and 10.99.0.4 for GTSM) is a "hostile
//! peer": a raw TCP socket speaking hand-made bytes (`common/raw_bgp.rs`).
//! It is configured `passive`, so it connects to the agent's listener and
//! every case gets a fresh connection without waiting out the agent's
//! reconnect back-off.
//!
//! ```text
//!  [gw] agent 10.99.0.1 ─┬─ connects out ──▶ 10.99.0.2:1790 gobgpd  [peer]
//!        listens :1179 ◀─┴── raw socket from 10.99.0.3 (.4)          [peer]
//! ```
//! Each case asserts the exact NOTIFICATION read from the socket, or the
//! treat-as-withdraw outcome in `mpwan status --json`, and then that the
//! agent still runs and the gobgpd session was untouched.
//!
//! Two of these found deadlocks between a peer task and the agent's BGP
//! speaker, each waiting for the other's bounded queue: a flood of UPDATEs
//! (one `RibChanged` each) stalled the speaker's status refresh, so status
//! showed the flooding session "idle" with no routes; and a burst of
//! ROUTE-REFRESH requests froze the speaker for good, so WAN changes no
//! longer reached any peer.

mod common;
#[path = "common/raw_bgp.rs"]
mod raw_bgp;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use mpwan_lab::addr::{BGP_GW_V4, BGP_PEER_V4};
use mpwan_lab::bgp_peer::{Family, GobgpPeer};
use mpwan_lab::{AgentConfigOptions, BgpOptions, Role, Wan, skip_without_netns};
use raw_bgp::*;
use serde_json::Value;

const PEER_PORT: u16 = 1790;
const LISTEN_PORT: u16 = 1179;
const HOSTILE: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 3);
const HOSTILE2: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 4);
const HOSTILE_ASN: u32 = 65002;
/// For each message the hostile peer waits for.
const WAIT: Duration = Duration::from_secs(10);

/// `[[bgp.neighbor]]` for the hostile peer at `addr`, plus `more` keys.
fn hostile_neighbor(addr: Ipv4Addr, more: &str) -> String {
    format!("[[bgp.neighbor]]\naddress = \"{addr}\"\nasn = {HOSTILE_ASN}\npassive = true\n{more}")
}

/// A well-formed OPEN from the hostile peer: hold time 0 (no KEEPALIVEs
/// needed), IPv4 unicast, 4-octet AS, plus `more` capabilities.
fn good_open(more: &[Vec<u8>]) -> Vec<u8> {
    let mut caps = vec![cap_ipv4_unicast(), cap_four_octet(HOSTILE_ASN)];
    caps.extend_from_slice(more);
    open(4, HOSTILE_ASN as u16, 0, HOSTILE, &caps)
}

fn neighbor(s: &Value, addr: Ipv4Addr) -> &Value {
    let addr = addr.to_string();
    s["bgp"]["neighbors"]
        .as_array()
        .and_then(|ns| ns.iter().find(|n| n["address"] == addr.as_str()))
        .unwrap_or_else(|| panic!("no neighbor {addr} in {s}"))
}

/// gobgpd's record of its session with the agent: when it came up, and
/// how often it went down. Both must not change.
fn gobgp_session(peer: &GobgpPeer) -> (Value, Value) {
    let n = peer
        .cli()
        .neighbor(BGP_GW_V4.into())
        .expect("gobgp neighbor");
    (
        n["timers"]["state"]["uptime"].clone(),
        n["state"]["flops"].clone(),
    )
}

/// The agent with gobgpd established and the hostile addresses added.
struct Hostile {
    // Field order is drop order: gobgpd goes before the lab.
    gobgp: GobgpPeer,
    run: Run,
    /// gobgpd's session record once established.
    gobgp_before: (Value, Value),
}

impl Hostile {
    /// Starts the lab and the agent with `neighbors` (hostile ones) added,
    /// gobgpd, and `addrs` on the peer namespace's link to gw.
    fn start(neighbors: &str, addrs: &[Ipv4Addr]) -> Hostile {
        let opts = AgentConfigOptions {
            bgp: Some(BgpOptions {
                listen_port: LISTEN_PORT,
                peer_port: PEER_PORT,
            }),
            extra: neighbors.to_string(),
            ..AgentConfigOptions::default()
        };
        let run = Run::start(opts, |_| {});
        for a in addrs {
            run.lab
                .ns(Role::Peer)
                .run(&["ip", "addr", "add", &format!("{a}/24"), "dev", "gw"])
                .unwrap();
        }
        let gobgp = gobgpd_peer(&run.lab, PEER_PORT);
        run.wait("the gobgpd session established", |s| {
            neighbor(s, BGP_PEER_V4)["state"] == "established"
        });
        assert!(
            wait_for(DEADLINE, || gobgp.state().is_ok_and(|s| s == "established")),
            "gobgpd never saw the session established"
        );
        let gobgp_before = gobgp_session(&gobgp);
        assert!(
            gobgp_before.0.is_object(),
            "gobgp's neighbor JSON has no timers.state.uptime: {:#}",
            gobgp.cli().neighbor(BGP_GW_V4.into()).unwrap()
        );
        Hostile {
            gobgp,
            run,
            gobgp_before,
        }
    }

    fn dial_from(&self, from: Ipv4Addr) -> Dial {
        Dial {
            from,
            to: SocketAddrV4::new(BGP_GW_V4, LISTEN_PORT),
            ttl: None,
            md5: None,
            timeout: Duration::from_secs(20),
        }
    }

    /// A new connection from the hostile peer.
    fn connect(&self) -> RawPeer {
        RawPeer::connect(self.run.lab.ns(Role::Peer), &self.dial_from(HOSTILE))
            .expect("the hostile peer connects")
    }

    /// A new connection, established with `open`.
    fn establish(&self, open: &[u8]) -> RawPeer {
        let mut p = self.connect();
        p.establish(open, WAIT)
            .expect("the hostile session comes up");
        self.run.wait("the hostile session established", |s| {
            neighbor(s, HOSTILE)["state"] == "established"
        });
        p
    }

    /// The agent runs and answers, and neither side of the gobgpd session
    /// saw it go down since it came up.
    fn assert_gobgp_untouched(&mut self) {
        assert!(
            self.run.agent.child.try_wait().unwrap().is_none(),
            "the agent exited: {}",
            self.run.agent.log()
        );
        let s = self.run.status();
        let n = neighbor(&s, BGP_PEER_V4);
        assert_eq!(n["state"], "established", "{n:#}");
        // Reached Established once since the agent started: the session
        // never restarted (exact, unlike an uptime in whole seconds).
        assert_eq!(n["messages"]["established"], 1, "{n:#}");
        assert_eq!(self.gobgp.state().unwrap(), "established");
        assert_eq!(
            gobgp_session(&self.gobgp),
            self.gobgp_before,
            "gobgpd's session record changed"
        );
    }

    /// The hostile session is down and left nothing in our Adj-RIB-In.
    fn wait_hostile_down(&self, addr: Ipv4Addr) {
        self.run.wait("the hostile session down and flushed", |s| {
            let n = neighbor(s, addr);
            n["state"] != "established" && n["received"] == 0
        });
    }
}

/// The NOTIFICATION the agent must send: code, subcode, data.
type Expected = (u8, u8, &'static [u8]);
/// One case: what it is, the bytes the hostile peer sends, the answer.
type Case = (&'static str, Vec<u8>, Expected);

/// Asserts the NOTIFICATION the agent answered `what` with.
fn assert_notification(p: &RawPeer, what: &str, expected: (u8, u8, &[u8])) {
    let n = p
        .notification(WAIT)
        .unwrap_or_else(|e| panic!("{what}: {e:#}"));
    assert_eq!(
        (n.code, n.subcode, n.data.as_slice()),
        expected,
        "{what}: the agent's NOTIFICATION"
    );
}

#[test]
fn malformed_opens_and_headers_get_the_notification_the_rfcs_require() {
    if skip_without_netns("malformed_opens_and_headers_get_the_notification_the_rfcs_require") {
        return;
    }
    let mut h = Hostile::start(&hostile_neighbor(HOSTILE, ""), &[HOSTILE]);
    let asn = HOSTILE_ASN as u16;
    let caps = [cap_ipv4_unicast(), cap_four_octet(HOSTILE_ASN)];
    // (case, our OPEN, the NOTIFICATION: code, subcode, data).
    let opens: [Case; 8] = [
        // RFC 4271 6.2: data is the largest version we support, 2 octets.
        (
            "version 3",
            open(3, asn, 0, HOSTILE, &caps),
            (2, 1, &[0, 4]),
        ),
        (
            "version 5",
            open(5, asn, 0, HOSTILE, &caps),
            (2, 1, &[0, 4]),
        ),
        (
            "the wrong peer AS",
            open(
                4,
                65099,
                0,
                HOSTILE,
                &[cap_ipv4_unicast(), cap_four_octet(65099)],
            ),
            (2, 2, &[]),
        ),
        // RFC 6793 4.1: My AS must agree with the 4-octet AS capability.
        (
            "My AS unlike the 4-octet AS capability",
            open(
                4,
                asn,
                0,
                HOSTILE,
                &[cap_ipv4_unicast(), cap_four_octet(65099)],
            ),
            (2, 2, &[]),
        ),
        ("hold time 1", open(4, asn, 1, HOSTILE, &caps), (2, 6, &[])),
        ("hold time 2", open(4, asn, 2, HOSTILE, &caps), (2, 6, &[])),
        (
            "BGP identifier 0.0.0.0",
            open(4, asn, 0, Ipv4Addr::UNSPECIFIED, &caps),
            (2, 3, &[]),
        ),
        // RFC 6608: the FSM error names the state.
        (
            "an UPDATE instead of an OPEN",
            update(&[], &[], &[]),
            (5, 1, &[]),
        ),
    ];
    for (what, bytes, expected) in &opens {
        let mut p = h.connect();
        p.expect(OPEN, WAIT).expect("the agent's OPEN");
        p.send(bytes).unwrap();
        assert_notification(&p, what, *expected);
    }

    // Header errors (RFC 4271 6.1) on an established session.
    let mut bad_marker = MARKER;
    bad_marker[15] = 0xfe;
    let headers: [Case; 7] = [
        // Only the header: the agent must judge it before the body.
        (
            "an UPDATE of 4097 bytes",
            framed(MARKER, 4097, UPDATE, &[]),
            (1, 2, &[0x10, 0x01]),
        ),
        (
            "a KEEPALIVE of 20 bytes",
            framed(MARKER, 20, KEEPALIVE, &[0]),
            (1, 2, &[0, 20]),
        ),
        (
            "a marker that is not all ones",
            framed(bad_marker, 19, KEEPALIVE, &[]),
            (1, 1, &[]),
        ),
        ("message type 7", framed(MARKER, 19, 7, &[]), (1, 3, &[7])),
        (
            "a message of 18 bytes",
            framed(MARKER, 18, KEEPALIVE, &[]),
            (1, 2, &[0, 18]),
        ),
        // The whole oversize message: the agent refuses it by its header
        // and closes with the body unread, which resets the connection;
        // the NOTIFICATION must still arrive first.
        (
            "an UPDATE of 5000 bytes, body and all",
            framed(MARKER, 5000, UPDATE, &[0; 5000 - 19]),
            (1, 2, &[0x13, 0x88]),
        ),
        ("a second OPEN", good_open(&[]), (5, 3, &[])),
    ];
    for (what, bytes, expected) in &headers {
        let mut p = h.establish(&good_open(&[]));
        p.send(bytes).unwrap();
        assert_notification(&p, what, *expected);
        h.wait_hostile_down(HOSTILE);
    }

    // A peer that offers hold time 3 and then says nothing.
    let mut p = h.connect();
    p.establish(&open(4, asn, 3, HOSTILE, &caps), WAIT)
        .expect("the hostile session comes up");
    assert_notification(&p, "3 s of silence with hold time 3", (4, 0, &[]));
    h.wait_hostile_down(HOSTILE);

    let s = h.run.status();
    let n = neighbor(&s, HOSTILE);
    assert_eq!(
        n["messages"]["notifications_sent"],
        opens.len() + headers.len() + 1,
        "{n:#}"
    );
    assert_eq!(n["messages"]["established"], headers.len() + 1, "{n:#}");

    // An address that is no neighbor: closed before any OPEN.
    let stranger = Ipv4Addr::new(10, 99, 0, 5);
    h.run
        .lab
        .ns(Role::Peer)
        .run(&["ip", "addr", "add", &format!("{stranger}/24"), "dev", "gw"])
        .unwrap();
    let p =
        RawPeer::connect(h.run.lab.ns(Role::Peer), &h.dial_from(stranger)).expect("TCP connects");
    match p.next(WAIT) {
        Some(Event::Closed) => {}
        other => panic!("a stranger got {other:?} instead of a close"),
    }
    h.assert_gobgp_untouched();
}

#[test]
fn broken_attributes_are_treated_as_withdraw_or_reset_the_session_as_rfc7606_says() {
    if skip_without_netns(
        "broken_attributes_are_treated_as_withdraw_or_reset_the_session_as_rfc7606_says",
    ) {
        return;
    }
    let mut h = Hostile::start(&hostile_neighbor(HOSTILE, ""), &[HOSTILE]);
    let p1 = prefix(Ipv4Addr::new(100, 64, 1, 0), 24);
    let p2 = prefix(Ipv4Addr::new(100, 64, 2, 0), 24);
    let p3 = prefix(Ipv4Addr::new(100, 64, 3, 0), 24);
    let good = good_attrs(HOSTILE_ASN, HOSTILE);
    let received = |h: &Hostile, count: u64| {
        h.run
            .wait(&format!("{count} routes in the Adj-RIB-In"), |s| {
                neighbor(s, HOSTILE)["received"] == count
            });
    };

    let mut p = h.establish(&good_open(&[]));
    p.send(&update(&[], &good, &p1)).unwrap();
    received(&h, 1);

    // RFC 7606 7.1: an undefined ORIGIN value withdraws the route it
    // carries (here P1, announced before) and keeps the session.
    let bad_origin = [origin(3), as_path(&[HOSTILE_ASN]), next_hop(HOSTILE)].concat();
    p.send(&update(&[], &bad_origin, &p1)).unwrap();
    received(&h, 0);
    // RFC 7606 7.4: a MED of 3 octets, the same. P3, well-formed, follows
    // it: once P3 is in, the agent has judged P2, and only P3 is there.
    let bad_med = [good.clone(), med(&[0, 0, 7])].concat();
    p.send(&update(&[], &bad_med, &p2)).unwrap();
    p.send(&update(&[], &good, &p3)).unwrap();
    received(&h, 1);
    p.stays_open(Duration::from_secs(1)).unwrap();
    let s = h.run.status();
    let n = neighbor(&s, HOSTILE);
    // The two treated as withdraw count as UPDATEs received, like the
    // two good ones.
    assert_eq!(
        (
            n["state"].as_str(),
            n["messages"]["established"].as_u64(),
            n["messages"]["updates_received"].as_u64()
        ),
        (Some("established"), Some(1), Some(4)),
        "{n:#}"
    );

    // Errors that leave the routes unlocatable reset the session.
    // (what, UPDATE, NOTIFICATION)
    let mut overrun = good.clone();
    overrun.extend([OPTIONAL, MED, 4, 0, 0]); // says 4 octets, has 2
    let resets: [Case; 3] = [
        // RFC 7606 4: the attribute list ends inside an attribute, and
        // MP_REACH/MP_UNREACH may be in the unread rest (3.j).
        (
            "an attribute overrunning the attribute list",
            update(&[], &overrun, &p1),
            (3, 1, &[]),
        ),
        // RFC 4271 6.3: the lengths do not add up.
        (
            "a Withdrawn Routes length past the message",
            message(UPDATE, &[0xff, 0xff, 0, 0]),
            (3, 1, &[]),
        ),
        // RFC 7606 5.3: a prefix length of 33.
        (
            "an IPv4 prefix of length 33",
            update(&[], &good, &[33, 100, 64, 4, 0, 1]),
            (3, 10, &[]),
        ),
    ];
    for (i, (what, bytes, expected)) in resets.iter().enumerate() {
        if i > 0 {
            p = h.establish(&good_open(&[]));
            p.send(&update(&[], &good, &p1)).unwrap();
            h.run
                .wait("P1 received", |s| neighbor(s, HOSTILE)["received"] == 1);
        }
        p.send(bytes).unwrap();
        assert_notification(&p, what, *expected);
        // No Graceful Restart was offered: the routes go at once.
        h.wait_hostile_down(HOSTILE);
    }
    h.assert_gobgp_untouched();
}

/// The prefixes of the flood: 100.64.0.0/32 onwards, one per UPDATE.
const FLOOD: u32 = 50_000;
/// What "stays responsive" means: `mpwan status` answers within this.
const RESPONSIVE: Duration = Duration::from_secs(5);
/// How many status answers the flood must go on through.
const STATUS_DURING_FLOOD: usize = 10;
/// How long the agent may take to finish the flood once it stops.
const FLOOD_DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn a_flood_of_updates_leaves_the_agent_responsive_and_every_route_counted() {
    if skip_without_netns("a_flood_of_updates_leaves_the_agent_responsive_and_every_route_counted")
    {
        return;
    }
    let mut h = Hostile::start(&hostile_neighbor(HOSTILE, ""), &[HOSTILE]);
    let p = h.establish(&good_open(&[]));
    let attrs = good_attrs(HOSTILE_ASN, HOSTILE);
    let base = u32::from(Ipv4Addr::new(100, 64, 0, 0));
    let mut flood = Vec::new();
    for i in 0..FLOOD {
        flood.extend(update(&[], &attrs, &prefix(Ipv4Addr::from(base + i), 32)));
    }
    // As fast as the socket takes them, round after round (the same
    // prefixes again: the count stays), until the status checks are done,
    // so that every check falls inside the flood.
    let mut writer = p.writer().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let flooder = std::thread::spawn(move || -> std::io::Result<u64> {
        use std::io::Write;
        let mut rounds = 0;
        while !stopped.load(Ordering::Acquire) {
            writer.write_all(&flood)?;
            rounds += 1;
        }
        Ok(rounds)
    });

    // Each answer must come quickly, and show the session up with a count
    // that only grows. Every 200 ms, not faster: each poll is a process,
    // and on two cores a tighter loop starves the agent it measures.
    let mut slowest = Duration::ZERO;
    let mut got = 0;
    for _ in 0..STATUS_DURING_FLOOD {
        #[allow(clippy::disallowed_methods)] // a test measuring wall time
        let t = Instant::now();
        let s = status_json(&h.run.paths.control_socket).expect("status answers");
        let took = t.elapsed();
        slowest = slowest.max(took);
        assert!(
            took <= RESPONSIVE,
            "`mpwan status` took {took:?} during the flood"
        );
        let n = neighbor(&s, HOSTILE);
        let now = n["received"].as_u64().unwrap();
        assert!(
            n["state"] == "established" && now >= got,
            "during the flood, after {got} routes: {n:#}"
        );
        got = now;
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Release);
    let rounds = flooder.join().unwrap().expect("the flood was written");
    let updates = rounds * u64::from(FLOOD);

    // Every UPDATE taken in, and each prefix once in the Adj-RIB-In.
    #[allow(clippy::disallowed_methods)] // a test measuring wall time
    let t = Instant::now();
    let done = wait_for(FLOOD_DEADLINE, || {
        let s = h.run.status();
        let n = neighbor(&s, HOSTILE);
        n["messages"]["updates_received"] == updates
    });
    let s = h.run.status();
    let n = neighbor(&s, HOSTILE);
    assert!(
        done,
        "not every UPDATE of {rounds} rounds was taken in: {n:#}"
    );
    eprintln!(
        "flood: {rounds} rounds of {FLOOD} UPDATEs; {STATUS_DURING_FLOOD} status answers during \
         it, the slowest in {slowest:?}; the last UPDATE taken in {:?} after the flood stopped",
        t.elapsed()
    );
    assert_eq!(
        (n["state"].as_str(), n["received"].as_u64()),
        (Some("established"), Some(u64::from(FLOOD))),
        "{n:#}"
    );
    p.stays_open(Duration::from_secs(1)).unwrap();
    h.assert_gobgp_untouched();
}

#[test]
fn one_prefix_over_max_prefixes_ends_the_session_with_cease_1() {
    if skip_without_netns("one_prefix_over_max_prefixes_ends_the_session_with_cease_1") {
        return;
    }
    const MAX: u8 = 10;
    let mut h = Hostile::start(
        &hostile_neighbor(HOSTILE, &format!("max_prefixes = {MAX}\n")),
        &[HOSTILE],
    );
    let attrs = good_attrs(HOSTILE_ASN, HOSTILE);
    let nlri = |from: u8, to: u8| -> Vec<u8> {
        (from..to)
            .flat_map(|i| prefix(Ipv4Addr::new(100, 64, i, 0), 24))
            .collect()
    };
    // RFC 4486: AFI 1, SAFI 1, the limit in 4 octets.
    let cease_data = [0, 1, 1, 0, 0, 0, MAX];

    // Without Graceful Restart: exactly the limit is fine, one more is not.
    let mut p = h.establish(&good_open(&[]));
    p.send(&update(&[], &attrs, &nlri(0, MAX))).unwrap();
    h.run.wait("the limit reached", |s| {
        neighbor(s, HOSTILE)["received"] == u64::from(MAX)
    });
    p.stays_open(Duration::from_secs(1)).unwrap();
    p.send(&update(&[], &attrs, &nlri(MAX, MAX + 1))).unwrap();
    assert_notification(&p, "one prefix over the limit", (6, 1, &cease_data));
    h.wait_hostile_down(HOSTILE);

    // With the N bit (RFC 8538 5): the Cease goes inside a Hard Reset, so
    // the peer keeps nothing of ours as stale.
    let mut p = h.establish(&good_open(&[cap_graceful_restart_n()]));
    let s = h.run.status();
    assert_eq!(
        neighbor(&s, HOSTILE)["graceful_restart"]["notification"],
        true,
        "the N bit negotiated: {s:#}"
    );
    p.send(&update(&[], &attrs, &nlri(0, MAX + 1))).unwrap();
    let mut hard_reset = vec![6, 1];
    hard_reset.extend(cease_data);
    assert_notification(
        &p,
        "one prefix over the limit with the N bit",
        (6, 9, &hard_reset),
    );
    h.wait_hostile_down(HOSTILE);
    h.assert_gobgp_untouched();
}

#[test]
fn a_wrong_md5_key_or_a_low_ttl_never_brings_a_session_up() {
    if skip_without_netns("a_wrong_md5_key_or_a_low_ttl_never_brings_a_session_up") {
        return;
    }
    let neighbors = [
        hostile_neighbor(HOSTILE, "password = \"right-key\"\n"),
        hostile_neighbor(HOSTILE2, "ttl_security = 1\n"),
    ]
    .join("\n");
    let mut h = Hostile::start(&neighbors, &[HOSTILE, HOSTILE2]);
    let ns = h.run.lab.ns(Role::Peer);
    let short = |from| Dial {
        timeout: Duration::from_secs(3),
        ..h.dial_from(from)
    };
    // Nothing comes up over a bounded wait: connections fail or stall.
    let never_up = |h: &Hostile, addr: Ipv4Addr| {
        let up = wait_for(Duration::from_secs(5), || {
            let s = h.run.status();
            let st = &neighbor(&s, addr)["state"];
            st == "established" || st == "openconfirm"
        });
        assert!(!up, "a session with {addr} came up: {:#}", h.run.status());
    };

    // TCP MD5: the agent's kernel drops SYNs signed with another key, and
    // unsigned ones, so not even TCP comes up.
    for key in [Some("wrong-key"), None] {
        let dial = Dial {
            md5: key.map(str::to_string),
            ..short(HOSTILE)
        };
        let r = RawPeer::connect(ns, &dial);
        assert!(r.is_err(), "connected with MD5 key {key:?}");
    }
    never_up(&h, HOSTILE);
    // The right key works: the test above could have failed.
    let dial = Dial {
        md5: Some("right-key".into()),
        ..short(HOSTILE)
    };
    let mut p = RawPeer::connect(ns, &dial).expect("the right MD5 key connects");
    p.establish(&good_open(&[]), WAIT)
        .expect("a session with the right key");
    drop(p);
    h.wait_hostile_down(HOSTILE);

    // GTSM (RFC 5082): the agent drops our segments below TTL 255 once it
    // has accepted the connection, so its OPEN arrives, ours never does.
    let low = |ttl| {
        let dial = Dial {
            ttl: Some(ttl),
            ..short(HOSTILE2)
        };
        let mut p = RawPeer::connect(ns, &dial).expect("TCP connects");
        p.expect(OPEN, WAIT).expect("the agent's OPEN");
        let open = open(4, HOSTILE_ASN as u16, 0, HOSTILE2, &[cap_ipv4_unicast()]);
        p.send(&open).unwrap();
        p
    };
    let p = low(254);
    never_up(&h, HOSTILE2);
    assert!(
        p.expect(KEEPALIVE, Duration::from_secs(1)).is_err(),
        "the agent answered an OPEN that came with TTL 254"
    );
    drop(p);
    // TTL 255 works: the test above could have failed.
    let p = low(255);
    p.expect(KEEPALIVE, WAIT)
        .expect("the agent confirms an OPEN with TTL 255");
    h.assert_gobgp_untouched();
}

#[test]
fn a_burst_of_route_refresh_requests_leaves_the_speaker_working() {
    if skip_without_netns("a_burst_of_route_refresh_requests_leaves_the_speaker_working") {
        return;
    }
    const PREFIX: &str = "198.51.100.0/24";
    const BURST: usize = 2000;
    let neighbors = format!(
        "{}\n[[bgp.announce]]\nprefix = \"{PREFIX}\"\nwhen = [\"wan2\"]\n",
        hostile_neighbor(HOSTILE, "")
    );
    let mut h = Hostile::start(&neighbors, &[HOSTILE]);
    let at_gobgp = |h: &Hostile| {
        h.gobgp
            .routes(Family::Ipv4)
            .is_ok_and(|r| r.iter().any(|r| r.prefix == PREFIX))
    };
    assert!(
        wait_for(Duration::from_secs(30), || at_gobgp(&h)),
        "the prefix never reached gobgpd"
    );
    let mut p = h.establish(&good_open(&[cap(2, &[])]));
    let s = h
        .run
        .wait("the prefix and End-of-RIB sent to the hostile peer", |s| {
            let n = neighbor(s, HOSTILE);
            n["advertised"] == 1 && n["messages"]["end_of_rib_sent"] == 1
        });
    let before = neighbor(s.last().unwrap(), HOSTILE)["messages"]["updates_sent"]
        .as_u64()
        .unwrap();

    // RFC 2918 requests for IPv4 unicast, all in one write: each one makes
    // the agent send its routes again.
    let refresh = message(5, &[0, 1, 0, 1]);
    p.send(&refresh.repeat(BURST)).unwrap();
    // The agent answers (repeated requests may share an answer: RFC 2918
    // asks for the routes again, not for one copy per request), and status
    // shows the session up all along.
    for _ in 0..10 {
        let s = h.run.status();
        let n = neighbor(&s, HOSTILE);
        assert_eq!(n["state"], "established", "while answering: {n:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let answered = wait_for(DEADLINE, || {
        neighbor(&h.run.status(), HOSTILE)["messages"]["updates_sent"]
            .as_u64()
            .is_some_and(|sent| sent > before)
    });
    assert!(
        answered,
        "no UPDATE answered {BURST} ROUTE-REFRESH requests"
    );
    // The speaker still follows WAN health for every peer: WAN2 dies, and
    // gobgpd sees the prefix withdrawn.
    h.run.lab.blackhole(Wan::Two).unwrap();
    assert!(
        wait_for(Duration::from_secs(30), || !at_gobgp(&h)),
        "the prefix was never withdrawn at gobgpd after the burst:\n{:#}",
        h.run.status()
    );
    let s = h.run.status();
    assert_eq!(neighbor(&s, HOSTILE)["state"], "established", "{s:#}");
    p.stays_open(Duration::from_secs(1)).unwrap();
    h.assert_gobgp_untouched();
}
