//! ICMP and ICMPv6 echo, just enough of RFC 792 and RFC 4443: build an echo
//! request, and read an echo reply or an error that quotes one of our echo
//! requests. Pure: bytes in, values out; every read is bounds-checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::events::{ErrorKind, Family};

/// Length of the ICMP echo header: type, code, checksum, identifier,
/// sequence.
pub(crate) const ECHO_HEADER_LEN: usize = 8;
/// Length of the payload we send: a per-prober random cookie, echoed back
/// by the target, which tells our replies from another pinger's.
pub(crate) const COOKIE_LEN: usize = 8;

const V4_ECHO_REPLY: u8 = 0;
const V4_DEST_UNREACH: u8 = 3;
const V4_ECHO_REQUEST: u8 = 8;
const V4_TIME_EXCEEDED: u8 = 11;
const V4_PORT_UNREACH: u8 = 3;
const V6_DEST_UNREACH: u8 = 1;
const V6_TIME_EXCEEDED: u8 = 3;
const V6_ECHO_REQUEST: u8 = 128;
const V6_ECHO_REPLY: u8 = 129;
const V6_PORT_UNREACH: u8 = 4;
const PROTO_ICMP: u8 = 1;
const PROTO_ICMPV6: u8 = 58;
const IPV4_MIN_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;
/// Type, code, checksum and 4 unused (or MTU) bytes precede the quoted
/// packet in every ICMP error.
const ERROR_HEADER_LEN: usize = 8;

/// Something the socket delivered that concerns an echo request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heard<'a> {
    /// An echo reply from `from`.
    Reply {
        /// The host that answered.
        from: IpAddr,
        /// Echo identifier.
        ident: u16,
        /// Echo sequence number.
        seq: u16,
        /// The data echoed back.
        payload: &'a [u8],
    },
    /// An ICMP error about an echo request sent to `target`.
    Error {
        /// The destination of the quoted echo request.
        target: IpAddr,
        /// Its identifier.
        ident: u16,
        /// Its sequence number.
        seq: u16,
        /// What the error means for the probe.
        kind: ErrorKind,
    },
}

