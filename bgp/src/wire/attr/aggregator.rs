//! ATOMIC_AGGREGATE (type 6), AGGREGATOR (type 7, RFC 4271 5.1.6-7) and
//! AS4_AGGREGATOR (type 18, RFC 6793). All three are informational:
//! malformed ones are discarded and the UPDATE goes on (RFC 7606 7.6-7.7,
//! RFC 6793 6).

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::wire::error::Problem;
use crate::wire::open::AS_TRANS;
use crate::wire::reader::Reader;

/// Who aggregated the route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Aggregator {
    /// The aggregating speaker's AS.
    pub asn: u32,
    /// Its BGP identifier (an IPv4 address).
    pub address: Ipv4Addr,
}

impl Aggregator {
    /// Decodes AGGREGATOR (8 octets when `four_octet`, else 6) or, with
    /// `four_octet` true, AS4_AGGREGATOR.
    pub(crate) fn decode(value: &[u8], four_octet: bool) -> Result<Aggregator, Problem> {
        let expected = if four_octet { 8 } else { 6 };
        if value.len() != expected {
            return Err(Problem::Length(super::len16(value)));
        }
        let mut r = Reader::new(value);
        let asn = if four_octet {
            r.u32()
        } else {
            r.u16().map(u32::from)
        };
        match (asn, r.array::<4>()) {
            (Some(asn), Some(a)) => Ok(Aggregator {
                asn,
                address: Ipv4Addr::from(a),
            }),
            _ => Err(Problem::Length(super::len16(value))),
        }
    }

    /// Appends the value; in 2-octet form an ASN above 65535 is AS_TRANS.
    pub(crate) fn encode(&self, out: &mut Vec<u8>, four_octet: bool) {
        if four_octet {
            out.extend(self.asn.to_be_bytes());
        } else {
            out.extend(u16::try_from(self.asn).unwrap_or(AS_TRANS).to_be_bytes());
        }
        out.extend(self.address.octets());
    }
}

/// ATOMIC_AGGREGATE has no value.
pub(crate) fn decode_atomic_aggregate(value: &[u8]) -> Result<(), Problem> {
    if value.is_empty() {
        Ok(())
    } else {
        Err(Problem::Length(super::len16(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_widths() {
        let a = Aggregator {
            asn: 65001,
            address: Ipv4Addr::new(192, 0, 2, 1),
        };
        for four in [false, true] {
            let mut v = Vec::new();
            a.encode(&mut v, four);
            assert_eq!(v.len(), if four { 8 } else { 6 });
            assert_eq!(Aggregator::decode(&v, four), Ok(a));
        }
        assert_eq!(Aggregator::decode(&[0; 6], true), Err(Problem::Length(6)));
        assert_eq!(Aggregator::decode(&[0; 8], false), Err(Problem::Length(8)));
        let big = Aggregator {
            asn: 4_200_000_000,
            ..a
        };
        let mut v = Vec::new();
        big.encode(&mut v, false);
        assert_eq!(v[..2], AS_TRANS.to_be_bytes());
        assert_eq!(decode_atomic_aggregate(&[]), Ok(()));
        assert_eq!(decode_atomic_aggregate(&[0]), Err(Problem::Length(1)));
    }
}
