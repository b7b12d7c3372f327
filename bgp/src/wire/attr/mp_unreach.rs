//! MP_UNREACH_NLRI (type 15, RFC 4760 4). An NLRI that does not parse:
//! session reset (RFC 7606 7.12, 5.3). An empty one is the End-of-RIB
//! marker of its family (RFC 4724 2).

use serde::{Deserialize, Serialize};

use crate::wire::error::EncodeError;
use crate::wire::family::Family;
use crate::wire::reader::Reader;

use super::mp_reach::{MpFault, MpNlri};

/// The routes of one family an UPDATE withdraws.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MpUnreach {
    /// The family.
    pub family: Family,
    /// The withdrawn routes.
    pub withdrawn: MpNlri,
}

impl MpUnreach {
    pub(crate) fn decode(value: &[u8]) -> Result<MpUnreach, MpFault> {
        let mut r = Reader::new(value);
        let (Some(afi), Some(safi)) = (r.u16(), r.u8()) else {
            return Err(MpFault::Attribute);
        };
        let family = Family::new(afi, safi);
        Ok(MpUnreach {
            family,
            withdrawn: MpNlri::decode(r.take_rest(), family)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend(self.family.to_bytes());
        self.withdrawn.encode(self.family, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_faults() {
        let m = MpUnreach {
            family: Family::IPV6_UNICAST,
            withdrawn: MpNlri::Prefixes(vec!["2001:db8::/32".parse().expect("prefix")]),
        };
        let mut v = Vec::new();
        m.encode(&mut v).expect("encodes");
        assert_eq!(v, [0, 2, 1, 32, 0x20, 0x01, 0x0d, 0xb8]);
        assert_eq!(MpUnreach::decode(&v), Ok(m));
        assert_eq!(MpUnreach::decode(&[0, 2]), Err(MpFault::Attribute));
        assert_eq!(MpUnreach::decode(&[0, 2, 1, 64, 1]), Err(MpFault::Nlri));
        let eor = MpUnreach::decode(&[0, 2, 1]).expect("empty is valid");
        assert!(eor.withdrawn.is_empty());
    }
}
