//! One-shot checks from inside a namespace through one device: an echo
//! request with `ping -I`, a DNS query and an HTTP GET on sockets bound to
//! the device. The lab uses them to know it is ready; tests use them to see
//! what a WAN lets through. Each one is bounded in time.

use std::hash::{BuildHasher, RandomState};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::dns::{self, QueryType};
use crate::netns::NetNs;
use crate::sock;

/// How long one DNS query waits for its answer.
pub const DNS_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one HTTP exchange may take, per step.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(1);

/// Sends one echo request to `target` with `ping -I <device>` and waits at
/// most a second for the reply. Fails with ping's output.
pub fn ping(ns: &NetNs, device: &str, target: IpAddr) -> Result<()> {
    let target = target.to_string();
    ns.run(&[
        "ping", "-n", "-q", "-c", "1", "-W", "1", "-I", device, &target,
    ])
    .map(drop)
    .with_context(|| format!("no echo reply from {target} through {device}"))
}

/// Asks `server` (port 53) for the `qtype` records of `name` on a UDP socket
/// bound to `device`, and returns the addresses in the answer.
pub fn dns_query(
    ns: &NetNs,
    device: &str,
    server: IpAddr,
    name: &str,
    qtype: QueryType,
) -> Result<Vec<IpAddr>> {
    let peer = SocketAddr::new(server, crate::addr::DNS_PORT);
    // Random ids, so a late answer to an earlier query is not taken for
    // this one's.
    let id = RandomState::new().hash_one(0u8).to_le_bytes();
    let id = u16::from_le_bytes([id[0], id[1]]);
    let query = dns::encode_query(id, name, qtype)?;
    let answer = ns.enter(|| -> Result<Vec<u8>> {
        let s = sock::udp(device, peer, DNS_TIMEOUT)?;
        s.send(&query)
            .with_context(|| format!("sending a query to {peer}"))?;
        let mut buf = vec![0u8; 1500];
        let n = s
            .recv(&mut buf)
            .with_context(|| format!("no answer from {peer}"))?;
        buf.truncate(n);
        Ok(buf)
    })??;
    dns::decode_answer(id, &answer)
        .with_context(|| format!("the answer of {peer} through {device} to {name} {qtype:?}"))
}

/// Sends `GET <path>` to `addr` port 80 over a TCP connection bound to
/// `device` and returns the response's status code.
pub fn http_status(ns: &NetNs, device: &str, addr: IpAddr, path: &str) -> Result<u16> {
    let peer = SocketAddr::new(addr, crate::addr::HTTP_PORT);
    let host = match addr {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let response = ns.enter(|| -> Result<Vec<u8>> {
        let mut s = sock::tcp(device, peer, HTTP_TIMEOUT)?;
        s.write_all(request.as_bytes())
            .with_context(|| format!("sending to {peer}"))?;
        let mut response = Vec::new();
        // HTTP/1.0: the server closes when it is done. The probe target's
        // answers are a few hundred bytes; more is not an HTTP server of ours.
        s.take(64 * 1024)
            .read_to_end(&mut response)
            .with_context(|| format!("reading the response of {peer}"))?;
        Ok(response)
    })??;
    parse_status(&response).with_context(|| format!("the response of {peer} through {device}"))
}

/// The status code in an HTTP/1.x status line.
fn parse_status(response: &[u8]) -> Result<u16> {
    let line = response.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    match (words.next(), words.next().map(str::parse::<u16>)) {
        (Some(v), Some(Ok(code))) if v.starts_with("HTTP/1.") => Ok(code),
        _ => bail!("not an HTTP/1 status line: {:?}", line.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_status;

    #[test]
    fn status_lines_are_read() {
        assert_eq!(
            parse_status(b"HTTP/1.0 204 No Content\r\n\r\n").unwrap(),
            204
        );
        assert_eq!(
            parse_status(b"HTTP/1.1 500 Internal Server Error\r\nX: y\r\n").unwrap(),
            500
        );
        for bad in [
            &b""[..],
            b"HTTP/1.0\r\n",
            b"SSH-2.0-x\r\n",
            b"HTTP/1.0 abc\r\n",
        ] {
            assert!(parse_status(bad).is_err(), "{bad:?}");
        }
    }
}
