//! Endpoints against the real kernel, each test in a namespace of its own,
//! cross-checked with `ip mptcp endpoint show`.

mod common;

use std::net::IpAddr;

use common::{client, in_ns, ip_endpoints, namespace};
use mpwan_mptcp::{Endpoint, EndpointFlags, Error, Op};

/// lo is ifindex 1 in every namespace.
const LO: u32 = 1;

fn v4() -> Endpoint {
    Endpoint {
        id: 1,
        addr: IpAddr::from([10, 0, 0, 1]),
        port: None,
        flags: EndpointFlags::SUBFLOW,
        ifindex: Some(LO),
    }
}

fn v6() -> Endpoint {
    Endpoint {
        id: 2,
        addr: "2001:db8::2".parse().unwrap(),
        port: Some(4000),
        flags: EndpointFlags::SIGNAL | EndpointFlags::BACKUP,
        ifindex: None,
    }
}

#[test]
fn add_get_dump_delete_ipv4_and_ipv6() {
    let Some(ns) = namespace("add_get_dump_delete_ipv4_and_ipv6") else {
        return;
    };
    // A signal endpoint with a port listens on its address, which must
    // exist (EADDRNOTAVAIL otherwise).
    ns.run(&["ip", "addr", "add", "2001:db8::2/128", "dev", "lo", "nodad"])
        .unwrap();
    in_ns(&ns, || async {
        let pm = client();
        assert!(pm.dump_endpoints().await.unwrap().is_empty());
        pm.add_endpoint(&v4()).await.unwrap();
        pm.add_endpoint(&v6()).await.unwrap();

        assert_eq!(
            ip_endpoints(&ns),
            [
                "10.0.0.1 id 1 subflow dev lo",
                "2001:db8::2 port 4000 id 2 signal backup"
            ]
        );
        assert_eq!(pm.get_endpoint(1).await.unwrap(), Some(v4()));
        assert_eq!(pm.get_endpoint(2).await.unwrap(), Some(v6()));
        assert_eq!(pm.dump_endpoints().await.unwrap(), [v4(), v6()]);

        assert!(pm.del_endpoint(1).await.unwrap());
        assert_eq!(
            ip_endpoints(&ns),
            ["2001:db8::2 port 4000 id 2 signal backup"]
        );
        assert!(pm.del_endpoint(2).await.unwrap());
        assert!(pm.dump_endpoints().await.unwrap().is_empty());
        assert!(ip_endpoints(&ns).is_empty());
    });
}

#[test]
fn what_iproute2_adds_we_read() {
    let Some(ns) = namespace("what_iproute2_adds_we_read") else {
        return;
    };
    ns.run(&[
        "ip", "mptcp", "endpoint", "add", "10.9.0.7", "id", "7", "dev", "lo", "subflow", "fullmesh",
    ])
    .unwrap();
    in_ns(&ns, || async {
        let ep = client().get_endpoint(7).await.unwrap().expect("endpoint 7");
        assert_eq!(ep.addr, IpAddr::from([10, 9, 0, 7]));
        assert_eq!(ep.flags, EndpointFlags::SUBFLOW | EndpointFlags::FULLMESH);
        assert_eq!(ep.ifindex, Some(LO));
        assert_eq!(ep.port, None);
    });
}

#[test]
fn a_duplicate_id_or_address_is_exists() {
    let Some(ns) = namespace("a_duplicate_id_or_address_is_exists") else {
        return;
    };
    in_ns(&ns, || async {
        let pm = client();
        pm.add_endpoint(&v4()).await.unwrap();

        let same_id = Endpoint {
            addr: IpAddr::from([10, 0, 0, 2]),
            ..v4()
        };
        let err = pm.add_endpoint(&same_id).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Exists {
                    op: Op::AddEndpoint(1),
                    errno: libc::EBUSY,
                    ..
                }
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.starts_with("adding MPTCP endpoint id 1: the endpoint id is already in use"),
            "{text}"
        );

        let same_addr = Endpoint { id: 9, ..v4() };
        let err = pm.add_endpoint(&same_addr).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Exists {
                    op: Op::AddEndpoint(9),
                    errno: libc::EEXIST,
                    ..
                }
            ),
            "{err:?}"
        );
        // Nothing was replaced.
        assert_eq!(pm.dump_endpoints().await.unwrap(), [v4()]);
    });
}

#[test]
fn a_missing_id_is_not_found() {
    let Some(ns) = namespace("a_missing_id_is_not_found") else {
        return;
    };
    in_ns(&ns, || async {
        let pm = client();
        assert!(
            !pm.del_endpoint(42).await.unwrap(),
            "deleting nothing is fine"
        );
        assert_eq!(pm.get_endpoint(42).await.unwrap(), None);
        let err = pm.set_flags(42, EndpointFlags::BACKUP).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotFound {
                    op: Op::SetFlags(42)
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "setting flags of MPTCP endpoint id 42: no such endpoint"
        );
    });
}

#[test]
fn set_flags_backup_on_and_off() {
    let Some(ns) = namespace("set_flags_backup_on_and_off") else {
        return;
    };
    in_ns(&ns, || async {
        let pm = client();
        pm.add_endpoint(&v4()).await.unwrap();

        pm.set_flags(1, EndpointFlags::SUBFLOW | EndpointFlags::BACKUP)
            .await
            .unwrap();
        assert_eq!(ip_endpoints(&ns), ["10.0.0.1 id 1 subflow backup dev lo"]);
        let flags = pm.get_endpoint(1).await.unwrap().unwrap().flags;
        assert_eq!(flags, EndpointFlags::SUBFLOW | EndpointFlags::BACKUP);

        // The whole wanted state is sent: backup off, fullmesh on.
        pm.set_flags(1, EndpointFlags::SUBFLOW | EndpointFlags::FULLMESH)
            .await
            .unwrap();
        assert_eq!(ip_endpoints(&ns), ["10.0.0.1 id 1 subflow fullmesh dev lo"]);

        pm.set_flags(1, EndpointFlags::SUBFLOW).await.unwrap();
        assert_eq!(ip_endpoints(&ns), ["10.0.0.1 id 1 subflow dev lo"]);
    });
}

#[test]
fn an_endpoint_that_cannot_be_encoded_is_not_sent() {
    let Some(ns) = namespace("an_endpoint_that_cannot_be_encoded_is_not_sent") else {
        return;
    };
    in_ns(&ns, || async {
        let pm = client();
        let bad = Endpoint {
            port: Some(0),
            ..v4()
        };
        let err = pm.add_endpoint(&bad).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidEndpoint {
                    op: Op::AddEndpoint(1),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(pm.dump_endpoints().await.unwrap().is_empty());
    });
}
