//! The kernel's live MPTCP subflows, read with `sock_diag`.
//!
//! Path-manager events tell about subflows as they come and go; a process
//! that starts while connections are open (a restarted agent) missed their
//! events. This module lists what the kernel holds now: an `inet_diag`
//! dump of established TCP sockets (IPv4, then IPv6) over
//! `NETLINK_SOCK_DIAG`, asking for `INET_DIAG_INFO`, which makes
//! `tcp_diag_get_aux` add `INET_DIAG_ULP_INFO` to sockets with an upper
//! layer protocol (only for CAP_NET_ADMIN). An MPTCP subflow's is a nest:
//!
//! ```text
//! INET_DIAG_ULP_INFO
//!   INET_ULP_INFO_NAME   "mptcp"
//!   INET_ULP_INFO_MPTCP  (net/mptcp/diag.c subflow_get_info)
//!     MPTCP_SUBFLOW_ATTR_TOKEN_REM u32, _TOKEN_LOC u32, _FLAGS u32,
//!     _ID_REM u8, _ID_LOC u8, sequence numbers (ignored)
//! ```
//!
//! `TOKEN_LOC` is the subflow's copy of its connection's local token, the
//! one every path-manager event names (checked against the real kernel in
//! `tests/reconcile_adopt.rs`). Messages and the outer attributes come from
//! `netlink-packet-sock-diag`; the ULP nest is not in that crate (it hands
//! it over as an unknown attribute), so [`parse_ulp_info`] reads it here.
//!
//! The dump acts on the network namespace of the thread that calls it.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use netlink_packet_core::{
    NLA_TYPE_MASK, NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload, Nla,
    NlasIterator, parse_string, parse_u8, parse_u32,
};
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags, nlas};
use netlink_packet_sock_diag::{AF_INET, AF_INET6, IPPROTO_TCP, SockDiagMessage};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;
use netlink_sys::{AsyncSocket, AsyncSocketExt, SocketAddr as NlAddr, TokioSocket};
use serde::{Deserialize, Serialize};

/// `INET_DIAG_ULP_INFO` in `linux/inet_diag.h` (not in the crate).
const INET_DIAG_ULP_INFO: u16 = 19;
const INET_ULP_INFO_NAME: u16 = 1;
const INET_ULP_INFO_MPTCP: u16 = 3;
/// `MPTCP_SUBFLOW_ATTR_*` in `linux/mptcp.h`.
const SUBFLOW_ATTR_TOKEN_REM: u16 = 1;
const SUBFLOW_ATTR_TOKEN_LOC: u16 = 2;
const SUBFLOW_ATTR_FLAGS: u16 = 8;
const SUBFLOW_ATTR_ID_REM: u16 = 9;
const SUBFLOW_ATTR_ID_LOC: u16 = 10;
/// `MPTCP_SUBFLOW_FLAG_BKUP_LOC`.
const SUBFLOW_FLAG_BKUP_LOC: u32 = 1 << 5;

/// At most this many sockets (MPTCP or not) are looked at per family, so a
/// host with a huge number of TCP connections cannot keep the dump going.
const MAX_SOCKETS: usize = 65_536;

/// One live MPTCP subflow as `sock_diag` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubflowInfo {
    /// The connection's local token, as path-manager events carry it.
    pub token: u32,
    /// The peer's token of the connection.
    pub remote_token: u32,
    /// Id of the local endpoint the subflow uses (0: the initial address).
    pub local_id: u8,
    /// Id of the remote address.
    pub remote_id: u8,
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port.
    pub remote: SocketAddr,
    /// The local side marked the subflow backup.
    pub backup: bool,
    /// Device the subflow is bound to, when it is.
    pub ifindex: Option<u32>,
}

/// The subflows of one dump.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubflowDump {
    /// What was found, at most the limit asked for.
    pub subflows: Vec<SubflowInfo>,
    /// The dump stopped early (the limit, or 65536 sockets of a family):
    /// some subflows may be missing.
    pub truncated: bool,
}

