//! Capabilities (RFC 5492) this speaker uses: multiprotocol (RFC 4760),
//! route refresh (RFC 2918), extended messages (RFC 8654), Graceful
//! Restart with the N bit (RFC 4724, RFC 8538), 4-octet AS (RFC 6793),
//! enhanced route refresh (RFC 7313), Long-Lived GR (RFC 9494). Others,
//! add-path (69) among them, are kept as raw bytes and never interpreted.

use serde::{Deserialize, Serialize};

use super::family::Family;
use super::reader::Reader;

/// Capability code: multiprotocol extensions.
pub const CAP_MULTIPROTOCOL: u8 = 1;
/// Capability code: route refresh.
pub const CAP_ROUTE_REFRESH: u8 = 2;
/// Capability code: extended messages.
pub const CAP_EXTENDED_MESSAGE: u8 = 6;
/// Capability code: graceful restart.
pub const CAP_GRACEFUL_RESTART: u8 = 64;
/// Capability code: 4-octet AS numbers.
pub const CAP_FOUR_OCTET_AS: u8 = 65;
/// Capability code: enhanced route refresh.
pub const CAP_ENHANCED_ROUTE_REFRESH: u8 = 70;
/// Capability code: long-lived graceful restart.
pub const CAP_LONG_LIVED_GR: u8 = 71;

/// GR flag: Restart State (R), "I have restarted".
const GR_RESTART: u16 = 0x8000;
/// GR flag: Notification (N, RFC 8538), "NOTIFICATIONs other than Hard
/// Reset are graceful too".
const GR_NOTIFICATION: u16 = 0x4000;
/// The 12-bit restart time.
const GR_TIME_MASK: u16 = 0x0fff;
/// Per-family flag: Forwarding state preserved (F).
const FORWARDING: u8 = 0x80;
/// Largest restart time (12 bits).
pub const MAX_RESTART_TIME: u16 = 0x0fff;
/// Largest LLGR stale time (24 bits).
pub const MAX_LLGR_STALE_TIME: u32 = 0x00ff_ffff;

/// One capability.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Capability {
    /// 1: the speaker handles this family.
    Multiprotocol(Family),
    /// 2: ROUTE-REFRESH is understood.
    RouteRefresh,
    /// 6: messages up to 65535 bytes.
    ExtendedMessage,
    /// 64: graceful restart.
    GracefulRestart(GracefulRestart),
    /// 65: 4-octet AS numbers, with the speaker's real ASN.
    FourOctetAs(u32),
    /// 70: enhanced route refresh (BoRR/EoRR).
    EnhancedRouteRefresh,
    /// 71: long-lived graceful restart, per family.
    LongLivedGracefulRestart(Vec<LlgrFamily>),
    /// Any other code, kept verbatim.
    Unknown {
        /// Capability code.
        code: u8,
        /// Capability value.
        value: Vec<u8>,
    },
}

/// The Graceful Restart capability (RFC 4724 3, RFC 8538 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GracefulRestart {
    /// R: the sender has restarted; do not wait for its End-of-RIB before
    /// sending yours.
    pub restarting: bool,
    /// N: the sender handles NOTIFICATIONs other than Hard Reset gracefully.
    pub notification: bool,
    /// Seconds the peer keeps our routes while we come back (12 bits;
    /// larger values are sent as 4095).
    pub restart_time: u16,
    /// Families whose routes the sender preserves across a restart.
    pub families: Vec<GrFamily>,
}

/// One family of the GR capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GrFamily {
    /// The family.
    pub family: Family,
    /// F: forwarding state was preserved across the restart.
    pub forwarding: bool,
}

/// One family of the LLGR capability (RFC 9494 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LlgrFamily {
    /// The family.
    pub family: Family,
    /// F: forwarding state was preserved.
    pub forwarding: bool,
    /// Seconds routes are kept in the long-lived stale phase (24 bits;
    /// larger values are sent as the maximum).
    pub stale_time: u32,
}

/// A known capability whose value has the wrong shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadCapability;

