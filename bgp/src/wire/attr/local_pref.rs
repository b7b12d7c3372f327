//! LOCAL_PREF (type 5, RFC 4271 5.1.5). Length other than 4:
//! treat-as-withdraw (RFC 7606 7.5). RFC 7606 also says to discard it when
//! received from an external peer; the codec does not know the peer, so the
//! session layer drops it there.

use crate::wire::error::Problem;

pub(crate) fn decode(value: &[u8]) -> Result<u32, Problem> {
    super::med::decode_u32(value)
}
