//! The 19-byte message header (RFC 4271 4.1) and framing: a driver reads
//! until `Header::decode` returns a header, then until `header.size()` bytes
//! are buffered, and hands that frame to `Message::decode`.

use serde::{Deserialize, Serialize};

use super::error::{DecodeError, EncodeError};
use super::error_code::{ErrorCode, HeaderSubcode};
use super::negotiated::Negotiated;
use super::notification::Notification;
use super::reader::Reader;

/// The marker: 16 octets of ones.
pub const MARKER: [u8; 16] = [0xff; 16];
/// Header length.
pub const HEADER_LEN: usize = 19;
/// Largest message without RFC 8654 extended messages.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Largest message with RFC 8654 extended messages (not OPEN, KEEPALIVE).
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;

/// The message type octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageType {
    /// 1.
    Open,
    /// 2.
    Update,
    /// 3.
    Notification,
    /// 4.
    Keepalive,
    /// 5 (RFC 2918).
    RouteRefresh,
}

impl MessageType {
    pub fn from_wire(v: u8) -> Option<MessageType> {
        Some(match v {
            1 => MessageType::Open,
            2 => MessageType::Update,
            3 => MessageType::Notification,
            4 => MessageType::Keepalive,
            5 => MessageType::RouteRefresh,
            _ => return None,
        })
    }

    pub fn to_wire(self) -> u8 {
        match self {
            MessageType::Open => 1,
            MessageType::Update => 2,
            MessageType::Notification => 3,
            MessageType::Keepalive => 4,
            MessageType::RouteRefresh => 5,
        }
    }

    /// The smallest valid total length for the type.
    fn min_len(self) -> usize {
        match self {
            MessageType::Open => 29,
            MessageType::Update => 23,
            MessageType::Notification => 21,
            MessageType::Keepalive => HEADER_LEN,
            // RFC 7313 checks the exact length after the subtype is known.
            MessageType::RouteRefresh => 23,
        }
    }

    /// The largest valid total length for the type.
    fn max_len(self, negotiated: &Negotiated) -> usize {
        match self {
            MessageType::Keepalive => HEADER_LEN,
            MessageType::Open => MAX_MESSAGE_LEN,
            _ => negotiated.max_message_len(),
        }
    }
}

/// A validated message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The message type.
    pub kind: MessageType,
    /// Total length including the header, already checked for the type.
    pub length: u16,
}

impl Header {
    /// Checks the header at the front of `buf`. Ok(None) means fewer than
    /// 19 bytes are buffered yet. Errors carry the NOTIFICATION RFC 4271
    /// 6.1 requires.
    pub fn decode(buf: &[u8], negotiated: &Negotiated) -> Result<Option<Header>, DecodeError> {
        let mut r = Reader::new(buf);
        let (Some(marker), Some(length), Some(kind)) = (r.array::<16>(), r.u16(), r.u8()) else {
            return Ok(None);
        };
        let reset = |sub, data: Vec<u8>| {
            DecodeError::SessionReset(Notification::new(ErrorCode::MessageHeader(sub), data))
        };
        if marker != MARKER {
            return Err(reset(HeaderSubcode::ConnectionNotSynchronized, Vec::new()));
        }
        let bad_length = || {
            reset(
                HeaderSubcode::BadMessageLength,
                length.to_be_bytes().to_vec(),
            )
        };
        let len = usize::from(length);
        if !(HEADER_LEN..=negotiated.max_message_len()).contains(&len) {
            return Err(bad_length());
        }
        let Some(kind) = MessageType::from_wire(kind) else {
            return Err(reset(HeaderSubcode::BadMessageType, vec![kind]));
        };
        if len < kind.min_len() || len > kind.max_len(negotiated) {
            return Err(bad_length());
        }
        Ok(Some(Header { kind, length }))
    }

    /// Total message length in bytes, header included.
    pub fn size(&self) -> usize {
        usize::from(self.length)
    }
}

/// Appends a header with a zero length; returns where the message starts,
/// for `finish_message`.
pub(crate) fn start_message(out: &mut Vec<u8>, kind: MessageType) -> usize {
    let start = out.len();
    out.extend_from_slice(&MARKER);
    out.extend_from_slice(&[0, 0, kind.to_wire()]);
    start
}