impl Capability {
    /// The capability code.
    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol(_) => CAP_MULTIPROTOCOL,
            Capability::RouteRefresh => CAP_ROUTE_REFRESH,
            Capability::ExtendedMessage => CAP_EXTENDED_MESSAGE,
            Capability::GracefulRestart(_) => CAP_GRACEFUL_RESTART,
            Capability::FourOctetAs(_) => CAP_FOUR_OCTET_AS,
            Capability::EnhancedRouteRefresh => CAP_ENHANCED_ROUTE_REFRESH,
            Capability::LongLivedGracefulRestart(_) => CAP_LONG_LIVED_GR,
            Capability::Unknown { code, .. } => *code,
        }
    }

    /// Decodes one capability value.
    pub(crate) fn decode(code: u8, value: &[u8]) -> Result<Capability, BadCapability> {
        let mut r = Reader::new(value);
        let cap = match code {
            CAP_MULTIPROTOCOL => {
                let (Some(afi), Some(_reserved), Some(safi)) = (r.u16(), r.u8(), r.u8()) else {
                    return Err(BadCapability);
                };
                Capability::Multiprotocol(Family::new(afi, safi))
            }
            CAP_ROUTE_REFRESH => Capability::RouteRefresh,
            CAP_EXTENDED_MESSAGE => Capability::ExtendedMessage,
            CAP_ENHANCED_ROUTE_REFRESH => Capability::EnhancedRouteRefresh,
            CAP_FOUR_OCTET_AS => Capability::FourOctetAs(r.u32().ok_or(BadCapability)?),
            CAP_GRACEFUL_RESTART => Capability::GracefulRestart(decode_gr(&mut r)?),
            CAP_LONG_LIVED_GR => Capability::LongLivedGracefulRestart(decode_llgr(&mut r)?),
            _ => {
                return Ok(Capability::Unknown {
                    code,
                    value: value.to_vec(),
                });
            }
        };
        // Fixed-size capabilities with trailing bytes are malformed; the
        // list-shaped ones consumed everything or failed above.
        if r.is_empty() {
            Ok(cap)
        } else {
            Err(BadCapability)
        }
    }

    /// Appends the value (without code and length).
    pub(crate) fn encode_value(&self, out: &mut Vec<u8>) {
        match self {
            Capability::Multiprotocol(f) => {
                out.extend(f.afi.to_be_bytes());
                out.extend([0, f.safi]);
            }
            Capability::RouteRefresh
            | Capability::ExtendedMessage
            | Capability::EnhancedRouteRefresh => {}
            Capability::FourOctetAs(asn) => out.extend(asn.to_be_bytes()),
            Capability::GracefulRestart(gr) => {
                let mut word = gr.restart_time.min(MAX_RESTART_TIME) & GR_TIME_MASK;
                if gr.restarting {
                    word |= GR_RESTART;
                }
                if gr.notification {
                    word |= GR_NOTIFICATION;
                }
                out.extend(word.to_be_bytes());
                for f in &gr.families {
                    out.extend(f.family.to_bytes());
                    out.push(if f.forwarding { FORWARDING } else { 0 });
                }
            }
            Capability::LongLivedGracefulRestart(families) => {
                for f in families {
                    out.extend(f.family.to_bytes());
                    out.push(if f.forwarding { FORWARDING } else { 0 });
                    let t = f.stale_time.min(MAX_LLGR_STALE_TIME).to_be_bytes();
                    out.extend(t.get(1..).unwrap_or_default());
                }
            }
            Capability::Unknown { value, .. } => out.extend_from_slice(value),
        }
    }
}

fn decode_gr(r: &mut Reader<'_>) -> Result<GracefulRestart, BadCapability> {
    let word = r.u16().ok_or(BadCapability)?;
    let mut families = Vec::with_capacity(r.remaining() / 4);
    while !r.is_empty() {
        let (Some(afi), Some(safi), Some(flags)) = (r.u16(), r.u8(), r.u8()) else {
            return Err(BadCapability);
        };
        families.push(GrFamily {
            family: Family::new(afi, safi),
            forwarding: flags & FORWARDING != 0,
        });
    }
    Ok(GracefulRestart {
        restarting: word & GR_RESTART != 0,
        notification: word & GR_NOTIFICATION != 0,
        restart_time: word & GR_TIME_MASK,
        families,
    })
}

