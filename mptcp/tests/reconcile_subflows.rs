//! Subflow accounting and failed-join retries with real MPTCP connections
//! from the gateway namespace to a server in the ISP namespace.

mod common;
mod reconcile_lab;

use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use common::in_ns;
use mpwan_mptcp::reconcile::{Family, SlotStatus, Usable, run};
use mpwan_mptcp::{PmEvent, PmEvents};
use reconcile_lab::{Lab, client, params, server, slot, status_of, wait_endpoints, wait_status};
use tokio::sync::{mpsc, watch};

fn moved_addr() -> Option<IpAddr> {
    Some(IpAddr::from([10, 2, 0, 7]))
}

fn counts(all: &[SlotStatus]) -> (u32, u32) {
    (
        status_of(all, "wan1/ipv4").subflows,
        status_of(all, "wan2/ipv4").subflows,
    )
}

#[test]
fn subflows_are_counted_per_slot() {
    let Some(lab) = Lab::new("subflows_are_counted_per_slot") else {
        return;
    };
    in_ns(&lab.gw, || async {
        let (tx, rx) = mpsc::channel(8);
        let (status_tx, mut status) = watch::channel(Vec::new());
        let slots = vec![
            slot("wan1/ipv4", 1, Family::V4),
            slot("wan2/ipv4", 2, Family::V4),
        ];
        let driver = tokio::spawn(run(slots, params(), rx, status_tx));
        for key in ["wan1/ipv4", "wan2/ipv4"] {
            tx.send(lab.input(key, Usable::Up)).await.unwrap();
        }
        wait_endpoints(
            &lab.gw,
            &[
                "10.1.0.1 id 1 subflow dev wan1",
                "10.2.0.1 id 2 subflow dev wan2",
            ],
        )
        .await;
        let mut events = PmEvents::subscribe().unwrap();

        let (to, reader) = server(&lab, "10.1.0.2:0".parse().unwrap());
        let mut sock = client("10.1.0.1".parse().unwrap(), to);
        sock.write_all(b"hello").unwrap();
        // The initial subflow leaves from wan1's address, the join from
        // wan2's endpoint.
        let all = wait_status(&mut status, "one subflow per slot", |s| counts(s) == (1, 1)).await;
        assert!(all.iter().all(|s| s.last_error.is_none()), "{all:?}");

        // A new address on wan2: the endpoint is replaced under its id, and
        // the connection joins from the new address, once.
        lab.gw
            .run(&["ip", "addr", "add", "10.2.0.7/24", "dev", "wan2"])
            .unwrap();
        let mut moved = lab.input("wan2/ipv4", Usable::Up);
        moved.addr = Some("10.2.0.7".parse().unwrap());
        tx.send(moved).await.unwrap();
        let all = wait_status(&mut status, "the join from the new address", |s| {
            counts(s) == (1, 1) && status_of(s, "wan2/ipv4").addr == moved_addr()
        })
        .await;
        assert!(all.iter().all(|s| s.last_error.is_none()), "{all:?}");
        let mut joins = Vec::new();
        let settle = tokio::time::Instant::now() + Duration::from_millis(1500);
        while let Ok(event) = tokio::time::timeout_at(settle, events.next()).await {
            if let PmEvent::SubEstablished(s) = event.unwrap() {
                joins.push(s.local);
            }
        }
        assert_eq!(joins.len(), 2, "the first join and the new one: {joins:?}");
        assert_eq!(joins[1].ip(), moved_addr().unwrap());
        assert_eq!(counts(&status.borrow()), (1, 1));

        // Gone: our delete closes the join; it no longer counts.
        tx.send(lab.input("wan2/ipv4", Usable::Absent))
            .await
            .unwrap();
        wait_status(&mut status, "the join closed", |s| counts(s) == (1, 0)).await;

        drop(sock);
        wait_status(&mut status, "the connection closed", |s| {
            counts(s) == (0, 0)
        })
        .await;
        assert_eq!(reader.join().unwrap(), 5);
        drop(tx);
        driver.await.unwrap().unwrap();
    });
}

#[test]
fn a_failed_join_is_retried_until_the_path_works() {
    let Some(lab) = Lab::new("a_failed_join_is_retried_until_the_path_works") else {
        return;
    };
    // Join SYNs give up after about 3 s instead of 2 minutes.
    lab.gw
        .run(&["sysctl", "-qw", "net.ipv4.tcp_syn_retries=1"])
        .unwrap();
    // wan2 black-holed at the ISP: its join cannot complete.
    let blackhole = "table inet blackhole {\n  chain in {\n    type filter hook prerouting priority -300;\n    iifname \"isp2\" drop\n  }\n}\n";
    lab.isp
        .run_with_input(&["nft", "-f", "-"], blackhole)
        .unwrap();
    in_ns(&lab.gw, || async {
        let (tx, rx) = mpsc::channel(8);
        let (status_tx, mut status) = watch::channel(Vec::new());
        let slots = vec![
            slot("wan1/ipv4", 1, Family::V4),
            slot("wan2/ipv4", 2, Family::V4),
        ];
        let driver = tokio::spawn(run(slots, params(), rx, status_tx));
        for key in ["wan1/ipv4", "wan2/ipv4"] {
            tx.send(lab.input(key, Usable::Up)).await.unwrap();
        }
        wait_endpoints(
            &lab.gw,
            &[
                "10.1.0.1 id 1 subflow dev wan1",
                "10.2.0.1 id 2 subflow dev wan2",
            ],
        )
        .await;
        let mut events = PmEvents::subscribe().unwrap();
        let (to, reader) = server(&lab, "10.1.0.2:0".parse().unwrap());
        let mut sock = client("10.1.0.1".parse().unwrap(), to);
        sock.write_all(b"hello").unwrap();
        wait_status(&mut status, "the initial subflow", |s| counts(s) == (1, 0)).await;

        // The kernel tries the join once; every further attempt is the
        // reconciler re-adding the endpoint.
        let wan2: IpAddr = "10.2.0.1".parse().unwrap();
        let mut failed_ports = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while failed_ports.len() < 2 {
            let e = tokio::time::timeout_at(deadline, events.next())
                .await
                .unwrap_or_else(|_| panic!("joins failed so far: {failed_ports:?}"))
                .unwrap();
            if let PmEvent::SubClosed(s) = e
                && s.local.ip() == wan2
                && s.error.is_some_and(|e| e != 0)
            {
                failed_ports.push(s.local.port());
            }
        }
        assert_ne!(failed_ports[0], failed_ports[1], "two separate joins");

        // The path heals: the next re-add joins.
        lab.isp
            .run(&["nft", "delete", "table", "inet", "blackhole"])
            .unwrap();
        wait_status(&mut status, "the join over wan2", |s| counts(s) == (1, 1)).await;
        sock.write_all(b" world").unwrap();
        drop(sock);
        assert_eq!(reader.join().unwrap(), 11);
        drop(tx);
        driver.await.unwrap().unwrap();
    });
}
