//! The reconciler's driver against the real kernel: a gateway namespace
//! with two WAN veths to an "ISP" namespace, endpoints checked with
//! `ip mptcp endpoint show`.

mod common;
mod reconcile_lab;

use std::time::Duration;

use common::{in_ns, ip_endpoints};
use mpwan_mptcp::EndpointFlags;
use mpwan_mptcp::reconcile::{Family, Usable, run};
use reconcile_lab::{DEADLINE, Lab, PERIOD, params, slot, status_of, wait_endpoints, wait_status};
use tokio::sync::{mpsc, watch};

#[test]
fn the_driver_keeps_the_kernel_as_the_inputs_say() {
    let Some(lab) = Lab::new("the_driver_keeps_the_kernel_as_the_inputs_say") else {
        return;
    };
    // Another tool's endpoint, which must survive everything.
    lab.gw
        .run(&[
            "ip", "mptcp", "endpoint", "add", "10.9.0.9", "id", "9", "signal",
        ])
        .unwrap();
    let foreign = "10.9.0.9 id 9 signal";
    in_ns(&lab.gw, || async {
        let slots = vec![
            slot("wan1/ipv4", 1, Family::V4),
            slot("wan2/ipv4", 2, Family::V4),
            slot("wan1/ipv6", 3, Family::V6),
        ];
        let (tx, rx) = mpsc::channel(8);
        let (status_tx, mut status) = watch::channel(Vec::new());
        let driver = tokio::spawn(run(slots, params(), rx, status_tx));

        for key in ["wan1/ipv4", "wan2/ipv4", "wan1/ipv6"] {
            tx.send(lab.input(key, Usable::Up)).await.unwrap();
        }
        wait_endpoints(
            &lab.gw,
            &[
                "10.1.0.1 id 1 subflow dev wan1",
                "10.2.0.1 id 2 subflow dev wan2",
                "fd01::1 id 3 subflow dev wan1",
                foreign,
            ],
        )
        .await;
        let limits = lab.gw.run(&["ip", "mptcp", "limits", "show"]).unwrap();
        assert_eq!(limits.trim(), "add_addr_accepted 2 subflows 2");
        let all = wait_status(&mut status, "all present", |s| {
            s.len() == 3 && s.iter().all(|s| s.present)
        })
        .await;
        for s in &all {
            assert_eq!(s.last_error, None, "{s:?}");
            assert_eq!(s.flags, EndpointFlags::SUBFLOW);
            assert_eq!(s.subflows, 0);
        }
        assert_eq!(
            status_of(&all, "wan1/ipv6").addr,
            Some("fd01::1".parse().unwrap())
        );

        // Degraded: backup in place, the id stays.
        tx.send(lab.input("wan2/ipv4", Usable::Degraded))
            .await
            .unwrap();
        wait_endpoints(
            &lab.gw,
            &[
                "10.1.0.1 id 1 subflow dev wan1",
                "10.2.0.1 id 2 subflow backup dev wan2",
                "fd01::1 id 3 subflow dev wan1",
                foreign,
            ],
        )
        .await;

        // Gone: deleted.
        tx.send(lab.input("wan1/ipv6", Usable::Absent))
            .await
            .unwrap();
        let want = [
            "10.1.0.1 id 1 subflow dev wan1",
            "10.2.0.1 id 2 subflow backup dev wan2",
            foreign,
        ];
        wait_endpoints(&lab.gw, &want).await;
        wait_status(&mut status, "wan1/ipv6 absent", |s| {
            !status_of(s, "wan1/ipv6").present
        })
        .await;

        // Deleted by hand: back within a period (plus the time to act).
        lab.gw
            .run(&["ip", "mptcp", "endpoint", "delete", "id", "1"])
            .unwrap();
        let took = wait_endpoints(&lab.gw, &want).await;
        assert!(took < PERIOD * 2, "repaired after {took:?}");

        // Flags changed by hand: set back in place.
        lab.gw
            .run(&[
                "ip", "mptcp", "endpoint", "change", "id", "2", "nobackup", "fullmesh",
            ])
            .unwrap();
        let took = wait_endpoints(&lab.gw, &want).await;
        assert!(took < PERIOD * 2, "repaired after {took:?}");

        // Up again, on a new address: replaced under the same id.
        lab.gw
            .run(&["ip", "addr", "add", "10.2.0.7/24", "dev", "wan2"])
            .unwrap();
        let mut moved = lab.input("wan2/ipv4", Usable::Up);
        moved.addr = Some("10.2.0.7".parse().unwrap());
        tx.send(moved).await.unwrap();
        wait_endpoints(
            &lab.gw,
            &[
                "10.1.0.1 id 1 subflow dev wan1",
                "10.2.0.7 id 2 subflow dev wan2",
                foreign,
            ],
        )
        .await;

        // Closing the inputs stops the driver and leaves the endpoints.
        drop(tx);
        tokio::time::timeout(DEADLINE, driver)
            .await
            .expect("the driver stops")
            .expect("no panic")
            .expect("valid slots");
        assert_eq!(ip_endpoints(&lab.gw).len(), 3);
    });
    drop(lab.isp);
}

#[test]
fn invalid_slots_stop_the_driver_at_once() {
    let Some(lab) = Lab::new("invalid_slots_stop_the_driver_at_once") else {
        return;
    };
    in_ns(&lab.gw, || async {
        let slots = (1..=9)
            .map(|i| slot(&format!("wan{i}/ipv4"), i, Family::V4))
            .collect();
        let (_tx, rx) = mpsc::channel(1);
        let (status_tx, _status) = watch::channel(Vec::new());
        let err = run(slots, params(), rx, status_tx).await.unwrap_err();
        assert!(err.to_string().contains("9 MPTCP endpoints"), "{err}");
    });
    assert!(ip_endpoints(&lab.gw).is_empty());
}

#[test]
fn disabled_mptcp_is_reported_and_the_kernel_left_alone() {
    let Some(lab) = Lab::new("disabled_mptcp_is_reported_and_the_kernel_left_alone") else {
        return;
    };
    lab.gw
        .run(&["sysctl", "-qw", "net.mptcp.enabled=0"])
        .unwrap();
    in_ns(&lab.gw, || async {
        let (tx, rx) = mpsc::channel(8);
        let (status_tx, mut status) = watch::channel(Vec::new());
        let driver = tokio::spawn(run(
            vec![slot("wan1/ipv4", 1, Family::V4)],
            params(),
            rx,
            status_tx,
        ));
        tx.send(lab.input("wan1/ipv4", Usable::Up)).await.unwrap();
        let all = wait_status(&mut status, "the disabled error", |s| {
            s.iter().any(|s| s.last_error.is_some())
        })
        .await;
        let error = all[0].last_error.clone().unwrap();
        assert!(error.contains("net.mptcp.enabled = 0"), "{error}");
        assert!(!all[0].present);
        // Long enough for a few retries, none of which touches the kernel.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(ip_endpoints(&lab.gw).is_empty());
        assert!(!driver.is_finished(), "the driver keeps running");

        // Enabled again: managed within the longest retry delay.
        lab.gw
            .run(&["sysctl", "-qw", "net.mptcp.enabled=1"])
            .unwrap();
        wait_endpoints(&lab.gw, &["10.1.0.1 id 1 subflow dev wan1"]).await;
        wait_status(&mut status, "the error to clear", |s| {
            s[0].last_error.is_none() && s[0].present
        })
        .await;
    });
}
