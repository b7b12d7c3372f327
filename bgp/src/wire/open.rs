//! OPEN (RFC 4271 4.2) with capabilities as optional parameters
//! (RFC 5492) and the extended optional parameters length (RFC 9072).

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::capability::{Capability, GracefulRestart, LlgrFamily};
use super::error::{DecodeError, EncodeError};
use super::error_code::{ErrorCode, OpenSubcode};
use super::family::Family;
use super::notification::Notification;
use super::reader::Reader;

/// BGP version 4.
pub const BGP_VERSION: u8 = 4;
/// AS_TRANS (RFC 6793): the 2-octet "My AS" of a speaker whose ASN does
/// not fit 16 bits.
pub const AS_TRANS: u16 = 23456;
/// Optional parameter type: capabilities.
const PARAM_CAPABILITIES: u8 = 2;
/// RFC 9072: this Non-Ext OP Type announces the extended format.
const PARAM_EXTENDED: u8 = 255;

/// An OPEN message. The version is always 4.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Open {
    /// The 2-octet My AS field (AS_TRANS when the ASN does not fit).
    pub my_as: u16,
    /// Proposed hold time in seconds: 0 or at least 3.
    pub hold_time: u16,
    /// BGP identifier, nonzero.
    pub bgp_id: Ipv4Addr,
    /// Capabilities in the order they were received or will be sent.
    pub capabilities: Vec<Capability>,
}

impl Open {
    /// An OPEN for `asn`. My AS is AS_TRANS when `asn` does not fit 16
    /// bits, and the 4-octet AS capability is added when missing, since
    /// only it carries the real ASN.
    pub fn new(
        asn: u32,
        hold_time: u16,
        bgp_id: Ipv4Addr,
        mut capabilities: Vec<Capability>,
    ) -> Open {
        if !capabilities
            .iter()
            .any(|c| matches!(c, Capability::FourOctetAs(_)))
        {
            capabilities.push(Capability::FourOctetAs(asn));
        }
        Open {
            my_as: u16::try_from(asn).unwrap_or(AS_TRANS),
            hold_time,
            bgp_id,
            capabilities,
        }
    }

    /// The sender's ASN: the 4-octet AS capability when present, else My AS.
    pub fn asn(&self) -> u32 {
        self.four_octet_as().unwrap_or(u32::from(self.my_as))
    }