/// An echo request of `family` carrying `cookie`. The ICMPv4 checksum is
/// filled in; the kernel computes the ICMPv6 one (it needs the addresses)
/// and overwrites both on datagram sockets, where it also sets `ident`.
pub(crate) fn echo_request(
    family: Family,
    ident: u16,
    seq: u16,
    cookie: &[u8; COOKIE_LEN],
) -> [u8; ECHO_HEADER_LEN + COOKIE_LEN] {
    let mut p = [0u8; ECHO_HEADER_LEN + COOKIE_LEN];
    p[0] = match family {
        Family::V4 => V4_ECHO_REQUEST,
        Family::V6 => V6_ECHO_REQUEST,
    };
    p[4..6].copy_from_slice(&ident.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    p[ECHO_HEADER_LEN..].copy_from_slice(cookie);
    if family == Family::V4 {
        let sum = checksum(&p);
        p[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    p
}

/// The Internet checksum (RFC 1071) of `data`; 0 over a packet whose
/// checksum field is right.
pub(crate) fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum = sum.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
    }
    if let [last] = chunks.remainder() {
        sum = sum.wrapping_add(u32::from(*last) << 8);
    }
    // At most 65535 bytes reach here, so two folds cannot overflow.
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Skips the IPv4 header a raw IPv4 socket delivers; `None` unless it is a
/// well-formed IPv4 header of an ICMP packet.
pub(crate) fn strip_ipv4_header(packet: &[u8]) -> Option<&[u8]> {
    let (version, header_len) = ipv4_version_and_len(packet)?;
    if version != 4 || packet.get(9) != Some(&PROTO_ICMP) {
        return None;
    }
    packet.get(header_len..)
}

fn ipv4_version_and_len(packet: &[u8]) -> Option<(u8, usize)> {
    let first = *packet.first()?;
    let header_len = usize::from(first & 0x0f) * 4;
    if header_len < IPV4_MIN_HEADER || packet.len() < header_len {
        return None;
    }
    Some((first >> 4, header_len))
}

/// Reads an ICMPv4 message (IP header already stripped) that `from` sent.
/// `verify_checksum` is for raw sockets, which see packets before the
/// kernel's ICMP code has checked them.
pub(crate) fn parse_v4(from: Ipv4Addr, icmp: &[u8], verify_checksum: bool) -> Option<Heard<'_>> {
    if icmp.len() < ECHO_HEADER_LEN || (verify_checksum && checksum(icmp) != 0) {
        return None;
    }
    match (icmp[0], icmp[1]) {
        (V4_ECHO_REPLY, 0) => Some(Heard::Reply {
            from: IpAddr::V4(from),
            ident: be16(icmp, 4)?,
            seq: be16(icmp, 6)?,
            payload: &icmp[ECHO_HEADER_LEN..],
        }),
        (V4_DEST_UNREACH | V4_TIME_EXCEEDED, code) => {
            let kind = v4_error_kind(icmp[0], code)?;
            let quoted = icmp.get(ERROR_HEADER_LEN..)?;
            let (version, header_len) = ipv4_version_and_len(quoted)?;
            if version != 4 || quoted.get(9) != Some(&PROTO_ICMP) {
                return None;
            }
            let target = Ipv4Addr::from(<[u8; 4]>::try_from(quoted.get(16..20)?).ok()?);
            let (ident, seq) = quoted_echo(quoted.get(header_len..)?, V4_ECHO_REQUEST)?;
            Some(Heard::Error {
                target: IpAddr::V4(target),
                ident,
                seq,
                kind,
            })
        }
        _ => None,
    }
}

/// Reads an ICMPv6 message that `from` sent (sockets deliver ICMPv6
/// without the IPv6 header; the kernel has checked the checksum).
pub(crate) fn parse_v6(from: Ipv6Addr, icmp: &[u8]) -> Option<Heard<'_>> {
    if icmp.len() < ECHO_HEADER_LEN {
        return None;
    }
    match (icmp[0], icmp[1]) {
        (V6_ECHO_REPLY, 0) => Some(Heard::Reply {
            from: IpAddr::V6(from),
            ident: be16(icmp, 4)?,
            seq: be16(icmp, 6)?,
            payload: &icmp[ECHO_HEADER_LEN..],
        }),
        (V6_DEST_UNREACH | V6_TIME_EXCEEDED, code) => {
            let kind = v6_error_kind(icmp[0], code)?;
            let quoted = icmp.get(ERROR_HEADER_LEN..)?;
            // Our echo requests carry no extension headers, so the quoted
            // ICMPv6 header follows the fixed IPv6 header directly.
            if quoted.first()? >> 4 != 6 || *quoted.get(6)? != PROTO_ICMPV6 {
                return None;
            }
            let target = Ipv6Addr::from(<[u8; 16]>::try_from(quoted.get(24..40)?).ok()?);
            let (ident, seq) = quoted_echo(quoted.get(IPV6_HEADER..)?, V6_ECHO_REQUEST)?;
            Some(Heard::Error {
                target: IpAddr::V6(target),
                ident,
                seq,
                kind,
            })
        }
        _ => None,
    }
}

/// What an ICMPv4 error of `icmp_type` and `code` means for a probe; `None`
/// for errors that do not say the target is out of reach.
pub(crate) fn v4_error_kind(icmp_type: u8, code: u8) -> Option<ErrorKind> {
    match (icmp_type, code) {
        (V4_DEST_UNREACH, V4_PORT_UNREACH) => Some(ErrorKind::Refused),
        (V4_DEST_UNREACH, _) | (V4_TIME_EXCEEDED, _) => Some(ErrorKind::Unreachable),
        _ => None,
    }
}

/// What an ICMPv6 error of `icmp_type` and `code` means for a probe.
pub(crate) fn v6_error_kind(icmp_type: u8, code: u8) -> Option<ErrorKind> {
    match (icmp_type, code) {
        (V6_DEST_UNREACH, V6_PORT_UNREACH) => Some(ErrorKind::Refused),
        (V6_DEST_UNREACH, _) | (V6_TIME_EXCEEDED, _) => Some(ErrorKind::Unreachable),
        _ => None,
    }
}

