//! The OPEN we send, the checks on the OPEN we receive (RFC 4271 6.2,
//! RFC 5492, RFC 6286, RFC 6793) and what the two agree on.

use std::net::Ipv4Addr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::config::SessionConfig;
use super::events::ConnId;
use crate::wire::capability::{GrFamily, MAX_LLGR_STALE_TIME, MAX_RESTART_TIME};
use crate::wire::{
    AS_TRANS, Capability, ErrorCode, Family, GracefulRestart, LlgrFamily, Negotiated, Notification,
    Open, OpenSubcode,
};

/// What Graceful Restart the two OPENs agreed on, for status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GrStatus {
    /// Both sides sent the GR capability.
    pub negotiated: bool,
    /// Both sides sent the LLGR capability.
    pub long_lived: bool,
    /// Both sides set the N bit: NOTIFICATIONs other than Hard Reset are
    /// graceful too.
    pub notification: bool,
    /// The peer set the R bit: it has just restarted.
    pub peer_restarting: bool,
}

/// What the OPEN exchange on one connection settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegotiatedSession {
    /// The connection it was settled on.
    pub conn: ConnId,
    /// Whether we initiated that connection.
    pub outbound: bool,
    /// The peer's BGP identifier.
    pub peer_id: Ipv4Addr,
    /// The peer's ASN (from the 4-octet AS capability when sent).
    pub peer_asn: u32,
    /// The smaller of both hold times, in seconds; 0: no keepalives and no
    /// hold timer.
    pub hold_time: u16,
    /// The families both sides offered, in our configured order.
    pub families: Vec<Family>,
    /// What the codec needs (4-octet AS, extended messages).
    pub wire: Negotiated,
    /// The peer understands ROUTE-REFRESH.
    pub route_refresh: bool,
    /// The Graceful Restart agreement.
    pub graceful_restart: GrStatus,
    /// The peer's GR capability as received.
    pub peer_gr: Option<GracefulRestart>,
    /// The peer's LLGR families, when it sent the capability.
    pub peer_llgr: Option<Vec<LlgrFamily>>,
    /// The LLGR stale time we advertised, in seconds (0: none).
    pub local_llgr_secs: u32,
    /// Both ends in one AS.
    pub ibgp: bool,
}

impl NegotiatedSession {
    /// The hold time, None when zero.
    pub fn hold(&self) -> Option<Duration> {
        (self.hold_time > 0).then(|| Duration::from_secs(u64::from(self.hold_time)))
    }

    /// The keepalive interval: a third of the hold time (RFC 4271 10).
    pub fn keepalive_interval(&self) -> Option<Duration> {
        self.hold().map(|h| h / 3)
    }

    /// The peer listed `family` in its GR capability: it wants us to keep
    /// its routes for its restart time. The F bit of that entry.
    pub fn peer_gr_family(&self, family: Family) -> Option<GrFamily> {
        if !self.families.contains(&family) {
            return None;
        }
        self.peer_gr.as_ref()?.family(family).copied()
    }

    /// The peer's restart time, if it listed `family` and the time is not 0.
    pub fn peer_restart_time(&self, family: Family) -> Option<Duration> {
        let gr = self.peer_gr.as_ref()?;
        self.peer_gr_family(family)?;
        (gr.restart_time > 0).then(|| Duration::from_secs(u64::from(gr.restart_time)))
    }

    /// The peer's LLGR entry for `family`, valid only with a GR capability
    /// beside it (RFC 9494 3).
    pub fn peer_llgr_family(&self, family: Family) -> Option<LlgrFamily> {
        self.peer_gr.as_ref()?;
        if !self.families.contains(&family) {
            return None;
        }
        self.peer_llgr
            .as_ref()?
            .iter()
            .find(|f| f.family == family)
            .copied()
    }

    /// How long we keep the peer's routes of `family` as LLGR-stale: the
    /// smaller of its stale time and ours, when both sent LLGR.
    pub fn llgr_time(&self, family: Family) -> Option<Duration> {
        let f = self.peer_llgr_family(family)?;
        let secs = f.stale_time.min(self.local_llgr_secs);
        (secs > 0).then(|| Duration::from_secs(u64::from(secs)))
    }
}

/// The OPEN we send: our families, route refresh, 4-octet AS, GR with the
/// R bit while `restarting`, the N bit and an F bit per family, and LLGR
/// when a stale time is configured.
pub(crate) fn build_open(cfg: &SessionConfig, restarting: bool) -> Open {
    let gr = &cfg.graceful_restart;
    let forwarding = |f: &Family| gr.forwarding_preserved.contains(f);
    let mut caps: Vec<Capability> = cfg
        .families
        .iter()
        .map(|f| Capability::Multiprotocol(*f))
        .collect();
    caps.push(Capability::RouteRefresh);
    caps.push(Capability::FourOctetAs(cfg.local_asn));
    let restart_secs = gr.restart_time.as_secs().min(u64::from(MAX_RESTART_TIME));
    caps.push(Capability::GracefulRestart(GracefulRestart {
        restarting,
        notification: gr.notification,
        restart_time: u16::try_from(restart_secs).unwrap_or(MAX_RESTART_TIME),
        families: cfg
            .families
            .iter()
            .map(|f| GrFamily {
                family: *f,
                forwarding: forwarding(f),
            })
            .collect(),
    }));
    let stale = llgr_secs(cfg);
    if stale > 0 {
        caps.push(Capability::LongLivedGracefulRestart(
            cfg.families
                .iter()
                .map(|f| LlgrFamily {
                    family: *f,
                    forwarding: forwarding(f),
                    stale_time: stale,
                })
                .collect(),
        ));
    }
    Open::new(cfg.local_asn, cfg.hold_secs(), cfg.router_id, caps)
}

