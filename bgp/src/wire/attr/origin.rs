//! ORIGIN (type 1, RFC 4271 5.1.1). Malformed (length not 1, value not
//! 0..=2): treat-as-withdraw (RFC 7606 7.1).

use serde::{Deserialize, Serialize};

use crate::wire::error::Problem;

/// Where the route came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Origin {
    /// 0: interior to the originating AS.
    Igp,
    /// 1: learned by EGP.
    Egp,
    /// 2: learned some other way (redistribution).
    Incomplete,
}

impl Origin {
    pub(crate) fn decode(value: &[u8]) -> Result<Origin, Problem> {
        match value {
            [0] => Ok(Origin::Igp),
            [1] => Ok(Origin::Egp),
            [2] => Ok(Origin::Incomplete),
            [_] => Err(Problem::Value),
            _ => Err(Problem::Length(super::len16(value))),
        }
    }

    pub(crate) fn to_wire(self) -> u8 {
        match self {
            Origin::Igp => 0,
            Origin::Egp => 1,
            Origin::Incomplete => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for o in [Origin::Igp, Origin::Egp, Origin::Incomplete] {
            assert_eq!(Origin::decode(&[o.to_wire()]), Ok(o));
        }
        assert_eq!(Origin::decode(&[3]), Err(Problem::Value));
        assert_eq!(Origin::decode(&[]), Err(Problem::Length(0)));
        assert_eq!(Origin::decode(&[0, 0]), Err(Problem::Length(2)));
    }
}