    /// The ASN of the 4-octet AS capability, if sent.
    pub fn four_octet_as(&self) -> Option<u32> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::FourOctetAs(asn) => Some(*asn),
            _ => None,
        })
    }

    /// The families of the multiprotocol capabilities; IPv4 unicast alone
    /// when none was sent (RFC 4760 8).
    pub fn families(&self) -> Vec<Family> {
        let mp: Vec<Family> = self
            .capabilities
            .iter()
            .filter_map(|c| match c {
                Capability::Multiprotocol(f) => Some(*f),
                _ => None,
            })
            .collect();
        if mp.is_empty() {
            vec![Family::IPV4_UNICAST]
        } else {
            mp
        }
    }

    /// The Graceful Restart capability, if sent.
    pub fn graceful_restart(&self) -> Option<&GracefulRestart> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::GracefulRestart(gr) => Some(gr),
            _ => None,
        })
    }

    /// The Long-Lived GR families, if the capability was sent.
    pub fn long_lived_gr(&self) -> Option<&[LlgrFamily]> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::LongLivedGracefulRestart(f) => Some(f.as_slice()),
            _ => None,
        })
    }

    /// Whether route refresh was offered.
    pub fn route_refresh(&self) -> bool {
        self.has(|c| matches!(c, Capability::RouteRefresh))
    }

    /// Whether enhanced route refresh was offered.
    pub fn enhanced_route_refresh(&self) -> bool {
        self.has(|c| matches!(c, Capability::EnhancedRouteRefresh))
    }

    /// Whether extended messages were offered.
    pub fn extended_messages(&self) -> bool {
        self.has(|c| matches!(c, Capability::ExtendedMessage))
    }

    fn has(&self, f: impl Fn(&Capability) -> bool) -> bool {
        self.capabilities.iter().any(f)
    }

    /// Decodes the body (after the header). Checks what RFC 4271 6.2 lets
    /// the codec check alone; the FSM checks the peer AS and hold time
    /// policy.
    pub fn decode(body: &[u8]) -> Result<Open, DecodeError> {
        let reset = |sub, data: Vec<u8>| {
            DecodeError::SessionReset(Notification::new(ErrorCode::Open(sub), data))
        };
        let malformed = || reset(OpenSubcode::Unspecific, Vec::new());
        let mut r = Reader::new(body);
        let (Some(version), Some(my_as), Some(hold_time), Some(id), Some(opt_len)) =
            (r.u8(), r.u16(), r.u16(), r.u32(), r.u8())
        else {
            return Err(malformed());
        };
        if version != BGP_VERSION {
            return Err(reset(
                OpenSubcode::UnsupportedVersionNumber,
                u16::from(BGP_VERSION).to_be_bytes().to_vec(),
            ));
        }
        if hold_time == 1 || hold_time == 2 {
            return Err(reset(OpenSubcode::UnacceptableHoldTime, Vec::new()));
        }
        if id == 0 {
            return Err(reset(OpenSubcode::BadBgpIdentifier, Vec::new()));
        }
        // RFC 9072: a nonzero length followed by type 255 means a 2-octet
        // length follows and every parameter has a 2-octet length.
        let rest = r.take_rest();
        let extended = opt_len != 0 && rest.first() == Some(&PARAM_EXTENDED);
        let mut r = Reader::new(rest);
        let params = if extended {
            let (Some(_type), Some(len)) = (r.u8(), r.u16()) else {
                return Err(malformed());
            };
            r.take(usize::from(len))
        } else {
            r.take(usize::from(opt_len))
        };
        let Some(params) = params.filter(|_| r.is_empty()) else {
            return Err(malformed());
        };
        let mut capabilities = Vec::new();
        let mut r = Reader::new(params);
        while !r.is_empty() {
            let kind = r.u8();
            let len = if extended {
                r.u16()
            } else {
                r.u8().map(u16::from)
            };
            let (Some(kind), Some(value)) = (kind, len.and_then(|l| r.take(usize::from(l)))) else {
                return Err(malformed());
            };
            if kind != PARAM_CAPABILITIES {
                return Err(reset(OpenSubcode::UnsupportedOptionalParameter, Vec::new()));
            }
            decode_capabilities(value, &mut capabilities).map_err(|()| malformed())?;
        }
        Ok(Open {
            my_as,
            hold_time,
            bgp_id: Ipv4Addr::from(id),
            capabilities,
        })
    }

    /// Appends the body (after the header).
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(BGP_VERSION);
        out.extend(self.my_as.to_be_bytes());
        out.extend(self.hold_time.to_be_bytes());
        out.extend(self.bgp_id.octets());
        let mut caps = Vec::new();
        // Each capability's own length is one octet, also under RFC 9072.
        let mut bounds = Vec::with_capacity(self.capabilities.len());
        for c in &self.capabilities {
            let start = caps.len();
            caps.extend([c.code(), 0]);
            c.encode_value(&mut caps);
            let len = caps.len() - start - 2;
            let Some(slot) = caps.get_mut(start + 1) else {
                continue;
            };
            *slot = u8::try_from(len).map_err(|_| EncodeError::CapabilityTooLong {
                code: c.code(),
                len,
            })?;
            bounds.push(start..caps.len());
        }
        // Classic form: capabilities grouped into parameters of at most 255
        // bytes each, every peer understands it. RFC 9072 only when even
        // that does not fit in 255 bytes of parameters.
        let mut params: Vec<u8> = Vec::with_capacity(caps.len() + 8);
        let mut group_start = None::<usize>;
        for range in bounds {
            let cap = caps.get(range).unwrap_or_default();
            let fits = group_start.is_some_and(|g| params.len() - g - 2 + cap.len() <= 255);
            if !fits {
                group_start = Some(params.len());
                params.extend([PARAM_CAPABILITIES, 0]);
            }
            params.extend_from_slice(cap);
            if let Some(g) = group_start {
                let len = params.len() - g - 2;
                if let Some(slot) = params.get_mut(g + 1) {
                    *slot = u8::try_from(len).unwrap_or(u8::MAX);
                }
            }
        }
        match u8::try_from(params.len()) {
            Ok(len) => {
                out.push(len);
                out.extend_from_slice(&params);
            }
            _ => {
                let len = u16::try_from(caps.len().saturating_add(3)).map_err(|_| {
                    EncodeError::TooLong {
                        len: caps.len(),
                        max: usize::from(u16::MAX),
                    }
                })?;
                out.extend([u8::MAX, PARAM_EXTENDED]);
                out.extend(len.to_be_bytes());
                out.push(PARAM_CAPABILITIES);
                out.extend((len - 3).to_be_bytes());
                out.extend_from_slice(&caps);
            }
        }
        Ok(())
    }
}