/// Our LLGR stale time in seconds as the capability carries it.
fn llgr_secs(cfg: &SessionConfig) -> u32 {
    let secs = cfg.graceful_restart.long_lived_stale_time.as_secs();
    u32::try_from(secs.min(u64::from(MAX_LLGR_STALE_TIME))).unwrap_or(MAX_LLGR_STALE_TIME)
}

fn open_error(sub: OpenSubcode, data: Vec<u8>) -> Notification {
    Notification::new(ErrorCode::Open(sub), data)
}

/// Checks the peer's OPEN against the configuration. Err is the
/// NOTIFICATION to send. The codec already refused version != 4, hold
/// time 1 or 2, BGP identifier 0 and unknown optional parameters; the
/// checks are repeated where they are cheap, for OPENs built in memory.
pub(crate) fn validate_open(cfg: &SessionConfig, open: &Open) -> Result<(), Notification> {
    check_peer_as(cfg, open)?;
    if open.hold_time == 1 || open.hold_time == 2 {
        return Err(open_error(OpenSubcode::UnacceptableHoldTime, Vec::new()));
    }
    // RFC 6286 2.2: identifiers are unique within an AS, so an internal
    // peer with our identifier is an error; an external one is not.
    if open.bgp_id.is_unspecified() || (cfg.ibgp() && open.bgp_id == cfg.router_id) {
        return Err(open_error(OpenSubcode::BadBgpIdentifier, Vec::new()));
    }
    // RFC 5492 5: a session without a common family carries nothing; the
    // data lists the capabilities we needed.
    let theirs = open.families();
    if !cfg.families.iter().any(|f| theirs.contains(f)) {
        let mut data = Vec::new();
        for f in &cfg.families {
            let cap = Capability::Multiprotocol(*f);
            let start = data.len();
            data.extend([cap.code(), 0]);
            cap.encode_value(&mut data);
            let len = u8::try_from(data.len() - start - 2).unwrap_or(u8::MAX);
            if let Some(slot) = data.get_mut(start + 1) {
                *slot = len;
            }
        }
        return Err(open_error(OpenSubcode::UnsupportedCapability, data));
    }
    Ok(())
}

/// RFC 4271 6.2 and RFC 6793 4.1: the ASN the peer presents must be the
/// configured one, and My AS must agree with the 4-octet AS capability
/// (itself when it fits 16 bits, AS_TRANS otherwise).
fn check_peer_as(cfg: &SessionConfig, open: &Open) -> Result<(), Notification> {
    let consistent = match open.four_octet_as() {
        Some(asn) => match u16::try_from(asn) {
            Ok(short) => open.my_as == short,
            Err(_) => open.my_as == AS_TRANS,
        },
        None => true,
    };
    if !consistent || open.asn() != cfg.peer_asn || open.asn() == 0 {
        return Err(open_error(OpenSubcode::BadPeerAs, Vec::new()));
    }
    Ok(())
}

/// What `sent` and `received` (already validated) agree on.
pub(crate) fn negotiate(
    cfg: &SessionConfig,
    conn: ConnId,
    outbound: bool,
    sent: &Open,
    received: &Open,
) -> NegotiatedSession {
    let theirs = received.families();
    let families = cfg
        .families
        .iter()
        .filter(|f| theirs.contains(f))
        .copied()
        .collect();
    let ours_gr = sent.graceful_restart();
    let peer_gr = received.graceful_restart().cloned();
    let peer_llgr = received.long_lived_gr().map(<[LlgrFamily]>::to_vec);
    let graceful_restart = GrStatus {
        negotiated: ours_gr.is_some() && peer_gr.is_some(),
        long_lived: sent.long_lived_gr().is_some() && peer_llgr.is_some(),
        notification: ours_gr.is_some_and(|g| g.notification)
            && peer_gr.as_ref().is_some_and(|g| g.notification),
        peer_restarting: peer_gr.as_ref().is_some_and(|g| g.restarting),
    };
    NegotiatedSession {
        conn,
        outbound,
        peer_id: received.bgp_id,
        peer_asn: received.asn(),
        hold_time: sent.hold_time.min(received.hold_time),
        families,
        wire: Negotiated::from_opens(sent, received),
        route_refresh: received.route_refresh(),
        graceful_restart,
        peer_gr,
        peer_llgr,
        local_llgr_secs: if sent.long_lived_gr().is_some() {
            llgr_secs(cfg)
        } else {
            0
        },
        ibgp: cfg.ibgp(),
    }
}
