//! What travels on the command connection.
//!
//! netlink-proto drops, with only a log line, any message its type fails to
//! parse: a malformed part of a dump would silently shorten the endpoint
//! list, and a malformed GET reply would leave the caller waiting. `Frame`
//! never fails to parse; it keeps the decoder's error so the caller gets
//! `Error::Decode` instead.

use netlink_packet_core::{DecodeError, Emitable, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};

use crate::codec::PmMessage;
use crate::codec::consts::{FAMILY_NAME, FAMILY_VERSION};

#[derive(Debug, Clone)]
pub(crate) enum Frame {
    /// A message that decoded.
    Pm(PmMessage),
    /// A message from the kernel that did not, with the decoder's words
    /// (`DecodeError` is not `Clone`, which the connection handle needs).
    Undecodable(String),
}

impl GenlFamily for Frame {
    fn family_name() -> &'static str {
        FAMILY_NAME
    }

    fn command(&self) -> u8 {
        match self {
            Frame::Pm(m) => m.command(),
            Frame::Undecodable(_) => 0,
        }
    }

    fn version(&self) -> u8 {
        FAMILY_VERSION
    }
}

impl Emitable for Frame {
    fn buffer_len(&self) -> usize {
        match self {
            Frame::Pm(m) => m.buffer_len(),
            Frame::Undecodable(_) => 0,
        }
    }

    fn emit(&self, buffer: &mut [u8]) {
        if let Frame::Pm(m) = self {
            m.emit(buffer)
        }
    }
}

impl ParseableParametrized<[u8], GenlHeader> for Frame {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        Ok(match PmMessage::parse_with_param(buf, header) {
            Ok(m) => Frame::Pm(m),
            Err(e) => Frame::Undecodable(e.to_string()),
        })
    }
}
