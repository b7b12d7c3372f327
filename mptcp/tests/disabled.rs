//! `net.mptcp.enabled = 0`: what the client sees.
//!
//! Found on 6.18: the path manager still answers every command and keeps
//! endpoints; only `socket(..., IPPROTO_MPTCP)` fails (ENOPROTOOPT). So the
//! client works, `require_enabled()` reports `Error::Disabled`, and no
//! connection ever uses the endpoints.

mod common;

use std::net::IpAddr;

use common::{client, in_ns, mptcp_socket, namespace};
use mpwan_mptcp::{Endpoint, EndpointFlags, Error, mptcp_enabled, require_enabled};

#[test]
fn disabled_mptcp_accepts_endpoints_but_no_connections() {
    let Some(ns) = namespace("disabled_mptcp_accepts_endpoints_but_no_connections") else {
        return;
    };
    // The sysctl is per namespace: a fresh one starts enabled.
    ns.enter(|| {
        assert!(mptcp_enabled().unwrap());
        require_enabled().unwrap();
    })
    .unwrap();
    ns.run(&["sysctl", "-qw", "net.mptcp.enabled=0"]).unwrap();

    in_ns(&ns, || async {
        assert!(!mptcp_enabled().unwrap());
        let err = require_enabled().unwrap_err();
        assert!(matches!(err, Error::Disabled), "{err:?}");
        assert!(err.to_string().contains("net.mptcp.enabled = 0"));

        let pm = client();
        let ep = Endpoint::new(1, IpAddr::from([10, 0, 0, 1]), EndpointFlags::SUBFLOW);
        pm.add_endpoint(&ep).await.unwrap();
        assert_eq!(pm.dump_endpoints().await.unwrap(), [ep]);

        let refused = mptcp_socket(&"10.0.0.1:0".parse().unwrap()).unwrap_err();
        assert_eq!(refused.raw_os_error(), Some(libc::ENOPROTOOPT));
    });
}
