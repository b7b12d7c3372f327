//! The configuration of one session: who we are, who the peer is, the
//! timers, the families and Graceful Restart. The agent builds it from
//! `[bgp]` and one `[[bgp.neighbor]]`; `Session::new` validates it once.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::wire::Family;
use crate::wire::capability::{MAX_LLGR_STALE_TIME, MAX_RESTART_TIME};

/// Everything a session needs to know before its first connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our ASN; above 65535 the OPEN carries AS_TRANS and the 4-octet AS
    /// capability carries the real one (RFC 6793).
    pub local_asn: u32,
    /// Our BGP identifier (nonzero; unique within our AS for iBGP).
    pub router_id: Ipv4Addr,
    /// The peer's address. The driver connects to it and accepts only
    /// connections from it; the session uses it for logs and status only.
    pub peer_addr: IpAddr,
    /// The ASN the peer must present in its OPEN.
    pub peer_asn: u32,
    /// Never connect: wait for the peer to connect to us.
    pub passive: bool,
    /// The hold time we propose: zero (no keepalives, no hold timer) or 3 s
    /// to 65535 s, counted in whole seconds. The session uses the smaller
    /// of ours and the peer's.
    pub hold_time: Duration,
    /// The delay before reconnecting after the first failure; it doubles
    /// with each failure in a row up to `connect_retry_max`. The first
    /// attempt after `Start` is immediate. A gateway wants its sessions
    /// back fast (2 s), yet must not hammer a peer that refuses it.
    pub connect_retry_min: Duration,
    /// The ceiling of the back-off: RFC 4271's suggested ConnectRetryTime
    /// (120 s).
    pub connect_retry_max: Duration,
    /// How long an outbound TCP connect may take before it is abandoned
    /// and counted as a failure (the kernel's own SYN retries take minutes).
    pub connect_timeout: Duration,
    /// The families we offer: IPv4 and/or IPv6 unicast. The session carries
    /// the intersection with the peer's.
    pub families: Vec<Family>,
    /// Graceful Restart, in both roles.
    pub graceful_restart: GrConfig,
    /// The most prefixes the peer may send in one family (stale ones
    /// included); one more closes the session with Cease / Maximum Number
    /// of Prefixes Reached (RFC 4486), wrapped in Hard Reset when the N bit
    /// was negotiated (RFC 8538 5). None: no limit.
    pub max_prefixes: Option<u32>,
}

/// Graceful Restart (RFC 4724), its NOTIFICATION extension (RFC 8538) and
/// Long-Lived GR (RFC 9494). The capability is always sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrConfig {
    /// How long peers should keep our routes while we restart (sent in our
    /// GR capability; at most 4095 s).
    pub restart_time: Duration,
    /// How long peers should keep our routes as LLGR-stale once the
    /// restart time has passed (sent in our LLGR capability; at most
    /// 16 777 215 s). Zero: no LLGR capability, and no LLGR phase when we
    /// help a peer. As a helper we keep a peer's routes for the smaller of
    /// its stale time and this one.
    pub long_lived_stale_time: Duration,
    /// The N bit (RFC 8538): NOTIFICATIONs other than Hard Reset keep the
    /// routes too, when both sides set it.
    pub notification: bool,
    /// We are the restarting speaker: the process came back after a
    /// graceful stop (the agent learns it from a marker in `state_dir`).
    /// Our OPENs carry the R bit until End-of-RIB has gone out for every
    /// family on an established session.
    pub restarting: bool,
    /// The families whose forwarding state survives our restart (the F bit
    /// in our GR and LLGR capabilities). Peers flush our stale routes of a
    /// family whose F bit is missing when we come back (BIRD, FRR).
    pub forwarding_preserved: Vec<Family>,
    /// How long after Established End-of-RIB waits for `RoutesReady` of its
    /// family before it is sent anyway. Far below the peers' restart time,
    /// so their stale copies of our routes go at a bounded time.
    pub selection_deferral: Duration,
    /// As a helper: how long a returned peer's stale routes are kept while
    /// waiting for its End-of-RIB (RFC 4724 4.2 allows such an upper
    /// bound; FRR's `stalepath-time` is 360 s too).
    pub stale_path_time: Duration,
}

impl Default for GrConfig {
    fn default() -> GrConfig {
        GrConfig {
            restart_time: Duration::from_secs(120),
            long_lived_stale_time: Duration::from_secs(3600),
            notification: true,
            restarting: false,
            forwarding_preserved: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
            selection_deferral: Duration::from_secs(10),
            stale_path_time: Duration::from_secs(360),
        }
    }
}

impl SessionConfig {
    /// A configuration with the defaults: active, hold time 90 s,
    /// reconnects from 2 s to 120 s, connect timeout 10 s, IPv4 and IPv6
    /// unicast, GR with N and LLGR, no prefix limit.
    pub fn new(local_asn: u32, router_id: Ipv4Addr, peer_addr: IpAddr, peer_asn: u32) -> Self {
        SessionConfig {
            local_asn,
            router_id,
            peer_addr,
            peer_asn,
            passive: false,
            hold_time: Duration::from_secs(90),
            connect_retry_min: Duration::from_secs(2),
            connect_retry_max: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
            graceful_restart: GrConfig::default(),
            max_prefixes: None,
        }
    }

    /// Internal BGP: both ends in one AS.
    pub fn ibgp(&self) -> bool {
        self.local_asn == self.peer_asn
    }

    /// The hold time in seconds as the OPEN carries it.
    pub(crate) fn hold_secs(&self) -> u16 {
        u16::try_from(self.hold_time.as_secs()).unwrap_or(u16::MAX)
    }

