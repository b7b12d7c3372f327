//! LARGE_COMMUNITY (type 32, RFC 8092). Length not a nonzero multiple of
//! 12: treat-as-withdraw (RFC 8092 5).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::error::Problem;
use crate::wire::reader::Reader;

/// A large community `global:local1:local2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LargeCommunity {
    /// Global administrator, usually an ASN.
    pub global: u32,
    /// First local data part.
    pub local1: u32,
    /// Second local data part.
    pub local2: u32,
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global, self.local1, self.local2)
    }
}

pub(crate) fn decode(value: &[u8]) -> Result<Vec<LargeCommunity>, Problem> {
    if value.is_empty() || !value.len().is_multiple_of(12) {
        return Err(Problem::Length(super::len16(value)));
    }
    let mut r = Reader::new(value);
    let mut out = Vec::with_capacity(value.len() / 12);
    while let (Some(global), Some(local1), Some(local2)) = (r.u32(), r.u32(), r.u32()) {
        out.push(LargeCommunity {
            global,
            local1,
            local2,
        });
    }
    Ok(out)
}

pub(crate) fn encode(list: &[LargeCommunity], out: &mut Vec<u8>) {
    for c in list {
        out.extend(c.global.to_be_bytes());
        out.extend(c.local1.to_be_bytes());
        out.extend(c.local2.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rules() {
        let list = [LargeCommunity {
            global: 4_200_000_000,
            local1: 1,
            local2: 2,
        }];
        let mut v = Vec::new();
        encode(&list, &mut v);
        assert_eq!(v.len(), 12);
        assert_eq!(decode(&v), Ok(list.to_vec()));
        assert_eq!(list[0].to_string(), "4200000000:1:2");
        assert_eq!(decode(&[]), Err(Problem::Length(0)));
        assert_eq!(decode(&[0; 13]), Err(Problem::Length(13)));
    }
}