/// Fills in the length of the message begun at `start`; on error the
/// partial message is removed so `out` holds only whole messages.
pub(crate) fn finish_message(
    out: &mut Vec<u8>,
    start: usize,
    max: usize,
) -> Result<(), EncodeError> {
    let len = out.len().saturating_sub(start);
    let field = u16::try_from(len).ok().filter(|_| len <= max);
    match (field, out.get_mut(start + 16..start + 18)) {
        (Some(v), Some(slot)) => {
            slot.copy_from_slice(&v.to_be_bytes());
            Ok(())
        }
        _ => {
            out.truncate(start);
            Err(EncodeError::TooLong { len, max })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(length: u16, kind: u8) -> Vec<u8> {
        let mut b = MARKER.to_vec();
        b.extend(length.to_be_bytes());
        b.push(kind);
        b
    }

    fn reset_with(e: Result<Option<Header>, DecodeError>) -> (ErrorCode, Vec<u8>) {
        match e {
            Err(DecodeError::SessionReset(n)) => (n.code, n.data),
            other => panic!("expected a session reset, got {other:?}"),
        }
    }

    #[test]
    fn valid_and_short() {
        let n = Negotiated::default();
        assert_eq!(Header::decode(&header(19, 4)[..18], &n), Ok(None));
        assert_eq!(
            Header::decode(&header(19, 4), &n),
            Ok(Some(Header {
                kind: MessageType::Keepalive,
                length: 19
            }))
        );
        assert_eq!(
            Header::decode(&header(4096, 2), &n).map(|h| h.map(|h| h.size())),
            Ok(Some(4096))
        );
    }

    #[test]
    fn errors_per_rfc4271_6_1() {
        let n = Negotiated::default();
        let mut bad_marker = header(19, 4);
        bad_marker[3] = 0;
        assert_eq!(
            reset_with(Header::decode(&bad_marker, &n)),
            (
                ErrorCode::MessageHeader(HeaderSubcode::ConnectionNotSynchronized),
                vec![]
            )
        );
        let bad_len = ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength);
        assert_eq!(
            reset_with(Header::decode(&header(18, 4), &n)),
            (bad_len, vec![0, 18])
        );
        assert_eq!(
            reset_with(Header::decode(&header(4097, 2), &n)),
            (bad_len, vec![16, 1])
        );
        assert_eq!(
            reset_with(Header::decode(&header(20, 4), &n)),
            (bad_len, vec![0, 20])
        );
        assert_eq!(
            reset_with(Header::decode(&header(28, 1), &n)),
            (bad_len, vec![0, 28])
        );
        assert_eq!(
            reset_with(Header::decode(&header(22, 2), &n)),
            (bad_len, vec![0, 22])
        );
        assert_eq!(
            reset_with(Header::decode(&header(20, 3), &n)),
            (bad_len, vec![0, 20])
        );
        assert_eq!(
            reset_with(Header::decode(&header(19, 6), &n)),
            (
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageType),
                vec![6]
            )
        );
    }

    #[test]
    fn extended_messages() {
        let ext = Negotiated {
            extended_messages: true,
            ..Negotiated::default()
        };
        assert!(Header::decode(&header(65535, 2), &ext).is_ok());
        assert!(
            Header::decode(&header(5000, 1), &ext).is_err(),
            "OPEN stays within 4096"
        );
        assert!(Header::decode(&header(5000, 2), &Negotiated::default()).is_err());
    }

    #[test]
    fn finish_checks_the_limit() {
        let mut out = vec![1, 2];
        let start = start_message(&mut out, MessageType::Keepalive);
        assert_eq!(finish_message(&mut out, start, 4096), Ok(()));
        assert_eq!(out[2..], header(19, 4)[..]);
        let start = start_message(&mut out, MessageType::Update);
        out.resize(start + 5000, 0);
        assert_eq!(
            finish_message(&mut out, start, 4096),
            Err(EncodeError::TooLong {
                len: 5000,
                max: 4096
            })
        );
        assert_eq!(out.len(), 21, "the partial message is removed");
    }
}
