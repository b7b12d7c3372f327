//! NOTIFICATION (RFC 4271 4.5), with the Cease payloads the speaker
//! needs: Hard Reset (RFC 8538) wraps the original code, subcode and data;
//! Administrative Shutdown and Reset carry a shutdown communication
//! (RFC 9003); Maximum Number of Prefixes Reached carries AFI, SAFI and
//! the limit (RFC 4486).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::DecodeError;
use super::error_code::{CeaseSubcode, ErrorCode, HeaderSubcode};
use super::family::Family;
use super::header::HEADER_LEN;
use super::reader::Reader;

/// Longest shutdown communication in bytes (RFC 9003 2).
pub const MAX_SHUTDOWN_COMMUNICATION: usize = 255;

/// A NOTIFICATION message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Notification {
    /// Error code and subcode.
    pub code: ErrorCode,
    /// The data field, whose meaning depends on the code.
    pub data: Vec<u8>,
}

impl Notification {
    pub fn new(code: ErrorCode, data: Vec<u8>) -> Notification {
        Notification { code, data }
    }

    /// A Cease with no data.
    pub fn cease(subcode: CeaseSubcode) -> Notification {
        Notification::new(ErrorCode::Cease(subcode), Vec::new())
    }

    /// Cease / Administrative Shutdown with a shutdown communication
    /// (truncated at a character boundary to 255 bytes; empty for none).
    pub fn administrative_shutdown(message: &str) -> Notification {
        Notification::new(
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown),
            shutdown_communication(message),
        )
    }

    /// Cease / Administrative Reset with a shutdown communication.
    pub fn administrative_reset(message: &str) -> Notification {
        Notification::new(
            ErrorCode::Cease(CeaseSubcode::AdministrativeReset),
            shutdown_communication(message),
        )
    }

    /// Cease / Maximum Number of Prefixes Reached for `family` at `limit`.
    pub fn maximum_prefixes(family: Family, limit: u32) -> Notification {
        let mut data = family.to_bytes().to_vec();
        data.extend(limit.to_be_bytes());
        Notification::new(ErrorCode::Cease(CeaseSubcode::MaximumPrefixesReached), data)
    }

    /// Cease / Hard Reset (RFC 8538 3) wrapping `cause`. Always wrap the
    /// real reason: FRR 8.4 keeps stale routes after a Hard Reset with an
    /// empty payload.
    pub fn hard_reset(cause: &Notification) -> Notification {
        let mut data = Vec::with_capacity(2 + cause.data.len());
        data.push(cause.code.code());
        data.push(cause.code.subcode());
        data.extend_from_slice(&cause.data);
        Notification::new(ErrorCode::Cease(CeaseSubcode::HardReset), data)
    }

    /// Whether this is a Cease / Hard Reset.
    pub fn is_hard_reset(&self) -> bool {
        self.code == ErrorCode::Cease(CeaseSubcode::HardReset)
    }

    /// The NOTIFICATION a Hard Reset encapsulates, if this is one and its
    /// data holds at least a code and subcode.
    pub fn hard_reset_cause(&self) -> Option<Notification> {
        if !self.is_hard_reset() {
            return None;
        }
        let mut r = Reader::new(&self.data);
        let code = r.u8()?;
        let subcode = r.u8()?;
        Some(Notification::new(
            ErrorCode::from_wire(code, subcode),
            r.take_rest().to_vec(),
        ))
    }

    /// The RFC 9003 shutdown communication of an Administrative Shutdown
    /// or Reset, also inside a Hard Reset. None when absent, empty,
    /// truncated or not UTF-8 (RFC 9003 says to log such data raw).
    pub fn shutdown_message(&self) -> Option<String> {
        if let Some(inner) = self.hard_reset_cause() {
            return inner.shutdown_message();
        }
        let admin = matches!(
            self.code,
            ErrorCode::Cease(
                CeaseSubcode::AdministrativeShutdown | CeaseSubcode::AdministrativeReset
            )
        );
        if !admin {
            return None;
        }
        let mut r = Reader::new(&self.data);
        let len = r.u8()?;
        let text = r.take(usize::from(len))?;
        if len == 0 {
            return None;
        }
        std::str::from_utf8(text).ok().map(str::to_string)
    }

    /// Decodes the body (the bytes after the header).
    pub fn decode(body: &[u8]) -> Result<Notification, DecodeError> {
        let mut r = Reader::new(body);
        let (Some(code), Some(subcode)) = (r.u8(), r.u8()) else {
            let len = u16::try_from(HEADER_LEN.saturating_add(body.len())).unwrap_or(u16::MAX);
            return Err(DecodeError::SessionReset(Notification::new(
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength),
                len.to_be_bytes().to_vec(),
            )));
        };
        Ok(Notification::new(
            ErrorCode::from_wire(code, subcode),
            r.take_rest().to_vec(),
        ))
    }

    /// Appends the body.
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(self.code.code());
        out.push(self.code.subcode());
        out.extend_from_slice(&self.data);
    }
}

