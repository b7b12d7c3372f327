//! A hostile BGP peer for the agent's lab tests: a plain TCP socket in the
//! peer namespace that speaks hand-made bytes, and the builders for them.
//! Nothing here reuses the `mpwan_bgp` codec, so a bug there cannot hide
//! itself: every message is laid out by hand from RFC 4271, 4760, 5492,
//! 6793 and 4724/8538.
//!
//! ```text
//!  test thread ──send()──▶ TcpStream (in [peer], from an address we add)
//!                               │ try_clone
//!  reader thread ◀── framed messages ──┘ ──mpsc──▶ RawPeer::next()
//! ```
//! The reader thread keeps draining what the agent sends (OPEN, KEEPALIVE,
//! UPDATE), so the agent never blocks on a full socket while a test floods.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mpwan_lab::NetNs;
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, SockaddrIn, SockaddrStorage};
use nix::sys::time::{TimeVal, TimeValLike};

pub const MARKER: [u8; 16] = [0xff; 16];
pub const OPEN: u8 = 1;
pub const UPDATE: u8 = 2;
pub const NOTIFICATION: u8 = 3;
pub const KEEPALIVE: u8 = 4;

/// Attribute flags.
pub const OPTIONAL: u8 = 0x80;
pub const TRANSITIVE: u8 = 0x40;
/// Attribute type codes.
pub const ORIGIN: u8 = 1;
pub const AS_PATH: u8 = 2;
pub const NEXT_HOP: u8 = 3;
pub const MED: u8 = 4;

/// A message with a valid marker: `kind` and `body`, length computed.
pub fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(19 + body.len()).expect("message fits 65535 bytes");
    framed(MARKER, len, kind, body)
}

/// Any header at all, whatever it claims, followed by `body`.
pub fn framed(marker: [u8; 16], length: u16, kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = marker.to_vec();
    m.extend(length.to_be_bytes());
    m.push(kind);
    m.extend_from_slice(body);
    m
}

pub fn keepalive() -> Vec<u8> {
    message(KEEPALIVE, &[])
}

/// An OPEN of any `version`, with one Capabilities optional parameter
/// holding `caps` (none when empty).
pub fn open(version: u8, my_as: u16, hold: u16, id: Ipv4Addr, caps: &[Vec<u8>]) -> Vec<u8> {
    let caps: Vec<u8> = caps.concat();
    let mut body = vec![version];
    body.extend(my_as.to_be_bytes());
    body.extend(hold.to_be_bytes());
    body.extend(id.octets());
    if caps.is_empty() {
        body.push(0);
    } else {
        let len = u8::try_from(caps.len()).expect("capabilities fit one parameter");
        body.extend([len + 2, 2, len]);
        body.extend(caps);
    }
    message(OPEN, &body)
}

/// Capability `code` with `value`.
pub fn cap(code: u8, value: &[u8]) -> Vec<u8> {
    let mut c = vec![code, u8::try_from(value.len()).unwrap()];
    c.extend_from_slice(value);
    c
}

/// Multiprotocol IPv4 unicast (RFC 4760).
pub fn cap_ipv4_unicast() -> Vec<u8> {
    cap(1, &[0, 1, 0, 1])
}

/// 4-octet AS numbers (RFC 6793).
pub fn cap_four_octet(asn: u32) -> Vec<u8> {
    cap(65, &asn.to_be_bytes())
}

/// Graceful Restart with the N bit (RFC 8538), restart time 120 s, IPv4
/// unicast without the forwarding bit.
pub fn cap_graceful_restart_n() -> Vec<u8> {
    let flags_and_time: u16 = 0x4000 | 120;
    let mut v = flags_and_time.to_be_bytes().to_vec();
    v.extend([0, 1, 1, 0]);
    cap(64, &v)
}

/// One path attribute (extended length when the value needs it).
pub fn attr(flags: u8, type_code: u8, value: &[u8]) -> Vec<u8> {
    match u8::try_from(value.len()) {
        Ok(len) => {
            let mut a = vec![flags, type_code, len];
            a.extend_from_slice(value);
            a
        }
        Err(_) => {
            let mut a = vec![flags | 0x10, type_code];
            a.extend(u16::try_from(value.len()).unwrap().to_be_bytes());
            a.extend_from_slice(value);
            a
        }
    }
}

pub fn origin(value: u8) -> Vec<u8> {
    attr(TRANSITIVE, ORIGIN, &[value])
}

