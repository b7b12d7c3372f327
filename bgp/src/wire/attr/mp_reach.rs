//! MP_REACH_NLRI (type 14, RFC 4760 3). The next hop precedes the NLRI, so
//! a next hop of the wrong length or an NLRI that does not parse leaves the
//! routes unlocatable: session reset (RFC 7606 7.11, 5.3). NLRI of families
//! other than IPv4/IPv6 unicast is kept opaque.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::wire::error::EncodeError;
use crate::wire::family::Family;
use crate::wire::prefix::{Prefix, decode_prefixes};
use crate::wire::reader::Reader;

use super::TYPE_MP_REACH;

/// The routes of one family that an UPDATE announces, with their next hop.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MpReach {
    /// The family of the next hop and the NLRI.
    pub family: Family,
    /// The next hop.
    pub next_hop: MpNextHop,
    /// The announced routes.
    pub nlri: MpNlri,
}

/// The next hop of MP_REACH_NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MpNextHop {
    /// 4 octets.
    V4(Ipv4Addr),
    /// 16 octets, or 32 with the link-local address (RFC 2545 3).
    V6 {
        /// The global address.
        global: Ipv6Addr,
        /// The link-local address, when the peer is on the same link.
        link_local: Option<Ipv6Addr>,
    },
    /// The next hop of a family this codec does not decode.
    Other(Vec<u8>),
}

/// The NLRI of MP_REACH_NLRI or MP_UNREACH_NLRI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MpNlri {
    /// IPv4 or IPv6 unicast prefixes.
    Prefixes(Vec<Prefix>),
    /// The raw NLRI of another family.
    Opaque(Vec<u8>),
}

impl MpNlri {
    /// The prefixes (none for an opaque family).
    pub fn prefixes(&self) -> &[Prefix] {
        match self {
            MpNlri::Prefixes(p) => p,
            MpNlri::Opaque(_) => &[],
        }
    }

    /// Whether it carries no routes.
    pub fn is_empty(&self) -> bool {
        match self {
            MpNlri::Prefixes(p) => p.is_empty(),
            MpNlri::Opaque(b) => b.is_empty(),
        }
    }

    pub(crate) fn decode(bytes: &[u8], family: Family) -> Result<MpNlri, MpFault> {
        if family.is_supported() {
            decode_prefixes(bytes, family)
                .map(MpNlri::Prefixes)
                .map_err(|_| MpFault::Nlri)
        } else {
            Ok(MpNlri::Opaque(bytes.to_vec()))
        }
    }

    pub(crate) fn encode(&self, family: Family, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            MpNlri::Prefixes(list) => {
                for p in list {
                    if p.family() != family {
                        return Err(EncodeError::FamilyMismatch { family, prefix: *p });
                    }
                    p.encode(out);
                }
            }
            MpNlri::Opaque(bytes) => out.extend_from_slice(bytes),
        }
        Ok(())
    }
}

/// What made MP_REACH_NLRI or MP_UNREACH_NLRI unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MpFault {
    /// Too short, or a next hop of the wrong length.
    Attribute,
    /// The NLRI is syntactically incorrect.
    Nlri,
}

impl MpNextHop {
    fn decode(bytes: &[u8], family: Family) -> Result<MpNextHop, MpFault> {
        if !family.is_supported() {
            return Ok(MpNextHop::Other(bytes.to_vec()));
        }
        let mut r = Reader::new(bytes);
        match (bytes.len(), family) {
            (4, Family::IPV4_UNICAST) => r.array::<4>().map(|a| MpNextHop::V4(a.into())),
            // IPv6 next hops for IPv4 routes (RFC 8950) decode too.
            (16, _) => r.array::<16>().map(|g| MpNextHop::V6 {
                global: g.into(),
                link_local: None,
            }),
            (32, _) => match (r.array::<16>(), r.array::<16>()) {
                (Some(g), Some(l)) => Some(MpNextHop::V6 {
                    global: g.into(),
                    link_local: Some(l.into()),
                }),
                _ => None,
            },
            _ => None,
        }
        .ok_or(MpFault::Attribute)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            MpNextHop::V4(a) => {
                out.push(4);
                out.extend(a.octets());
            }
            MpNextHop::V6 { global, link_local } => {
                out.push(if link_local.is_some() { 32 } else { 16 });
                out.extend(global.octets());
                if let Some(l) = link_local {
                    out.extend(l.octets());
                }
            }
            MpNextHop::Other(bytes) => {
                let len = u8::try_from(bytes.len()).map_err(|_| EncodeError::AttributeTooLong {
                    type_code: TYPE_MP_REACH,
                    len: bytes.len(),
                })?;
                out.push(len);
                out.extend_from_slice(bytes);
            }
        }
        Ok(())
    }
}