/// Why a dump failed.
#[derive(Debug, thiserror::Error)]
pub enum DiagError {
    /// The socket could not be opened, or sending or reading failed.
    #[error("listing MPTCP subflows (sock_diag): {0}")]
    Io(#[from] io::Error),
    /// The kernel refused the request (positive errno).
    #[error("listing MPTCP subflows (sock_diag): the kernel answered errno {0}")]
    Kernel(i32),
    /// A reply did not parse.
    #[error("listing MPTCP subflows (sock_diag): malformed reply: {0}")]
    Decode(String),
    /// The kernel did not finish in time.
    #[error("listing MPTCP subflows (sock_diag): no complete answer within {0:?}")]
    Timeout(Duration),
}

/// Lists the established MPTCP subflows of this namespace, IPv4 and IPv6,
/// at most `limit` of them, giving up after `timeout` in all. Without
/// CAP_NET_ADMIN the kernel leaves the MPTCP details out and the list is
/// empty. Must run inside a tokio runtime.
pub async fn dump_subflows(limit: usize, timeout: Duration) -> Result<SubflowDump, DiagError> {
    tokio::time::timeout(timeout, dump_all(limit))
        .await
        .map_err(|_| DiagError::Timeout(timeout))?
}

async fn dump_all(limit: usize) -> Result<SubflowDump, DiagError> {
    let mut socket = TokioSocket::new(NETLINK_SOCK_DIAG)?;
    socket.socket_mut().bind_auto()?;
    let mut out = SubflowDump::default();
    for (seq, family) in [(1, AF_INET), (2, AF_INET6)] {
        if !dump_family(&mut socket, seq, family, limit, &mut out).await? {
            out.truncated = true;
            break;
        }
    }
    Ok(out)
}

/// One family's dump into `out`; false if it stopped early.
async fn dump_family(
    socket: &mut TokioSocket,
    seq: u32,
    family: u8,
    limit: usize,
    out: &mut SubflowDump,
) -> Result<bool, DiagError> {
    let socket_id = if family == AF_INET {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    header.sequence_number = seq;
    let mut request = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::INFO,
            states: StateFlags::ESTABLISHED,
            socket_id,
        })
        .into(),
    );
    request.finalize();
    let mut buf = vec![0; request.buffer_len()];
    request.serialize(&mut buf);
    socket.send_to(&buf, &NlAddr::new(0, 0)).await?;

    let mut seen = 0usize;
    loop {
        let (datagram, from) = socket.recv_from_full().await?;
        if from.port_number() != 0 {
            continue;
        }
        if let Some(complete) = take_datagram(&datagram, seq, limit, &mut seen, out)? {
            return Ok(complete);
        }
    }
}

