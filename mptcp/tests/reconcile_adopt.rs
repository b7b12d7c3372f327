//! A reconciler that starts after connections are open (a restarted or
//! crashed-and-restarted daemon) counts their subflows from the kernel's
//! `sock_diag` dump, without any new event, and later events about them
//! (here: a subflow our delete closes) refer to the same connections.

mod common;
mod reconcile_lab;

use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use common::in_ns;
use mpwan_mptcp::client::diag::{SubflowInfo, dump_subflows};
use mpwan_mptcp::reconcile::{Family, SlotStatus, Usable, run};
use mpwan_mptcp::{PmEvent, PmEvents};
use reconcile_lab::{Lab, client, params, server, slot, status_of, wait_endpoints, wait_status};
use tokio::sync::{mpsc, watch};

const KEYS: [&str; 4] = ["wan1/ipv4", "wan2/ipv4", "wan1/ipv6", "wan2/ipv6"];

const ENDPOINTS: [&str; 4] = [
    "10.1.0.1 id 1 subflow dev wan1",
    "10.2.0.1 id 2 subflow dev wan2",
    "fd01::1 id 3 subflow dev wan1",
    "fd02::1 id 4 subflow dev wan2",
];

/// Subflow counts in the order of [`KEYS`].
fn counts(all: &[SlotStatus]) -> [u32; 4] {
    KEYS.map(|k| status_of(all, k).subflows)
}

fn slots() -> Vec<mpwan_mptcp::reconcile::SlotSpec> {
    vec![
        slot("wan1/ipv4", 1, Family::V4),
        slot("wan2/ipv4", 2, Family::V4),
        slot("wan1/ipv6", 3, Family::V6),
        slot("wan2/ipv6", 4, Family::V6),
    ]
}

/// What the kernel says per local address: `ss` lists every established
/// TCP socket with an `mptcp` ULP (our subflows) and its source.
fn ss_subflows(lab: &Lab) -> BTreeSet<SocketAddr> {
    let out = lab
        .gw
        .run(&["ss", "-tniH", "state", "established"])
        .expect("ss");
    let lines: Vec<&str> = out.lines().collect();
    let mut found = BTreeSet::new();
    // Each socket is a line of addresses and an indented line of details.
    for pair in lines.windows(2) {
        if !pair[1].contains("tcp-ulp-mptcp") {
            continue;
        }
        let local = pair[0]
            .split_whitespace()
            .nth(2)
            .expect("ss: local address column");
        // `10.1.0.1%wan1:port` or `[fd01::1]:port`
        let (host, port) = local.rsplit_once(':').expect("ss: port");
        let host = host.split('%').next().unwrap_or(host);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = host.split('%').next().unwrap_or(host);
        found.insert(SocketAddr::new(
            host.parse().expect("ss: address"),
            port.parse().expect("ss: port number"),
        ));
    }
    found
}