fn decode_llgr(r: &mut Reader<'_>) -> Result<Vec<LlgrFamily>, BadCapability> {
    let mut families = Vec::with_capacity(r.remaining() / 7);
    while !r.is_empty() {
        let (Some(afi), Some(safi), Some(flags), Some(stale_time)) =
            (r.u16(), r.u8(), r.u8(), r.u24())
        else {
            return Err(BadCapability);
        };
        families.push(LlgrFamily {
            family: Family::new(afi, safi),
            forwarding: flags & FORWARDING != 0,
            stale_time,
        });
    }
    Ok(families)
}

impl GracefulRestart {
    /// The entry for `family`, if the sender preserves it.
    pub fn family(&self, family: Family) -> Option<&GrFamily> {
        self.families.iter().find(|f| f.family == family)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(c: Capability) -> Vec<u8> {
        let mut v = Vec::new();
        c.encode_value(&mut v);
        assert_eq!(Capability::decode(c.code(), &v), Ok(c));
        v
    }

    #[test]
    fn graceful_restart_bits() {
        let gr = GracefulRestart {
            restarting: true,
            notification: true,
            restart_time: 120,
            families: vec![
                GrFamily {
                    family: Family::IPV4_UNICAST,
                    forwarding: true,
                },
                GrFamily {
                    family: Family::IPV6_UNICAST,
                    forwarding: false,
                },
            ],
        };
        let v = round_trip(Capability::GracefulRestart(gr.clone()));
        assert_eq!(v, [0xc0, 120, 0, 1, 1, 0x80, 0, 2, 1, 0]);
        assert_eq!(
            gr.family(Family::IPV6_UNICAST).map(|f| f.forwarding),
            Some(false)
        );
        // Reserved bits are ignored; times above 12 bits are capped on encode.
        let Ok(Capability::GracefulRestart(g)) = Capability::decode(64, &[0x3f, 0xff]) else {
            panic!("valid capability");
        };
        assert!(!g.restarting && !g.notification && g.restart_time == 4095);
        let mut v = Vec::new();
        Capability::GracefulRestart(GracefulRestart {
            restart_time: 9999,
            ..g
        })
        .encode_value(&mut v);
        assert_eq!(v, [0x0f, 0xff]);
    }

    #[test]
    fn llgr_stale_time() {
        let v = round_trip(Capability::LongLivedGracefulRestart(vec![LlgrFamily {
            family: Family::IPV6_UNICAST,
            forwarding: true,
            stale_time: 3600,
        }]));
        assert_eq!(v, [0, 2, 1, 0x80, 0, 0x0e, 0x10]);
    }

    #[test]
    fn simple_ones() {
        assert_eq!(
            round_trip(Capability::Multiprotocol(Family::IPV6_UNICAST)),
            [0, 2, 0, 1]
        );
        assert_eq!(
            round_trip(Capability::FourOctetAs(4_200_000_000)),
            4_200_000_000u32.to_be_bytes()
        );
        round_trip(Capability::RouteRefresh);
        round_trip(Capability::EnhancedRouteRefresh);
        round_trip(Capability::ExtendedMessage);
        round_trip(Capability::Unknown {
            code: 69,
            value: vec![0, 1, 1, 3],
        });
    }

    #[test]
    fn malformed() {
        assert_eq!(Capability::decode(1, &[0, 1, 0]), Err(BadCapability));
        assert_eq!(Capability::decode(65, &[0, 0, 1]), Err(BadCapability));
        assert_eq!(Capability::decode(65, &[0, 0, 1, 0, 0]), Err(BadCapability));
        assert_eq!(Capability::decode(64, &[0]), Err(BadCapability));
        assert_eq!(Capability::decode(64, &[0, 0, 0, 1, 1]), Err(BadCapability));
        assert_eq!(
            Capability::decode(71, &[0, 1, 1, 0, 0, 0]),
            Err(BadCapability)
        );
        assert_eq!(Capability::decode(2, &[1]), Err(BadCapability));
    }
}