/// Reads one datagram of the dump answering request `seq` into `out`:
/// `Some(true)` once the dump is done, `Some(false)` when `limit` subflows
/// or [`MAX_SOCKETS`] sockets were reached (`seen` counts them across
/// datagrams), `None` while more is to come. Messages of other requests
/// are skipped; a malformed one is an error, never a panic.
pub fn take_datagram(
    datagram: &[u8],
    seq: u32,
    limit: usize,
    seen: &mut usize,
    out: &mut SubflowDump,
) -> Result<Option<bool>, DiagError> {
    let mut offset = 0usize;
    while offset < datagram.len() {
        let bytes = datagram.get(offset..).unwrap_or_default();
        let message = NetlinkMessage::<SockDiagMessage>::deserialize(bytes)
            .map_err(|e| DiagError::Decode(e.to_string()))?;
        let length = usize::try_from(message.header.length).unwrap_or(usize::MAX);
        if length == 0 {
            return Err(DiagError::Decode("a message of length 0".into()));
        }
        offset = offset.saturating_add(length);
        if message.header.sequence_number != seq {
            continue;
        }
        match message.payload {
            NetlinkPayload::Done(_) => return Ok(Some(true)),
            NetlinkPayload::Error(e) => {
                if let Some(code) = e.code {
                    return Err(DiagError::Kernel(code.get().saturating_abs()));
                }
            }
            NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                *seen = seen.saturating_add(1);
                let id = &response.header.socket_id;
                let ulp = response.nlas.iter().find_map(|nla| match nla {
                    nlas::Nla::Other(attr) if attr.kind() & NLA_TYPE_MASK == INET_DIAG_ULP_INFO => {
                        let mut value = vec![0; attr.value_len()];
                        attr.emit_value(&mut value);
                        Some(value)
                    }
                    _ => None,
                });
                if let Some(info) = ulp.as_deref().and_then(parse_ulp_info) {
                    if out.subflows.len() >= limit {
                        return Ok(Some(false));
                    }
                    out.subflows.push(SubflowInfo {
                        token: info.token,
                        remote_token: info.remote_token,
                        local_id: info.local_id,
                        remote_id: info.remote_id,
                        local: SocketAddr::new(id.source_address, id.source_port),
                        remote: SocketAddr::new(id.destination_address, id.destination_port),
                        backup: info.flags & SUBFLOW_FLAG_BKUP_LOC != 0,
                        ifindex: (id.interface_id != 0).then_some(id.interface_id),
                    });
                }
                if *seen >= MAX_SOCKETS {
                    return Ok(Some(false));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The MPTCP part of an `INET_DIAG_ULP_INFO` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UlpMptcp {
    /// `MPTCP_SUBFLOW_ATTR_TOKEN_LOC`.
    pub token: u32,
    /// `MPTCP_SUBFLOW_ATTR_TOKEN_REM`.
    pub remote_token: u32,
    /// `MPTCP_SUBFLOW_ATTR_ID_LOC`.
    pub local_id: u8,
    /// `MPTCP_SUBFLOW_ATTR_ID_REM`.
    pub remote_id: u8,
    /// `MPTCP_SUBFLOW_ATTR_FLAGS` (`MPTCP_SUBFLOW_FLAG_*`).
    pub flags: u32,
}

/// Reads the value of an `INET_DIAG_ULP_INFO` attribute: `None` unless the
/// ULP is `mptcp` with a subflow nest holding at least the local token
/// (a listener has none). Unknown attributes are skipped; malformed ones
/// make it `None`, never a panic.
pub fn parse_ulp_info(value: &[u8]) -> Option<UlpMptcp> {
    let mut name = None;
    let mut nest = None;
    for nla in NlasIterator::new(value) {
        let nla = nla.ok()?;
        match nla.kind() & NLA_TYPE_MASK {
            INET_ULP_INFO_NAME => name = Some(parse_string(nla.value()).ok()?),
            INET_ULP_INFO_MPTCP => nest = Some(nla.value().to_vec()),
            _ => {}
        }
    }
    if name.as_deref() != Some("mptcp") {
        return None;
    }
    let mut token = None;
    let mut info = UlpMptcp {
        token: 0,
        remote_token: 0,
        local_id: 0,
        remote_id: 0,
        flags: 0,
    };
    for nla in NlasIterator::new(&nest?) {
        let nla = nla.ok()?;
        let v = nla.value();
        match nla.kind() & NLA_TYPE_MASK {
            SUBFLOW_ATTR_TOKEN_LOC => token = Some(parse_u32(v).ok()?),
            SUBFLOW_ATTR_TOKEN_REM => info.remote_token = parse_u32(v).ok()?,
            SUBFLOW_ATTR_FLAGS => info.flags = parse_u32(v).ok()?,
            SUBFLOW_ATTR_ID_LOC => info.local_id = parse_u8(v).ok()?,
            SUBFLOW_ATTR_ID_REM => info.remote_id = parse_u8(v).ok()?,
            _ => {}
        }
    }
    info.token = token?;
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Datagrams of a real dump (kernel 6.18, a namespace holding an MPTCP
    /// connection over 127.0.0.1, one over ::1 and a plain TCP one), each
    /// after the 4-byte little-endian sequence number it answered.
    const V4: &[u8] = include_bytes!("testdata/sock_diag_v4.bin");
    const V6: &[u8] = include_bytes!("testdata/sock_diag_v6.bin");
    const DONE: &[u8] = include_bytes!("testdata/sock_diag_done.bin");

    fn take(capture: &[u8], limit: usize, out: &mut SubflowDump) -> Option<bool> {
        let (seq, datagram) = capture.split_at(4);
        let seq = u32::from_le_bytes(seq.try_into().unwrap());
        let mut seen = 0;
        take_datagram(datagram, seq, limit, &mut seen, out).unwrap()
    }

    #[test]
    fn a_real_dump_yields_both_ends_of_each_mptcp_connection_and_no_plain_tcp() {
        for (capture, family) in [(V4, "IPv4"), (V6, "IPv6")] {
            let mut out = SubflowDump::default();
            assert_eq!(take(capture, 64, &mut out), None, "{family}: more to come");
            let s = &out.subflows;
            assert_eq!(s.len(), 2, "{family}: {s:?}");
            // Client and server of one connection: each one's local
            // address is the other's remote; each side has its own local
            // token (the remote one is filled for joined subflows only).
            assert_eq!((s[0].local, s[0].remote), (s[1].remote, s[1].local));
            assert!(s[0].token != 0 && s[1].token != 0 && s[0].token != s[1].token);
            assert!(s.iter().all(|f| f.local.ip().is_loopback() && !f.backup));
        }
        let mut out = SubflowDump::default();
        assert_eq!(take(DONE, 64, &mut out), Some(true), "NLMSG_DONE ends it");
        assert!(out.subflows.is_empty());
    }

    #[test]
    fn the_limit_stops_a_dump() {
        let mut out = SubflowDump::default();
        assert_eq!(take(V4, 1, &mut out), Some(false));
        assert_eq!(out.subflows.len(), 1);
    }

    #[test]
    fn a_cut_or_foreign_datagram_is_an_error_or_skipped_never_a_panic() {
        let datagram = &V4[4..];
        for cut in [1, 15, 16, 40, datagram.len() - 1] {
            let mut out = SubflowDump::default();
            let mut seen = 0;
            let _ = take_datagram(&datagram[..cut], 1, 64, &mut seen, &mut out);
        }
        // Another request's answer is not ours.
        let mut out = SubflowDump::default();
        let mut seen = 0;
        let r = take_datagram(datagram, 99, 64, &mut seen, &mut out).unwrap();
        assert_eq!((r, out.subflows.len()), (None, 0));
    }

    fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
        let len = u16::try_from(value.len() + 4).unwrap();
        let mut out = [len.to_ne_bytes(), kind.to_ne_bytes()].concat();
        out.extend_from_slice(value);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    /// The layout `subflow_get_info` writes, in its order.
    fn ulp(name: &str, token: u32) -> Vec<u8> {
        let nest = [
            attr(SUBFLOW_ATTR_TOKEN_REM, &0x1122_3344u32.to_ne_bytes()),
            attr(SUBFLOW_ATTR_TOKEN_LOC, &token.to_ne_bytes()),
            attr(3, &7u32.to_ne_bytes()),
            attr(4, &[0; 12]), // MAP_SEQ: u64 behind a PAD attribute
            attr(
                SUBFLOW_ATTR_FLAGS,
                &(SUBFLOW_FLAG_BKUP_LOC | 1).to_ne_bytes(),
            ),
            attr(SUBFLOW_ATTR_ID_REM, &[0]),
            attr(SUBFLOW_ATTR_ID_LOC, &[2]),
        ]
        .concat();
        let mut name = name.as_bytes().to_vec();
        name.push(0);
        [
            attr(INET_ULP_INFO_NAME, &name),
            attr(INET_ULP_INFO_MPTCP, &nest),
        ]
        .concat()
    }

    #[test]
    fn reads_an_mptcp_subflow() {
        let info = parse_ulp_info(&ulp("mptcp", 0xdead_beef)).unwrap();
        assert_eq!(
            info,
            UlpMptcp {
                token: 0xdead_beef,
                remote_token: 0x1122_3344,
                local_id: 2,
                remote_id: 0,
                flags: SUBFLOW_FLAG_BKUP_LOC | 1,
            }
        );
    }

    #[test]
    fn other_ulps_and_bad_bytes_are_none() {
        assert_eq!(parse_ulp_info(&ulp("tls", 1)), None);
        let name_only = attr(INET_ULP_INFO_NAME, b"mptcp\0");
        assert_eq!(parse_ulp_info(&name_only), None, "a listener: no nest");
        let bytes = ulp("mptcp", 1);
        for cut in 0..bytes.len() {
            let _ = parse_ulp_info(&bytes[..cut]);
        }
        let short_token = [
            attr(INET_ULP_INFO_NAME, b"mptcp\0"),
            attr(INET_ULP_INFO_MPTCP, &attr(SUBFLOW_ATTR_TOKEN_LOC, &[1, 2])),
        ]
        .concat();
        assert_eq!(parse_ulp_info(&short_token), None);
    }
}
