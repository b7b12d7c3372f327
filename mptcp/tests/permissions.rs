//! Without CAP_NET_ADMIN: changes and event subscriptions are
//! `Error::PermissionDenied`, reading still works.
//!
//! The test re-runs itself as `nobody` without capabilities inside its
//! namespace (`setpriv`), since a process cannot give capabilities back.

mod common;

use std::net::IpAddr;

use common::{client, in_ns_here, namespace};
use mpwan_mptcp::{Endpoint, EndpointFlags, Error, Op, PmEvents};

const TEST: &str = "unprivileged_callers_get_permission_denied";
const CHILD: &str = "MPWAN_MPTCP_UNPRIVILEGED_CHILD";
/// Printed by the unprivileged part once its checks passed.
const MARKER: &str = "unprivileged checks passed";

#[test]
fn unprivileged_callers_get_permission_denied() {
    if std::env::var_os(CHILD).is_some() {
        return unprivileged_part();
    }
    let Some(ns) = namespace(TEST) else {
        return;
    };
    ns.run(&[
        "ip", "mptcp", "endpoint", "add", "10.0.0.1", "id", "1", "subflow",
    ])
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = ns
        .command("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&exe)
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "unprivileged run failed:\n{report}");
    assert!(
        report.contains(MARKER),
        "the unprivileged part did not run:\n{report}"
    );
}

/// Runs as nobody, already inside the namespace.
fn unprivileged_part() {
    in_ns_here(|| async {
        let pm = client();
        let shown = pm.dump_endpoints().await.unwrap();
        assert_eq!(shown.len(), 1, "reading needs no privilege");

        let ep = Endpoint::new(2, IpAddr::from([10, 0, 0, 2]), EndpointFlags::SUBFLOW);
        let err = pm.add_endpoint(&ep).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::PermissionDenied {
                    op: Op::AddEndpoint(2)
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("CAP_NET_ADMIN"), "{err}");

        let err = pm.del_endpoint(1).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::PermissionDenied {
                    op: Op::DelEndpoint(1)
                }
            ),
            "{err:?}"
        );

        match PmEvents::subscribe() {
            Err(Error::PermissionDenied { op: Op::Subscribe }) => {}
            other => panic!("expected PermissionDenied, got {:?}", other.err()),
        }
    });
    println!("{MARKER}");
}
