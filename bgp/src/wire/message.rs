//! A whole message: framing, dispatch on the type, and encoding with the
//! header.

use serde::{Deserialize, Serialize};

use super::error::{DecodeError, EncodeError};
use super::error_code::{ErrorCode, HeaderSubcode};
use super::header::{
    HEADER_LEN, Header, MAX_MESSAGE_LEN, MessageType, finish_message, start_message,
};
use super::negotiated::Negotiated;
use super::notification::Notification;
use super::open::Open;
use super::route_refresh::RouteRefresh;
use super::update::Update;

/// Any BGP message.
#[allow(
    clippy::large_enum_variant,
    reason = "messages are decoded, matched and dropped one at a time; boxing would cost an allocation per UPDATE"
)]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Message {
    /// OPEN.
    Open(Open),
    /// UPDATE.
    Update(Update),
    /// NOTIFICATION.
    Notification(Notification),
    /// KEEPALIVE.
    Keepalive,
    /// ROUTE-REFRESH.
    RouteRefresh(RouteRefresh),
}

impl Message {
    /// The length of the message at the front of `buf` once its header is
    /// buffered (None before), after checking the header. A driver reads
    /// until it has that many bytes and passes them to `decode`.
    pub fn frame_len(buf: &[u8], negotiated: &Negotiated) -> Result<Option<usize>, DecodeError> {
        Ok(Header::decode(buf, negotiated)?.map(|h| h.size()))
    }

    /// Decodes exactly one message, header included.
    pub fn decode(frame: &[u8], negotiated: &Negotiated) -> Result<Message, DecodeError> {
        let header = Header::decode(frame, negotiated)?;
        let Some(header) = header.filter(|h| h.size() == frame.len()) else {
            let len = u16::try_from(frame.len()).unwrap_or(u16::MAX);
            return Err(DecodeError::SessionReset(Notification::new(
                ErrorCode::MessageHeader(HeaderSubcode::BadMessageLength),
                len.to_be_bytes().to_vec(),
            )));
        };
        let body = frame.get(HEADER_LEN..).unwrap_or_default();
        Ok(match header.kind {
            MessageType::Open => Message::Open(Open::decode(body)?),
            MessageType::Update => Message::Update(Update::decode(body, negotiated)?),
            MessageType::Notification => Message::Notification(Notification::decode(body)?),
            MessageType::Keepalive => Message::Keepalive,
            MessageType::RouteRefresh => Message::RouteRefresh(RouteRefresh::decode(body)?),
        })
    }

    /// The message type.
    pub fn kind(&self) -> MessageType {
        match self {
            Message::Open(_) => MessageType::Open,
            Message::Update(_) => MessageType::Update,
            Message::Notification(_) => MessageType::Notification,
            Message::Keepalive => MessageType::Keepalive,
            Message::RouteRefresh(_) => MessageType::RouteRefresh,
        }
    }

    /// Appends the message to `out`. On error `out` is left as it was.
    pub fn encode(&self, negotiated: &Negotiated, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = start_message(out, self.kind());
        let body = match self {
            Message::Open(o) => o.encode_body(out),
            Message::Update(u) => u.encode_body(negotiated, out),
            Message::Notification(n) => {
                n.encode_body(out);
                Ok(())
            }
            Message::Keepalive => Ok(()),
            Message::RouteRefresh(r) => {
                r.encode_body(out);
                Ok(())
            }
        };
        if let Err(e) = body {
            out.truncate(start);
            return Err(e);
        }
        let max = match self {
            // RFC 8654: OPEN and KEEPALIVE never grow.
            Message::Open(_) | Message::Keepalive => MAX_MESSAGE_LEN,
            _ => negotiated.max_message_len(),
        };
        finish_message(out, start, max)
    }

    /// The message as a new buffer.
    pub fn to_bytes(&self, negotiated: &Negotiated) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode(negotiated, &mut out)?;
        Ok(out)
    }
}

impl From<Update> for Message {
    fn from(u: Update) -> Message {
        Message::Update(u)
    }
}

impl From<Notification> for Message {
    fn from(n: Notification) -> Message {
        Message::Notification(n)
    }
}
