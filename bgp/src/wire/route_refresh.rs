//! ROUTE-REFRESH (RFC 2918) with the enhanced subtypes (RFC 7313).

use serde::{Deserialize, Serialize};

use super::error::DecodeError;
use super::error_code::{ErrorCode, HeaderSubcode, RouteRefreshSubcode};
use super::family::Family;
use super::header::{HEADER_LEN, MARKER};
use super::notification::Notification;
use super::reader::Reader;

/// A ROUTE-REFRESH message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteRefresh {
    /// The family to re-send.
    pub family: Family,
    /// Plain request, or the enhanced route refresh markers.
    pub subtype: RefreshSubtype,
}

/// The octet between AFI and SAFI (reserved in RFC 2918).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefreshSubtype {
    /// 0: please re-send the family.
    Request,
    /// 1: Beginning of Route Refresh (BoRR).
    Begin,
    /// 2: End of Route Refresh (EoRR).
    End,
    /// Any other value: RFC 7313 says to ignore the message.
    Other(u8),
}

impl RefreshSubtype {
    fn from_wire(v: u8) -> RefreshSubtype {
        match v {
            0 => RefreshSubtype::Request,
            1 => RefreshSubtype::Begin,
            2 => RefreshSubtype::End,
            other => RefreshSubtype::Other(other),
        }
    }

    fn to_wire(self) -> u8 {
        match self {
            RefreshSubtype::Request => 0,
            RefreshSubtype::Begin => 1,
            RefreshSubtype::End => 2,
            RefreshSubtype::Other(v) => v,
        }
    }
}

impl RouteRefresh {
    /// A plain refresh request for `family`.
    pub fn request(family: Family) -> RouteRefresh {
        RouteRefresh {
            family,
            subtype: RefreshSubtype::Request,
        }
    }

    /// Decodes the body (after the header).
    pub fn decode(body: &[u8]) -> Result<RouteRefresh, DecodeError> {
        let total = HEADER_LEN.saturating_add(body.len());
        let length_field = u16::try_from(total).unwrap_or(u16::MAX).to_be_bytes();
        let mut r = Reader::new(body);
        let (Some(afi), Some(sub), Some(safi)) = (r.u16(), r.u8(), r.u8()) else {
            return Err(DecodeError::SessionReset(Notification::new(
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength),
                length_field.to_vec(),
            )));
        };
        let subtype = RefreshSubtype::from_wire(sub);
        if !r.is_empty() {
            match subtype {
                // RFC 7313 5: the data is the whole message.
                RefreshSubtype::Begin | RefreshSubtype::End => {
                    let mut data = Vec::with_capacity(total);
                    data.extend_from_slice(&MARKER);
                    data.extend_from_slice(&length_field);
                    data.push(5);
                    data.extend_from_slice(body);
                    return Err(DecodeError::SessionReset(Notification::new(
                        ErrorCode::RouteRefresh(RouteRefreshSubcode::InvalidMessageLength),
                        data,
                    )));
                }
                RefreshSubtype::Request => {
                    return Err(DecodeError::SessionReset(Notification::new(
                        ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength),
                        length_field.to_vec(),
                    )));
                }
                RefreshSubtype::Other(_) => {}
            }
        }
        Ok(RouteRefresh {
            family: Family::new(afi, safi),
            subtype,
        })
    }

    /// Appends the body.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        out.extend(self.family.afi.to_be_bytes());
        out.push(self.subtype.to_wire());
        out.push(self.family.safi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for subtype in [
            RefreshSubtype::Request,
            RefreshSubtype::Begin,
            RefreshSubtype::End,
            RefreshSubtype::Other(7),
        ] {
            let rr = RouteRefresh {
                family: Family::IPV6_UNICAST,
                subtype,
            };
            let mut body = Vec::new();
            rr.encode_body(&mut body);
            assert_eq!(RouteRefresh::decode(&body), Ok(rr));
        }
    }

    #[test]
    fn length_errors() {
        let err = RouteRefresh::decode(&[0, 1, 1, 1, 0]).expect_err("BoRR of 5 bytes");
        let n = err.notification().expect("session reset");
        assert_eq!(
            n.code,
            ErrorCode::RouteRefresh(RouteRefreshSubcode::InvalidMessageLength)
        );
        assert_eq!(n.data.len(), 24);
        let err = RouteRefresh::decode(&[0, 1, 0, 1, 0]).expect_err("request of 5 bytes");
        assert_eq!(
            err.notification().map(|n| (n.code, n.data.clone())),
            Some((
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength),
                vec![0, 24]
            ))
        );
        let odd = RouteRefresh::decode(&[0, 1, 9, 1, 0])
            .expect("unknown subtype is ignored, not an error");
        assert_eq!(odd.subtype, RefreshSubtype::Other(9));
    }
}
