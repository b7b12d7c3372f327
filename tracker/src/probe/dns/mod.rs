//! DNS through one WAN: one query on a fresh UDP socket bound to the WAN,
//! passing only on a real answer (NOERROR with a record of the asked type
//! for the name). A fresh socket per probe gives a fresh source port, and
//! connecting it makes the kernel drop datagrams from anyone but the server
//! and report its ICMP port unreachable as a refusal.

mod answer;

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::RecordType;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use self::answer::{Question, Verdict};
use super::binding::family_of;
use super::error::kind_of_io;
use super::random::random_u16;
use super::{Binding, ProbeError};
use crate::events::{ErrorKind, Family, Outcome};

/// An answer over UDP to a query without EDNS is at most 512 bytes (RFC
/// 1035, 4.2.1); the larger buffer also takes a non-conforming answer whole.
const MAX_ANSWER: usize = 4096;

/// The record type a DNS probe asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsRecordType {
    /// IPv4 address records: the default, which every resolver answers.
    #[default]
    A,
    /// IPv6 address records.
    Aaaa,
}

impl DnsRecordType {
    fn record_type(self) -> RecordType {
        match self {
            DnsRecordType::A => RecordType::A,
            DnsRecordType::Aaaa => RecordType::AAAA,
        }
    }
}

/// Asks DNS servers through one WAN.
#[derive(Debug, Clone)]
pub struct DnsProber {
    binding: Binding,
    record_type: DnsRecordType,
}

impl DnsProber {
    /// A prober through `binding` asking for A records.
    pub fn new(binding: Binding) -> Result<DnsProber, ProbeError> {
        binding.check_device()?;
        Ok(DnsProber {
            binding,
            record_type: DnsRecordType::A,
        })
    }

    /// Asks for `record_type` instead.
    pub fn with_record_type(mut self, record_type: DnsRecordType) -> DnsProber {
        self.record_type = record_type;
        self
    }

    /// Asks `server` for `name` and waits at most `timeout` for the answer.
    /// Datagrams that do not answer our query (another id or question,
    /// garbage) are ignored until the timeout; an error code or an answer
    /// without the asked record is `Error(BadAnswer)`, ICMP port
    /// unreachable from the server `Error(Refused)`.
    pub async fn probe(&self, server: SocketAddr, name: &str, timeout: Duration) -> Outcome {
        match tokio::time::timeout(timeout, self.exchange(server, name)).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::Timeout,
        }
    }

    async fn exchange(&self, server: SocketAddr, name: &str) -> Outcome {
        let Some(question) = Question::new(name, self.record_type.record_type()) else {
            tracing::debug!(name, "DNS probe name is not a domain name");
            return Outcome::Error(ErrorKind::Send);
        };
        let id = random_u16();
        let Some(query) = question.encode(id) else {
            tracing::debug!(name, "DNS query could not be encoded");
            return Outcome::Error(ErrorKind::Send);
        };
        let socket = match self.socket(server) {
            Ok(s) => s,
            Err(Setup::Probe(e)) => {
                tracing::debug!(%server, error = %e, "DNS probe socket");
                return Outcome::Error(ErrorKind::Send);
            }
            Err(Setup::Io(e)) => {
                tracing::debug!(%server, error = %e, "DNS probe socket");
                return Outcome::Error(kind_of_io(&e));
            }
        };
        let sent = Instant::now();
        if let Err(e) = socket.send(&query).await {
            tracing::debug!(%server, error = %e, "DNS query not sent");
            return Outcome::Error(kind_of_io(&e));
        }
        let mut buf = vec![0u8; MAX_ANSWER];
        loop {
            let len = match socket.recv(&mut buf).await {
                Ok(len) => len,
                Err(e) => return Outcome::Error(kind_of_io(&e)),
            };
            let at = Instant::now();
            match question.judge(id, buf.get(..len).unwrap_or_default()) {
                Verdict::Ignore => continue,
                Verdict::Pass => {
                    return Outcome::Reply {
                        rtt: at.saturating_duration_since(sent),
                    };
                }
                Verdict::Fail(kind) => return Outcome::Error(kind),
            }
        }
    }

    /// A UDP socket bound to the WAN and connected to `server`.
    fn socket(&self, server: SocketAddr) -> Result<UdpSocket, Setup> {
        let family = family_of(server.ip());
        let domain = match family {
            Family::V4 => Domain::IPV4,
            Family::V6 => Domain::IPV6,
        };
        let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).map_err(|source| {
            ProbeError::Socket {
                family,
                kind: "UDP",
                source,
            }
        })?;
        socket
            .set_nonblocking(true)
            .map_err(|source| ProbeError::SocketOption {
                option: "O_NONBLOCK",
                source,
            })?;
        self.binding.apply(&socket, family)?;
        // No route out of the device shows here, as ENETUNREACH.
        socket
            .connect(&SockAddr::from(self.binding.scoped(server)))
            .map_err(Setup::Io)?;
        UdpSocket::from_std(socket.into()).map_err(|e| Setup::Probe(ProbeError::Runtime(e)))
    }
}

/// Why a probe's socket could not be set up: the prober's setup, or the
/// network (no route).
enum Setup {
    Probe(ProbeError),
    Io(std::io::Error),
}

impl From<ProbeError> for Setup {
    fn from(e: ProbeError) -> Setup {
        Setup::Probe(e)
    }
}