#[test]
fn a_new_reconciler_counts_the_subflows_it_finds() {
    let Some(lab) = Lab::new("a_new_reconciler_counts_the_subflows_it_finds") else {
        return;
    };
    // The IPv6 join leaves wan2 (bound to it) for the server on wan1's
    // prefix: give it a route there.
    lab.gw
        .run(&[
            "ip",
            "-6",
            "route",
            "add",
            "fd01::/64",
            "via",
            "fd02::2",
            "dev",
            "wan2",
            "metric",
            "1024",
        ])
        .unwrap();
    in_ns(&lab.gw, || async {
        // The first daemon: endpoints and one connection per family, each
        // with its initial subflow on wan1 and a join on wan2.
        let (tx, rx) = mpsc::channel(8);
        let (status_tx, mut status) = watch::channel(Vec::new());
        let first = tokio::spawn(run(slots(), params(), rx, status_tx));
        for key in KEYS {
            tx.send(lab.input(key, Usable::Up)).await.unwrap();
        }
        wait_endpoints(&lab.gw, &ENDPOINTS).await;
        let mut events = PmEvents::subscribe().unwrap();
        let (to4, reader4) = server(&lab, "10.1.0.2:0".parse().unwrap());
        let (to6, reader6) = server(&lab, "[fd01::2]:0".parse().unwrap());
        let mut sock4 = client("10.1.0.1".parse().unwrap(), to4);
        let mut sock6 = client("fd01::1".parse().unwrap(), to6);
        sock4.write_all(b"four").unwrap();
        sock6.write_all(b"six").unwrap();
        wait_status(&mut status, "two subflows per connection", |s| {
            counts(s) == [1, 1, 1, 1]
        })
        .await;
        // The tokens the path-manager events name, by initial address.
        let mut tokens = Vec::new();
        let deadline = tokio::time::Instant::now() + common::EVENT_DEADLINE;
        while tokens.len() < 2 {
            let event = tokio::time::timeout_at(deadline, events.next())
                .await
                .unwrap_or_else(|_| panic!("established events so far: {tokens:?}"))
                .unwrap();
            if let PmEvent::Established(c) = event {
                tokens.push((c.local.ip(), c.token));
            }
        }
        // Stopping leaves endpoints and connections as they are.
        drop(tx);
        first.await.unwrap().unwrap();
        // Pass over the joins' events: from here on, none may come.
        while let Ok(event) = tokio::time::timeout(Duration::from_millis(300), events.next()).await
        {
            event.unwrap();
        }

        // The kernel's view: our dump agrees with `ss`, and each
        // subflow's local token is the one the events named.
        let dump = dump_subflows(64, Duration::from_secs(5)).await.unwrap();
        assert!(!dump.truncated);
        let ours: BTreeSet<SocketAddr> = dump.subflows.iter().map(|s| s.local).collect();
        assert_eq!(ours, ss_subflows(&lab), "{dump:?}");
        assert_eq!(dump.subflows.len(), 4, "{dump:?}");
        for (initial, token) in &tokens {
            let of_conn: Vec<&SubflowInfo> =
                dump.subflows.iter().filter(|s| s.token == *token).collect();
            assert_eq!(of_conn.len(), 2, "token {token:08x}: {dump:?}");
            assert!(
                of_conn
                    .iter()
                    .any(|s| s.local.ip() == *initial && s.local_id == 0),
                "{dump:?}"
            );
            assert!(of_conn.iter().all(|s| s.remote_token != *token));
        }

        // A fresh reconciler, before any input (the tracker of a restarted
        // daemon is still deciding): it leaves the endpoints alone and
        // counts what it finds, with no event about these subflows.
        let (tx, rx) = mpsc::channel(8);
        let (status_tx, mut status) = watch::channel(Vec::new());
        let second = tokio::spawn(run(slots(), params(), rx, status_tx));
        wait_status(&mut status, "the adopted subflows counted", |s| {
            !s.is_empty() && counts(s) == [1, 1, 1, 1]
        })
        .await;
        while let Ok(Ok(event)) =
            tokio::time::timeout(Duration::from_millis(300), events.next()).await
        {
            assert!(
                !matches!(event, PmEvent::SubEstablished(_) | PmEvent::SubClosed(_)),
                "no subflow came or went: {event:?}"
            );
        }
        assert_eq!(counts(&status.borrow()), [1, 1, 1, 1]);

        // Inputs arrive: the same endpoints, nothing counted twice.
        for key in KEYS {
            tx.send(lab.input(key, Usable::Up)).await.unwrap();
        }
        wait_endpoints(&lab.gw, &ENDPOINTS).await;
        tokio::time::sleep(Duration::from_millis(600)).await; // a dump period
        assert_eq!(counts(&status.borrow()), [1, 1, 1, 1]);

        // wan2 goes: our delete closes the IPv4 join, whose close event
        // names the token the seeded entry has, so it counts down by one.
        tx.send(lab.input("wan2/ipv4", Usable::Absent))
            .await
            .unwrap();
        wait_status(&mut status, "the IPv4 join closed", |s| {
            counts(s) == [1, 0, 1, 1]
        })
        .await;
        let closed = common::wait_for(&mut events, "sub_closed", |e| {
            matches!(e, PmEvent::SubClosed(_))
        })
        .await;
        assert_eq!(closed.token(), Some(tokens[0].1));
        // Stays there: no other slot loses a subflow, none goes below 0.
        let mut watch_status = status.clone();
        let settle = tokio::time::timeout(Duration::from_millis(800), async {
            while watch_status.changed().await.is_ok() {
                let now = counts(&watch_status.borrow());
                assert_eq!(now, [1, 0, 1, 1]);
            }
        })
        .await;
        assert!(settle.is_err(), "the driver stopped");

        // The connections close: every count reaches zero and stays there.
        drop(sock4);
        drop(sock6);
        wait_status(&mut status, "the connections closed", |s| {
            counts(s) == [0, 0, 0, 0]
        })
        .await;
        assert_eq!(reader4.join().unwrap(), 4);
        assert_eq!(reader6.join().unwrap(), 3);
        drop(tx);
        second.await.unwrap().unwrap();
    });
}
