//! Counting the messages a peer task sends and receives, for status and
//! metrics (see [`MessageCounts`]).

use crate::session::MessageCounts;
use crate::wire::{HEADER_LEN, Message, MessageType};

/// Where the header keeps its 2-byte length: after the 16 marker bytes.
const LENGTH_OFFSET: usize = 16;
/// Where the header keeps the message type: its last byte.
const TYPE_OFFSET: usize = HEADER_LEN - 1;

/// Adds one to `c`, saturating.
fn bump(c: &mut u64) {
    *c = c.saturating_add(1);
}

/// Counts the frame at the front of `bytes` by its header's type: an
/// UPDATE in `updates`, a NOTIFICATION in `notifications`, anything else
/// (or too few bytes to hold the type) in neither.
fn count_by_type(bytes: &[u8], updates: &mut u64, notifications: &mut u64) {
    let kind = bytes
        .get(TYPE_OFFSET)
        .copied()
        .and_then(MessageType::from_wire);
    match kind {
        Some(MessageType::Update) => bump(updates),
        Some(MessageType::Notification) => bump(notifications),
        _ => {}
    }
}

impl MessageCounts {
    /// A whole frame that arrived (its header checked by
    /// `Message::frame_len`), before it is decoded: UPDATEs and
    /// NOTIFICATIONs count by the header's type, so one that does not
    /// decode (an UPDATE the session treats as withdraw, RFC 7606, or one
    /// that resets it) is still counted. Call it once per frame, then
    /// [`MessageCounts::received`] with the message if it decodes.
    pub(super) fn received_frame(&mut self, frame: &[u8]) {
        count_by_type(
            frame,
            &mut self.updates_received,
            &mut self.notifications_received,
        );
    }

    /// A received frame that decoded, already counted by
    /// [`MessageCounts::received_frame`]: counts what only the decoded
    /// message tells, an End-of-RIB marker.
    pub(super) fn received(&mut self, m: &Message) {
        if let Message::Update(u) = m
            && u.is_end_of_rib().is_some()
        {
            bump(&mut self.end_of_rib_received);
        }
    }

    /// A message handed to a connection's writer.
    pub(super) fn sent(&mut self, m: &Message) {
        match m {
            Message::Update(u) => {
                bump(&mut self.updates_sent);
                if u.is_end_of_rib().is_some() {
                    bump(&mut self.end_of_rib_sent);
                }
            }
            Message::Notification(_) => bump(&mut self.notifications_sent),
            _ => {}
        }
    }

    /// Already-encoded messages handed to a writer (the announcer's packed
    /// UPDATEs): counted by walking their headers, without decoding them.
    /// End-of-RIB markers never travel this way (the session sends them),
    /// so they are not looked for. A truncated tail counts as nothing.
    pub(super) fn sent_raw(&mut self, mut bytes: &[u8]) {
        while bytes.len() >= HEADER_LEN {
            let len = usize::from(u16::from_be_bytes([
                bytes[LENGTH_OFFSET],
                bytes[LENGTH_OFFSET + 1],
            ]));
            count_by_type(bytes, &mut self.updates_sent, &mut self.notifications_sent);
            // A length below the header's would never advance: step over
            // the header at least.
            let step = len.max(HEADER_LEN).min(bytes.len());
            bytes = &bytes[step..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Family, Negotiated, Update};

    fn encode(msgs: &[Message]) -> Vec<u8> {
        let mut buf = Vec::new();
        for m in msgs {
            m.encode(&Negotiated::default(), &mut buf).unwrap();
        }
        buf
    }

    #[test]
    fn raw_frames_are_counted_by_type() {
        let bytes = encode(&[
            Message::Keepalive,
            Message::Update(Update::end_of_rib(Family::IPV4_UNICAST)),
            Message::Update(Update::end_of_rib(Family::IPV4_UNICAST)),
        ]);
        let mut c = MessageCounts::default();
        c.sent_raw(&bytes);
        assert_eq!(c.updates_sent, 2);
        assert_eq!(c.notifications_sent, 0);
        // A truncated frame at the end is not a message.
        c.sent_raw(&bytes[..HEADER_LEN - 1]);
        assert_eq!(c.updates_sent, 2);
    }

    #[test]
    fn a_bad_length_cannot_stall_the_walk() {
        let mut frame = vec![0xff; 16];
        frame.extend_from_slice(&[0, 0, MessageType::Update.to_wire()]);
        let twice = [frame.clone(), frame].concat();
        let mut c = MessageCounts::default();
        c.sent_raw(&twice);
        assert_eq!(c.updates_sent, 2);
    }

    #[test]
    fn end_of_rib_counts_as_an_update_and_as_itself() {
        let eor = Message::Update(Update::end_of_rib(Family::IPV6_UNICAST));
        let mut c = MessageCounts::default();
        for m in [&eor, &Message::Keepalive] {
            c.received_frame(&encode(std::slice::from_ref(m)));
            c.received(m);
        }
        c.sent(&eor);
        assert_eq!((c.updates_received, c.end_of_rib_received), (1, 1), "{c:?}");
        assert_eq!((c.updates_sent, c.end_of_rib_sent), (1, 1), "{c:?}");
    }

    #[test]
    fn frames_that_do_not_decode_count_by_type() {
        let mut frame = vec![0xff; 16];
        frame.extend_from_slice(&[0, 23, MessageType::Update.to_wire(), 0, 0, 0, 9]);
        let mut c = MessageCounts::default();
        c.received_frame(&frame);
        frame[TYPE_OFFSET] = MessageType::Notification.to_wire();
        c.received_frame(&frame);
        frame[TYPE_OFFSET] = MessageType::Keepalive.to_wire();
        c.received_frame(&frame);
        c.received_frame(&frame[..10]);
        assert_eq!(
            (c.updates_received, c.notifications_received),
            (1, 1),
            "{c:?}"
        );
        assert_eq!(c.end_of_rib_received, 0);
    }

    #[test]
    fn counts_saturate() {
        let mut c = MessageCounts {
            updates_sent: u64::MAX,
            ..MessageCounts::default()
        };
        c.sent(&Message::Update(Update::end_of_rib(Family::IPV4_UNICAST)));
        assert_eq!(c.updates_sent, u64::MAX);
    }
}
