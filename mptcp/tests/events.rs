//! Events from real MPTCP connections made inside the test's namespace.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};

use common::{client, in_ns, mptcp_socket, namespace, wait_for};
use mpwan_mptcp::{Endpoint, EndpointFlags, Limits, PmEvent, PmEvents};
use socket2::Socket;

/// A connected pair (client, accepted server side) of MPTCP sockets from
/// `from` to a listener on `to` (port chosen by the kernel).
fn connect(from: SocketAddr, to: SocketAddr) -> (Socket, Socket, Socket) {
    let listener = mptcp_socket(&to).expect("MPTCP listener");
    listener.bind(&to.into()).unwrap();
    listener.listen(8).unwrap();
    let to = listener.local_addr().unwrap().as_socket().unwrap();
    let mut client = mptcp_socket(&from).expect("MPTCP client");
    client.bind(&from.into()).unwrap();
    client.connect(&to.into()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    // Some data, so both ends are fully established.
    client.write_all(b"ping").unwrap();
    let mut buf = [0; 4];
    server.read_exact(&mut buf).unwrap();
    server.write_all(b"pong").unwrap();
    client.read_exact(&mut buf).unwrap();
    (client, server, listener)
}

fn port_of(s: &Socket) -> u16 {
    s.local_addr().unwrap().as_socket().unwrap().port()
}

#[test]
fn connection_and_subflow_events_share_a_token() {
    let Some(ns) = namespace("connection_and_subflow_events_share_a_token") else {
        return;
    };
    for addr in ["10.0.0.1/32", "10.0.0.2/32"] {
        ns.run(&["ip", "addr", "add", addr, "dev", "lo"]).unwrap();
    }
    in_ns(&ns, || async {
        let pm = client();
        pm.set_limits(Limits {
            subflows: 2,
            add_addr_accepted: 2,
        })
        .await
        .unwrap();
        // The client side opens a second subflow from 10.0.0.2.
        let second = Endpoint {
            ifindex: Some(1),
            ..Endpoint::new(1, IpAddr::from([10, 0, 0, 2]), EndpointFlags::SUBFLOW)
        };
        pm.add_endpoint(&second).await.unwrap();
        let mut events = PmEvents::subscribe().unwrap();

        let (client_sock, server_sock, listener) =
            connect("10.0.0.1:0".parse().unwrap(), "10.0.0.1:0".parse().unwrap());
        let client_port = port_of(&client_sock);

        let created = wait_for(
            &mut events,
            "created",
            |e| matches!(e, PmEvent::Created(c) if c.local.port() == client_port && !c.server_side),
        )
        .await;
        let token = created.token().unwrap();
        let PmEvent::Created(c) = created else {
            unreachable!()
        };
        assert_eq!(c.local.ip(), IpAddr::from([10, 0, 0, 1]));
        assert_eq!(c.remote.port(), port_of(&server_sock));

        wait_for(
            &mut events,
            "established",
            |e| matches!(e, PmEvent::Established(c) if c.token == token),
        )
        .await;
        let sub = wait_for(
            &mut events,
            "sub_established",
            |e| matches!(e, PmEvent::SubEstablished(s) if s.token == token),
        )
        .await;
        let PmEvent::SubEstablished(s) = sub else {
            unreachable!()
        };
        assert_eq!(s.local_id, 1);
        assert_eq!(s.local.ip(), IpAddr::from([10, 0, 0, 2]));
        assert_eq!(s.remote.port(), port_of(&server_sock));
        assert_eq!(s.ifindex, Some(1));
        assert_eq!(s.error, None);

        drop((client_sock, server_sock, listener));
        wait_for(&mut events, "closed", |e| *e == PmEvent::Closed { token }).await;
    });
}

#[test]
fn ipv6_connection_events() {
    let Some(ns) = namespace("ipv6_connection_events") else {
        return;
    };
    in_ns(&ns, || async {
        let mut events = PmEvents::subscribe().unwrap();
        let (client_sock, server_sock, _listener) =
            connect("[::1]:0".parse().unwrap(), "[::1]:0".parse().unwrap());
        let client_port = port_of(&client_sock);
        let server_port = port_of(&server_sock);

        let event = wait_for(
            &mut events,
            "server-side created",
            |e| matches!(e, PmEvent::Created(c) if c.server_side && c.remote.port() == client_port),
        )
        .await;
        let PmEvent::Created(c) = event else {
            unreachable!()
        };
        assert_eq!(
            c.local,
            SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], server_port))
        );
        assert_eq!(c.remote.ip(), "::1".parse::<IpAddr>().unwrap());
    });
}