/// Identifier and sequence of a quoted (or returned) echo request of
/// `family`: the first 8 bytes of it, which every ICMP error quotes.
pub(crate) fn sent_echo(family: Family, icmp: &[u8]) -> Option<(u16, u16)> {
    let request = match family {
        Family::V4 => V4_ECHO_REQUEST,
        Family::V6 => V6_ECHO_REQUEST,
    };
    quoted_echo(icmp, request)
}

fn quoted_echo(icmp: &[u8], request_type: u8) -> Option<(u16, u16)> {
    if *icmp.first()? != request_type {
        return None;
    }
    Some((be16(icmp, 4)?, be16(icmp, 6)?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let end = at.checked_add(2)?;
    let s = b.get(at..end)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOKIE: [u8; COOKIE_LEN] = *b"mpwan-ck";

    /// Captured on this kernel: a raw socket in one namespace sent an echo
    /// request (identifier 0x1a2b, sequence 1, payload `mpwan-ck`) from
    /// 10.9.0.1 over a veth to 10.9.0.2; this is the reply as the raw
    /// socket read it, IPv4 header included.
    fn v4_reply() -> Vec<u8> {
        hex("45000024dbdd000040018ae70a0900020a09000100002f691a2b00016d7077616e2d636b")
    }

    /// The same request with `nft add rule inet t in reject` in the far
    /// namespace: port unreachable, quoting the request.
    fn v4_rejected() -> Vec<u8> {
        hex(concat!(
            "45c00040dbf40000400189f40a0900020a0900010303fcfc00000000",
            "45000024b2b04000400174140a0900010a090002080027691a2b00016d7077616e2d636b"
        ))
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071, section 3: the sum of these words is 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&data), !0xddf2);
        // Odd lengths pad with a zero byte.
        assert_eq!(checksum(&[0xab]), !0xab00);
    }

    #[test]
    fn v4_echo_request_is_as_ping_sends_it() {
        let p = echo_request(Family::V4, 0x1a2b, 1, &COOKIE);
        // As quoted back by the kernel in the captured port unreachable.
        assert_eq!(p.to_vec(), hex("080027691a2b00016d7077616e2d636b"));
        assert_eq!(checksum(&p), 0, "checksum field makes the sum zero");
        let p6 = echo_request(Family::V6, 7, 2, &COOKIE);
        assert_eq!(&p6[..4], &[128, 0, 0, 0]);
        assert_eq!(sent_echo(Family::V6, &p6), Some((7, 2)));
    }

    #[test]
    fn v4_reply_with_ip_header_is_read() {
        let p = v4_reply();
        let icmp = strip_ipv4_header(&p).unwrap();
        let heard = parse_v4(Ipv4Addr::new(10, 9, 0, 2), icmp, true).unwrap();
        assert_eq!(
            heard,
            Heard::Reply {
                from: "10.9.0.2".parse().unwrap(),
                ident: 0x1a2b,
                seq: 1,
                payload: &COOKIE,
            }
        );
    }

    #[test]
    fn v4_reply_with_bad_checksum_is_ignored_on_raw_sockets() {
        let mut p = v4_reply();
        p[35] ^= 1;
        let icmp = strip_ipv4_header(&p).unwrap();
        assert_eq!(parse_v4(Ipv4Addr::new(10, 9, 0, 2), icmp, true), None);
        assert!(parse_v4(Ipv4Addr::new(10, 9, 0, 2), icmp, false).is_some());
    }

    /// Port unreachable from 10.9.0.2 (nftables `reject`), quoting our echo
    /// request to it: an error, never a reply.
    #[test]
    fn v4_port_unreachable_is_refused_not_a_reply() {
        let p = v4_rejected();
        let icmp = strip_ipv4_header(&p).unwrap();
        let heard = parse_v4(Ipv4Addr::new(10, 9, 0, 2), icmp, true).unwrap();
        assert_eq!(
            heard,
            Heard::Error {
                target: "10.9.0.2".parse().unwrap(),
                ident: 0x1a2b,
                seq: 1,
                kind: ErrorKind::Refused,
            }
        );
        // Host unreachable from a router, quoting only the 8 bytes RFC 792
        // promises: still matched.
        let mut icmp = icmp.to_vec();
        icmp[1] = 1;
        icmp.truncate(8 + 20 + 8);
        icmp[2..4].copy_from_slice(&[0, 0]);
        let sum = checksum(&icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let heard = parse_v4(Ipv4Addr::new(10, 9, 0, 254), &icmp, true).unwrap();
        assert!(matches!(
            heard,
            Heard::Error {
                kind: ErrorKind::Unreachable,
                seq: 1,
                ..
            }
        ));
    }

    #[test]
    fn v4_errors_about_other_protocols_are_ignored() {
        // A port unreachable quoting a UDP datagram (protocol 17).
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&[
            0x45, 0, 0, 36, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2,
        ]);
        icmp.extend_from_slice(&[0x30, 0x39, 0, 53, 0, 16, 0, 0]);
        assert_eq!(parse_v4(Ipv4Addr::new(10, 9, 0, 2), &icmp, false), None);
        // An echo request (someone pinging us) is not for a prober either.
        let request = echo_request(Family::V4, 1, 1, &COOKIE);
        assert_eq!(parse_v4(Ipv4Addr::new(10, 9, 0, 2), &request, true), None);
    }

    #[test]
    fn v6_reply_and_unreachable_are_told_apart() {
        let from: Ipv6Addr = "fd00:9::2".parse().unwrap();
        let mut reply = echo_request(Family::V6, 0x77, 3, &COOKIE);
        reply[0] = 129;
        assert_eq!(
            parse_v6(from, &reply),
            Some(Heard::Reply {
                from: IpAddr::V6(from),
                ident: 0x77,
                seq: 3,
                payload: &COOKIE
            })
        );

        // Address unreachable (code 3) from a router, quoting our request.
        let mut icmp = vec![1, 3, 0, 0, 0, 0, 0, 0];
        let mut ip6 = vec![0x60, 0, 0, 0, 0, 16, 58, 64];
        ip6.extend_from_slice(&"fd00:9::1".parse::<Ipv6Addr>().unwrap().octets());
        ip6.extend_from_slice(&"fd00:9::2".parse::<Ipv6Addr>().unwrap().octets());
        icmp.extend_from_slice(&ip6);
        icmp.extend_from_slice(&echo_request(Family::V6, 0x77, 3, &COOKIE));
        let router: Ipv6Addr = "fd00:9::fe".parse().unwrap();
        assert_eq!(
            parse_v6(router, &icmp),
            Some(Heard::Error {
                target: IpAddr::V6(from),
                ident: 0x77,
                seq: 3,
                kind: ErrorKind::Unreachable,
            })
        );
        icmp[1] = 4;
        assert!(matches!(
            parse_v6(router, &icmp),
            Some(Heard::Error {
                kind: ErrorKind::Refused,
                ..
            })
        ));
    }

    #[test]
    fn truncated_and_malformed_input_is_ignored() {
        let from = Ipv4Addr::new(10, 9, 0, 2);
        let p = v4_reply();
        for n in 0..p.len() {
            // Any prefix either parses to something consistent or nothing;
            // none may panic.
            let _ = strip_ipv4_header(&p[..n]).and_then(|i| parse_v4(from, i, true));
            let _ = parse_v6("::1".parse().unwrap(), &p[..n]);
        }
        assert_eq!(strip_ipv4_header(&[0x44; 40]), None, "IHL below 5");
        assert_eq!(strip_ipv4_header(&[0x65; 40]), None, "not IPv4");
        let mut err = vec![3, 1, 0, 0, 0, 0, 0, 0, 0x4f];
        err.extend_from_slice(&[0; 30]);
        assert_eq!(
            parse_v4(from, &err, false),
            None,
            "quoted header longer than the packet"
        );
    }
}