    /// Checks every rule the fields above state.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.local_asn == 0 || self.peer_asn == 0 {
            return Err(ConfigError::ZeroAsn);
        }
        if self.router_id.is_unspecified() {
            return Err(ConfigError::ZeroRouterId);
        }
        let hold = self.hold_time.as_secs();
        if hold == 1 || hold == 2 || hold > u64::from(u16::MAX) {
            return Err(ConfigError::HoldTime(hold));
        }
        if self.families.is_empty() {
            return Err(ConfigError::NoFamily);
        }
        if let Some(f) = self.families.iter().find(|f| !f.is_supported()) {
            return Err(ConfigError::UnsupportedFamily(*f));
        }
        if self.connect_retry_min.is_zero() || self.connect_retry_min > self.connect_retry_max {
            return Err(ConfigError::ConnectRetry {
                min: self.connect_retry_min,
                max: self.connect_retry_max,
            });
        }
        if self.connect_timeout.is_zero() {
            return Err(ConfigError::ConnectTimeout);
        }
        if self.max_prefixes == Some(0) {
            return Err(ConfigError::MaxPrefixes);
        }
        let gr = &self.graceful_restart;
        let restart = gr.restart_time.as_secs();
        if restart > u64::from(MAX_RESTART_TIME) {
            return Err(ConfigError::RestartTime(restart));
        }
        let stale = gr.long_lived_stale_time.as_secs();
        if stale > u64::from(MAX_LLGR_STALE_TIME) {
            return Err(ConfigError::LongLivedStaleTime(stale));
        }
        Ok(())
    }
}

/// A configuration the session refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// AS 0 is reserved (RFC 7607).
    #[error("AS number 0 is reserved")]
    ZeroAsn,
    /// The BGP identifier must be nonzero (RFC 6286).
    #[error("router id 0.0.0.0 is not a BGP identifier")]
    ZeroRouterId,
    /// The hold time is 1 s, 2 s or above 65535 s (RFC 4271 4.2).
    #[error("hold time {0} s: must be 0 or 3 to 65535 s")]
    HoldTime(u64),
    /// No family to carry.
    #[error("no address family configured")]
    NoFamily,
    /// Only IPv4 and IPv6 unicast are carried.
    #[error("address family {0} is not supported")]
    UnsupportedFamily(Family),
    /// The back-off bounds are zero or inverted.
    #[error("connect retry {min:?}..{max:?}: need 0 < min <= max")]
    ConnectRetry {
        /// The configured minimum.
        min: Duration,
        /// The configured maximum.
        max: Duration,
    },
    /// A connect timeout of zero would abandon every attempt.
    #[error("connect timeout must be above zero")]
    ConnectTimeout,
    /// A prefix limit of zero would close every session at its first route.
    #[error("max_prefixes must be above zero")]
    MaxPrefixes,
    /// The GR restart time has 12 bits (RFC 4724 3).
    #[error("restart time {0} s exceeds 4095 s")]
    RestartTime(u64),
    /// The LLGR stale time has 24 bits (RFC 9494 3).
    #[error("long-lived stale time {0} s exceeds 16777215 s")]
    LongLivedStaleTime(u64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SessionConfig {
        SessionConfig::new(
            65001,
            Ipv4Addr::new(192, 0, 2, 1),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
            65000,
        )
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(cfg().validate(), Ok(()));
        assert!(!cfg().ibgp());
    }

    #[test]
    fn every_rule() {
        let s = Duration::from_secs;
        let bad = |f: &dyn Fn(&mut SessionConfig)| {
            let mut c = cfg();
            f(&mut c);
            c.validate().expect_err("invalid")
        };
        assert_eq!(bad(&|c| c.local_asn = 0), ConfigError::ZeroAsn);
        assert_eq!(bad(&|c| c.peer_asn = 0), ConfigError::ZeroAsn);
        assert_eq!(
            bad(&|c| c.router_id = Ipv4Addr::UNSPECIFIED),
            ConfigError::ZeroRouterId
        );
        assert_eq!(bad(&|c| c.hold_time = s(2)), ConfigError::HoldTime(2));
        assert_eq!(
            bad(&|c| c.hold_time = s(65536)),
            ConfigError::HoldTime(65536)
        );
        assert_eq!(bad(&|c| c.families.clear()), ConfigError::NoFamily);
        assert_eq!(
            bad(&|c| c.families.push(Family::new(1, 128))),
            ConfigError::UnsupportedFamily(Family::new(1, 128))
        );
        assert!(matches!(
            bad(&|c| c.connect_retry_min = s(200)),
            ConfigError::ConnectRetry { .. }
        ));
        assert!(matches!(
            bad(&|c| c.connect_retry_min = s(0)),
            ConfigError::ConnectRetry { .. }
        ));
        assert_eq!(
            bad(&|c| c.connect_timeout = s(0)),
            ConfigError::ConnectTimeout
        );
        assert_eq!(bad(&|c| c.max_prefixes = Some(0)), ConfigError::MaxPrefixes);
        assert_eq!(
            bad(&|c| c.graceful_restart.restart_time = s(4096)),
            ConfigError::RestartTime(4096)
        );
        assert_eq!(
            bad(&|c| c.graceful_restart.long_lived_stale_time = s(1 << 24)),
            ConfigError::LongLivedStaleTime(1 << 24)
        );
        let mut c = cfg();
        c.hold_time = s(0);
        c.graceful_restart.restart_time = s(0);
        c.graceful_restart.long_lived_stale_time = s(0);
        assert_eq!(c.validate(), Ok(()), "zeros switch things off");
    }
}
