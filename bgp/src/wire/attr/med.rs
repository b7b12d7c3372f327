//! MULTI_EXIT_DISC (type 4, RFC 4271 5.1.4). Length other than 4:
//! treat-as-withdraw (RFC 7606 7.4).

use crate::wire::error::Problem;

/// Decodes a 4-octet value; shared with LOCAL_PREF, which has the same
/// shape and the same rule.
pub(crate) fn decode_u32(value: &[u8]) -> Result<u32, Problem> {
    <[u8; 4]>::try_from(value)
        .map(u32::from_be_bytes)
        .map_err(|_| Problem::Length(super::len16(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_octets_only() {
        assert_eq!(decode_u32(&[0, 0, 1, 0]), Ok(256));
        assert_eq!(decode_u32(&[0, 0, 1]), Err(Problem::Length(3)));
        assert_eq!(decode_u32(&[0, 0, 1, 0, 0]), Err(Problem::Length(5)));
    }
}