/// AS_PATH of one AS_SEQUENCE of 4-octet ASNs.
pub fn as_path(asns: &[u32]) -> Vec<u8> {
    let mut v = vec![2, u8::try_from(asns.len()).unwrap()];
    for a in asns {
        v.extend(a.to_be_bytes());
    }
    attr(TRANSITIVE, AS_PATH, &v)
}

pub fn next_hop(addr: Ipv4Addr) -> Vec<u8> {
    attr(TRANSITIVE, NEXT_HOP, &addr.octets())
}

/// MULTI_EXIT_DISC with any value bytes (4 are right).
pub fn med(value: &[u8]) -> Vec<u8> {
    attr(OPTIONAL, MED, value)
}

/// A prefix in NLRI encoding: length, then only the octets it covers.
pub fn prefix(addr: Ipv4Addr, len: u8) -> Vec<u8> {
    let mut p = vec![len];
    p.extend_from_slice(&addr.octets()[..usize::from(len).div_ceil(8)]);
    p
}

/// An UPDATE from its three raw fields.
pub fn update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let mut body = u16::try_from(withdrawn.len())
        .unwrap()
        .to_be_bytes()
        .to_vec();
    body.extend_from_slice(withdrawn);
    body.extend(u16::try_from(attrs.len()).unwrap().to_be_bytes());
    body.extend_from_slice(attrs);
    body.extend_from_slice(nlri);
    message(UPDATE, &body)
}

/// ORIGIN IGP, AS_PATH `[asn]`, NEXT_HOP `nh`: a well-formed attribute list
/// for a 4-octet AS session.
pub fn good_attrs(asn: u32, nh: Ipv4Addr) -> Vec<u8> {
    [origin(0), as_path(&[asn]), next_hop(nh)].concat()
}

/// A NOTIFICATION as read from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub code: u8,
    pub subcode: u8,
    pub data: Vec<u8>,
}

/// What the reader thread saw.
#[derive(Debug)]
pub enum Event {
    Message {
        kind: u8,
        body: Vec<u8>,
    },
    /// The agent closed the connection.
    Closed,
    /// A read failed, or the agent sent something that is not BGP.
    Broken(String),
}

/// The hostile peer's end of one TCP connection to the agent.
pub struct RawPeer {
    stream: TcpStream,
    events: mpsc::Receiver<Event>,
}

/// How a [`RawPeer`] connects.
#[derive(Debug, Clone)]
pub struct Dial {
    /// Our source address, in the peer namespace.
    pub from: Ipv4Addr,
    /// The agent's listener.
    pub to: SocketAddrV4,
    /// IP_TTL of our segments; the kernel default (64) when None.
    pub ttl: Option<u8>,
    /// A TCP MD5 key for the agent's address.
    pub md5: Option<String>,
    /// For the handshake, and for every write.
    pub timeout: Duration,
}

impl RawPeer {
    /// Connects from `dial.from` in `ns` to the agent and starts reading.
    pub fn connect(ns: &NetNs, dial: &Dial) -> Result<RawPeer> {
        let d = dial.clone();
        let stream = ns.enter(move || dial_in_ns(&d))??;
        let reader = stream.try_clone().context("cloning the stream")?;
        let (tx, events) = mpsc::channel();
        std::thread::Builder::new()
            .name("raw-bgp-reader".into())
            .spawn(move || read_loop(reader, &tx))
            .context("spawning the reader")?;
        Ok(RawPeer { stream, events })
    }

