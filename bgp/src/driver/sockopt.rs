//! The socket options BGP needs that socket2 0.6 and nix 0.31 lack:
//! TCP MD5 signatures (RFC 2385) and GTSM (RFC 5082). They are defined
//! with nix's `sockopt_impl!`, so the `setsockopt` call (and its `unsafe`)
//! stays inside nix and this crate keeps `forbid(unsafe_code)`.

use std::net::IpAddr;
use std::os::fd::AsFd;

use nix::sys::socket::setsockopt;
use nix::sys::socket::sockopt::{Ipv4Ttl, Ipv6Ttl};
use nix::{setsockopt_impl, sockopt_impl};

use super::error::DriverError;

/// The longest key the kernel accepts (`TCP_MD5SIG_MAXKEYLEN`).
pub const MD5_MAX_KEY_LEN: usize = 80;

/// Linux's `struct tcp_md5sig` (include/uapi/linux/tcp.h), which libc
/// does not define. The address is a `sockaddr_storage` laid out by hand
/// (family in host order, port and address in network order), so no
/// `unsafe` cast is needed to fill it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TcpMd5Sig {
    /// `tcpm_addr`: a `sockaddr_in` or `sockaddr_in6` in 128 bytes.
    addr: [u8; 128],
    /// `tcpm_flags`: 0, no prefix or ifindex matching.
    flags: u8,
    /// `tcpm_prefixlen`: unused without `TCP_MD5SIG_FLAG_PREFIX`.
    prefixlen: u8,
    /// `tcpm_keylen`: 0 deletes the key.
    keylen: u16,
    /// `tcpm_ifindex`: unused without `TCP_MD5SIG_FLAG_IFINDEX`.
    ifindex: i32,
    /// `tcpm_key`.
    key: [u8; MD5_MAX_KEY_LEN],
}

impl TcpMd5Sig {
    /// The key for segments to and from `peer` (any port). An empty key
    /// removes the peer's key.
    fn new(peer: IpAddr, key: &[u8]) -> Result<TcpMd5Sig, DriverError> {
        if key.len() > MD5_MAX_KEY_LEN {
            return Err(DriverError::Md5KeyTooLong(key.len()));
        }
        let mut sig = TcpMd5Sig {
            addr: [0; 128],
            flags: 0,
            prefixlen: 0,
            keylen: u16::try_from(key.len()).map_err(|_| DriverError::Md5KeyTooLong(key.len()))?,
            ifindex: 0,
            key: [0; MD5_MAX_KEY_LEN],
        };
        sig.key[..key.len()].copy_from_slice(key);
        match peer {
            IpAddr::V4(a) => {
                // sockaddr_in: family, port, address.
                sig.addr[0..2].copy_from_slice(&af(libc::AF_INET));
                sig.addr[4..8].copy_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                // sockaddr_in6: family, port, flowinfo, address, scope id.
                sig.addr[0..2].copy_from_slice(&af(libc::AF_INET6));
                sig.addr[8..24].copy_from_slice(&a.octets());
            }
        }
        Ok(sig)
    }
}

/// An address family as `sa_family_t` bytes (host order).
fn af(family: libc::c_int) -> [u8; 2] {
    u16::try_from(family).unwrap_or(0).to_ne_bytes()
}

sockopt_impl!(
    /// `TCP_MD5SIG`: the key for one peer address.
    TcpMd5SigOpt,
    SetOnly,
    libc::IPPROTO_TCP,
    libc::TCP_MD5SIG,
    TcpMd5Sig
);

sockopt_impl!(
    /// `IP_MINTTL`: drop IPv4 segments that arrive with a lower TTL.
    Ipv4MinTtl,
    SetOnly,
    libc::IPPROTO_IP,
    libc::IP_MINTTL,
    libc::c_int
);

sockopt_impl!(
    /// `IPV6_MINHOPCOUNT`: drop IPv6 segments with a lower hop limit.
    Ipv6MinHopCount,
    SetOnly,
    libc::IPPROTO_IPV6,
    libc::IPV6_MINHOPCOUNT,
    libc::c_int
);

/// Signs segments to and from `peer` with `password` (RFC 2385). On a
/// connecting socket call it before `connect`; on a listening socket once
/// per peer. Both ends must agree, or SYNs are dropped silently.
pub fn set_md5<F: AsFd>(sock: &F, peer: IpAddr, password: &str) -> Result<(), DriverError> {
    let sig = TcpMd5Sig::new(peer, password.as_bytes())?;
    setsockopt(sock, TcpMd5SigOpt, &sig).map_err(|e| DriverError::SockOpt("TCP_MD5SIG", e))
}

/// GTSM (RFC 5082) for a peer `hops` router hops away (1: directly
/// connected): send with TTL 255 and drop what arrives below
/// `256 - hops`. `v6` says which IP level the socket is on.
pub fn set_gtsm<F: AsFd>(sock: &F, v6: bool, hops: u8) -> Result<(), DriverError> {
    let min = min_ttl(hops)?;
    if v6 {
        setsockopt(sock, Ipv6Ttl, &255)
            .map_err(|e| DriverError::SockOpt("IPV6_UNICAST_HOPS", e))?;
        setsockopt(sock, Ipv6MinHopCount, &min)
            .map_err(|e| DriverError::SockOpt("IPV6_MINHOPCOUNT", e))
    } else {
        setsockopt(sock, Ipv4Ttl, &255).map_err(|e| DriverError::SockOpt("IP_TTL", e))?;
        setsockopt(sock, Ipv4MinTtl, &min).map_err(|e| DriverError::SockOpt("IP_MINTTL", e))
    }
}

/// The lowest TTL a peer `hops` away can arrive with when it sends 255.
pub fn min_ttl(hops: u8) -> Result<libc::c_int, DriverError> {
    if hops == 0 {
        return Err(DriverError::TtlSecurityHops);
    }
    Ok(256 - libc::c_int::from(hops))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_kernel() {
        // sizeof(struct tcp_md5sig) on Linux, every architecture.
        assert_eq!(std::mem::size_of::<TcpMd5Sig>(), 216);
    }

    #[test]
    fn min_ttl_per_hops() {
        assert_eq!(min_ttl(1).ok(), Some(255));
        assert_eq!(min_ttl(255).ok(), Some(1));
        assert!(min_ttl(0).is_err());
    }

    #[test]
    fn long_keys_are_refused() {
        let peer = IpAddr::from([192, 0, 2, 1]);
        assert!(TcpMd5Sig::new(peer, &[b'k'; 81]).is_err());
        let sig = TcpMd5Sig::new(peer, b"secret").expect("fits");
        assert_eq!(sig.keylen, 6);
        assert_eq!(&sig.addr[4..8], &[192, 0, 2, 1]);
    }
}