fn shutdown_communication(message: &str) -> Vec<u8> {
    let mut end = message.len().min(MAX_SHUTDOWN_COMMUNICATION);
    while !message.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let text = message.as_bytes().get(..end).unwrap_or_default();
    let mut data = Vec::with_capacity(1 + text.len());
    // `end` is at most 255 by construction.
    data.push(u8::try_from(text.len()).unwrap_or(u8::MAX));
    data.extend_from_slice(text);
    data
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(inner) = self.hard_reset_cause() {
            write!(f, " wrapping {inner}")
        } else if let Some(msg) = self.shutdown_message() {
            write!(f, " {msg:?}")
        } else if !self.data.is_empty() {
            write!(f, " with {} bytes of data", self.data.len())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_reset_wraps_and_unwraps() {
        let cause = Notification::administrative_shutdown("maintenance");
        let hard = Notification::hard_reset(&cause);
        assert!(hard.is_hard_reset());
        assert_eq!(hard.data[..3], [6, 2, 11]);
        assert_eq!(hard.hard_reset_cause(), Some(cause));
        assert_eq!(hard.shutdown_message().as_deref(), Some("maintenance"));
        assert_eq!(
            hard.to_string(),
            "cease: HardReset (6/9) wrapping cease: AdministrativeShutdown (6/2) \"maintenance\""
        );
        let empty = Notification::cease(CeaseSubcode::HardReset);
        assert_eq!(empty.hard_reset_cause(), None);
    }

    #[test]
    fn shutdown_communication_truncates_on_char_boundary() {
        let long = "é".repeat(200); // 400 bytes
        let n = Notification::administrative_shutdown(&long);
        assert_eq!(n.data[0], 254);
        assert_eq!(n.shutdown_message().map(|s| s.chars().count()), Some(127));
        assert_eq!(Notification::administrative_reset("").data, [0]);
        assert_eq!(
            Notification::administrative_reset("").shutdown_message(),
            None
        );
    }

    #[test]
    fn bad_shutdown_data_is_not_a_message() {
        let truncated = Notification::new(
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown),
            vec![5, b'a'],
        );
        assert_eq!(truncated.shutdown_message(), None);
        let not_utf8 = Notification::new(
            ErrorCode::Cease(CeaseSubcode::AdministrativeReset),
            vec![1, 0xff],
        );
        assert_eq!(not_utf8.shutdown_message(), None);
    }

    #[test]
    fn max_prefixes_data() {
        let n = Notification::maximum_prefixes(Family::IPV6_UNICAST, 1000);
        assert_eq!(n.data, [0, 2, 1, 0, 0, 3, 0xe8]);
    }

    #[test]
    fn decode_body() {
        assert_eq!(
            Notification::decode(&[4, 0]),
            Ok(Notification::new(ErrorCode::HoldTimerExpired, vec![]))
        );
        assert_eq!(
            Notification::decode(&[6]),
            Err(DecodeError::SessionReset(Notification::new(
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength),
                vec![0, 20]
            )))
        );
    }
}