    /// Writes `bytes` whole.
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes).context("writing to the agent")
    }

    /// Another handle on the socket, for a thread that writes on its own.
    pub fn writer(&self) -> Result<TcpStream> {
        self.stream.try_clone().context("cloning the stream")
    }

    /// The next event, or None when `limit` passes first.
    pub fn next(&self, limit: Duration) -> Option<Event> {
        self.events.recv_timeout(limit).ok()
    }

    /// Waits for a message of `kind`, skipping KEEPALIVEs and UPDATEs;
    /// fails on anything else.
    pub fn expect(&self, kind: u8, limit: Duration) -> Result<Vec<u8>> {
        loop {
            match self.next(limit) {
                Some(Event::Message { kind: k, body }) if k == kind => return Ok(body),
                Some(Event::Message {
                    kind: KEEPALIVE | UPDATE,
                    ..
                }) => {}
                Some(Event::Message { kind: k, body }) => {
                    bail!("expected type {kind}, got type {k}: {body:02x?}")
                }
                Some(e) => bail!("expected type {kind}, got {e:?}"),
                None => bail!("no message of type {kind} within {limit:?}"),
            }
        }
    }

    /// Waits for the agent's NOTIFICATION and then for it to close the
    /// connection.
    pub fn notification(&self, limit: Duration) -> Result<Notification> {
        let body = self.expect(NOTIFICATION, limit)?;
        let n = match body.as_slice() {
            [code, subcode, data @ ..] => Notification {
                code: *code,
                subcode: *subcode,
                data: data.to_vec(),
            },
            _ => bail!("a NOTIFICATION of {} bytes", body.len()),
        };
        match self.next(limit) {
            Some(Event::Closed) => Ok(n),
            other => bail!("after {n:?} the connection was not closed but {other:?}"),
        }
    }

    /// Nothing but KEEPALIVEs and UPDATEs for `quiet`: the session lives.
    pub fn stays_open(&self, quiet: Duration) -> Result<()> {
        match self.next(quiet) {
            None
            | Some(Event::Message {
                kind: KEEPALIVE | UPDATE,
                ..
            }) => Ok(()),
            Some(other) => bail!("the session did not stay open: {other:?}"),
        }
    }

    /// Reads the agent's OPEN, sends `open`, and completes the handshake
    /// with a KEEPALIVE each way.
    pub fn establish(&mut self, open: &[u8], limit: Duration) -> Result<()> {
        self.expect(OPEN, limit).context("the agent's OPEN")?;
        self.send(open)?;
        self.expect(KEEPALIVE, limit)
            .context("the agent's KEEPALIVE")?;
        self.send(&keepalive())
    }
}

/// A blocking TCP socket from `dial.from` to `dial.to`, made in the calling
/// thread's namespace.
fn dial_in_ns(dial: &Dial) -> Result<TcpStream> {
    let fd = socket::socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .context("creating a TCP socket")?;
    if let Some(ttl) = dial.ttl {
        socket::setsockopt(&fd, socket::sockopt::Ipv4Ttl, &i32::from(ttl)).context("IP_TTL")?;
    }
    if let Some(key) = &dial.md5 {
        mpwan_bgp::driver::set_md5(&fd, IpAddr::V4(*dial.to.ip()), key)
            .map_err(|e| anyhow::anyhow!("TCP_MD5SIG: {e}"))?;
    }
    let from = SockaddrIn::from(SocketAddrV4::new(dial.from, 0));
    socket::bind(fd.as_raw_fd(), &from).with_context(|| format!("binding {}", dial.from))?;
    // Linux bounds a blocking connect() by the send timeout.
    let ms = u32::try_from(dial.timeout.as_millis()).unwrap_or(u32::MAX);
    socket::setsockopt(
        &fd,
        socket::sockopt::SendTimeout,
        &TimeVal::milliseconds(i64::from(ms)),
    )?;
    let to = SockaddrStorage::from(SocketAddr::V4(dial.to));
    socket::connect(fd.as_raw_fd(), &to).with_context(|| format!("connecting to {}", dial.to))?;
    let stream = TcpStream::from(fd);
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Frames what the agent sends until it closes or breaks the stream.
fn read_loop(mut s: TcpStream, tx: &mpsc::Sender<Event>) {
    let mut header = [0u8; 19];
    loop {
        if let Err(e) = s.read_exact(&mut header) {
            // A reset after the agent's last message is a close too: the
            // kernel resets when the agent closes with our bytes unread.
            let closed = matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            );
            let end = if closed {
                Event::Closed
            } else {
                Event::Broken(e.to_string())
            };
            let _ = tx.send(end);
            return;
        }
        let len = usize::from(u16::from_be_bytes([header[16], header[17]]));
        if header[..16] != MARKER || !(19..=65535).contains(&len) {
            let _ = tx.send(Event::Broken(format!("not a BGP header: {header:02x?}")));
            return;
        }
        let mut body = vec![0u8; len - 19];
        if let Err(e) = s.read_exact(&mut body) {
            let _ = tx.send(Event::Broken(format!("a truncated message: {e}")));
            return;
        }
        if tx
            .send(Event::Message {
                kind: header[18],
                body,
            })
            .is_err()
        {
            return;
        }
    }
}