/// Decodes the capabilities of one optional parameter (one or several).
fn decode_capabilities(value: &[u8], out: &mut Vec<Capability>) -> Result<(), ()> {
    let mut r = Reader::new(value);
    while !r.is_empty() {
        let (Some(code), Some(len)) = (r.u8(), r.u8()) else {
            return Err(());
        };
        let v = r.take(usize::from(len)).ok_or(())?;
        out.push(Capability::decode(code, v).map_err(|_| ())?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::capability::{GrFamily, LlgrFamily};

    fn sample() -> Open {
        Open::new(
            4_200_000_001,
            90,
            Ipv4Addr::new(192, 0, 2, 1),
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::Multiprotocol(Family::IPV6_UNICAST),
                Capability::RouteRefresh,
                Capability::GracefulRestart(GracefulRestart {
                    restarting: true,
                    notification: true,
                    restart_time: 120,
                    families: vec![GrFamily {
                        family: Family::IPV4_UNICAST,
                        forwarding: true,
                    }],
                }),
                Capability::LongLivedGracefulRestart(vec![LlgrFamily {
                    family: Family::IPV4_UNICAST,
                    forwarding: true,
                    stale_time: 3600,
                }]),
            ],
        )
    }

    fn reset_code(e: Result<Open, DecodeError>) -> OpenSubcode {
        match e {
            Err(DecodeError::SessionReset(Notification {
                code: ErrorCode::Open(s),
                ..
            })) => s,
            other => panic!("expected an OPEN error, got {other:?}"),
        }
    }

    #[test]
    fn as_trans_and_accessors() {
        let o = sample();
        assert_eq!(o.my_as, AS_TRANS);
        assert_eq!(o.asn(), 4_200_000_001);
        assert_eq!(o.families(), [Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
        assert!(o.graceful_restart().is_some_and(|g| g.notification));
        assert_eq!(o.long_lived_gr().map(|f| f[0].stale_time), Some(3600));
        assert!(o.route_refresh() && !o.enhanced_route_refresh() && !o.extended_messages());
        let small = Open::new(65001, 90, Ipv4Addr::new(1, 1, 1, 1), vec![]);
        assert_eq!((small.my_as, small.asn()), (65001, 65001));
        assert_eq!(small.families(), [Family::IPV4_UNICAST]);
    }

    #[test]
    fn round_trip_classic() {
        let o = sample();
        let mut body = Vec::new();
        o.encode_body(&mut body).expect("encodes");
        assert!(usize::from(body[9]) == body.len() - 10 && body[10] == 2);
        assert_eq!(Open::decode(&body), Ok(o));
    }

    #[test]
    fn many_capabilities_use_several_parameters_then_rfc9072() {
        let unknown = |n: u8| Capability::Unknown {
            code: 200,
            value: vec![n; 100],
        };
        let mut o = sample();
        o.capabilities.push(unknown(1));
        o.capabilities.push(unknown(2));
        let mut body = Vec::new();
        o.encode_body(&mut body).expect("encodes");
        assert!(body[9] < 255, "still the classic form");
        assert_eq!(Open::decode(&body).as_ref(), Ok(&o));
        o.capabilities.push(unknown(3));
        body.clear();
        o.encode_body(&mut body).expect("encodes");
        assert_eq!(body[9..11], [255, 255], "RFC 9072 form");
        assert_eq!(Open::decode(&body), Ok(o));
    }

    #[test]
    fn several_capabilities_in_one_parameter_and_one_per_parameter() {
        let head = [4, 0xfd, 0xe9, 0, 90, 10, 0, 0, 1];
        let one = [8, 2, 6, 1, 4, 0, 1, 0, 1];
        let split = [12, 2, 2, 2, 0, 2, 6, 1, 4, 0, 1, 0, 1];
        let caps_one = [&head[..], &one[..], &[2, 0][..]].concat();
        let o = Open::decode(&[&head[..], &one[..]].concat()).expect("valid");
        assert_eq!(
            o.capabilities,
            [Capability::Multiprotocol(Family::IPV4_UNICAST)]
        );
        assert_eq!(
            reset_code(Open::decode(&caps_one)),
            OpenSubcode::Unspecific,
            "bytes after the parameters"
        );
        let o = Open::decode(&[&head[..], &split[..]].concat()).expect("valid");
        assert_eq!(
            o.capabilities,
            [
                Capability::RouteRefresh,
                Capability::Multiprotocol(Family::IPV4_UNICAST)
            ]
        );
        assert_eq!(o.asn(), 65001);
    }

    #[test]
    fn rfc4271_open_errors() {
        let ok = [4, 0, 1, 0, 90, 10, 0, 0, 1, 0];
        assert!(Open::decode(&ok).is_ok());
        let mut v3 = ok;
        v3[0] = 3;
        assert_eq!(
            Open::decode(&v3),
            Err(DecodeError::SessionReset(Notification::new(
                ErrorCode::Open(OpenSubcode::UnsupportedVersionNumber),
                vec![0, 4]
            )))
        );
        let mut hold = ok;
        hold[4] = 2;
        assert_eq!(
            reset_code(Open::decode(&hold)),
            OpenSubcode::UnacceptableHoldTime
        );
        let mut id = ok;
        id[5..9].copy_from_slice(&[0; 4]);
        assert_eq!(reset_code(Open::decode(&id)), OpenSubcode::BadBgpIdentifier);
        let auth = [&ok[..9], &[3, 1, 1, 0]].concat();
        assert_eq!(
            reset_code(Open::decode(&auth)),
            OpenSubcode::UnsupportedOptionalParameter
        );
        let overrun = [&ok[..9], &[4, 2, 4, 65, 4]].concat();
        assert_eq!(reset_code(Open::decode(&overrun)), OpenSubcode::Unspecific);
        let bad_cap = [&ok[..9], &[5, 2, 3, 65, 1, 0]].concat();
        assert_eq!(reset_code(Open::decode(&bad_cap)), OpenSubcode::Unspecific);
        assert_eq!(reset_code(Open::decode(&ok[..9])), OpenSubcode::Unspecific);
    }
}