impl MpReach {
    pub(crate) fn decode(value: &[u8]) -> Result<MpReach, MpFault> {
        let mut r = Reader::new(value);
        let (Some(afi), Some(safi), Some(nh_len)) = (r.u16(), r.u8(), r.u8()) else {
            return Err(MpFault::Attribute);
        };
        let family = Family::new(afi, safi);
        let nh = r.take(usize::from(nh_len)).ok_or(MpFault::Attribute)?;
        // The old SNPA count, reserved since RFC 4760: ignored.
        r.u8().ok_or(MpFault::Attribute)?;
        Ok(MpReach {
            family,
            next_hop: MpNextHop::decode(nh, family)?,
            nlri: MpNlri::decode(r.take_rest(), family)?,
        })
    }

    /// Appends the value up to and including the reserved octet.
    pub(crate) fn encode_head(
        family: Family,
        next_hop: &MpNextHop,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        out.extend(family.to_bytes());
        next_hop.encode(out)?;
        out.push(0);
        Ok(())
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        MpReach::encode_head(self.family, &self.next_hop, out)?;
        self.nlri.encode(self.family, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().expect("test prefix")
    }

    #[test]
    fn ipv6_with_link_local() {
        let m = MpReach {
            family: Family::IPV6_UNICAST,
            next_hop: MpNextHop::V6 {
                global: "2001:db8::1".parse().expect("addr"),
                link_local: Some("fe80::1".parse().expect("addr")),
            },
            nlri: MpNlri::Prefixes(vec![p("2001:db8:1::/48")]),
        };
        let mut v = Vec::new();
        m.encode(&mut v).expect("encodes");
        assert_eq!(v[..4], [0, 2, 1, 32]);
        assert_eq!(v[36], 0, "reserved");
        assert_eq!(MpReach::decode(&v), Ok(m));
    }

    #[test]
    fn ipv4_and_opaque() {
        let m = MpReach {
            family: Family::IPV4_UNICAST,
            next_hop: MpNextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
            nlri: MpNlri::Prefixes(vec![p("10.0.0.0/8")]),
        };
        let mut v = Vec::new();
        m.encode(&mut v).expect("encodes");
        assert_eq!(MpReach::decode(&v), Ok(m));
        let vpn = MpReach {
            family: Family::new(1, 128),
            next_hop: MpNextHop::Other(vec![0; 12]),
            nlri: MpNlri::Opaque(vec![1, 2, 3]),
        };
        v.clear();
        vpn.encode(&mut v).expect("encodes");
        assert_eq!(MpReach::decode(&v), Ok(vpn));
    }

    #[test]
    fn faults() {
        assert_eq!(MpReach::decode(&[0, 2, 1]), Err(MpFault::Attribute));
        assert_eq!(
            MpReach::decode(&[0, 2, 1, 4, 1, 2, 3, 4, 0]),
            Err(MpFault::Attribute),
            "4-byte IPv6 next hop"
        );
        assert_eq!(
            MpReach::decode(&[0, 2, 1, 16, 0]),
            Err(MpFault::Attribute),
            "next hop overruns"
        );
        let mut v = vec![0, 2, 1, 16];
        v.extend([0; 16]);
        assert_eq!(
            MpReach::decode(&v),
            Err(MpFault::Attribute),
            "reserved octet missing"
        );
        v.push(0);
        v.extend([129, 0]);
        assert_eq!(MpReach::decode(&v), Err(MpFault::Nlri));
    }

    #[test]
    fn family_mismatch_on_encode() {
        let m = MpReach {
            family: Family::IPV6_UNICAST,
            next_hop: MpNextHop::V6 {
                global: Ipv6Addr::LOCALHOST,
                link_local: None,
            },
            nlri: MpNlri::Prefixes(vec![p("10.0.0.0/8")]),
        };
        assert!(matches!(
            m.encode(&mut Vec::new()),
            Err(EncodeError::FamilyMismatch { .. })
        ));
    }
}
