//! Counting the messages a peer task sends and receives, for status and
//! metrics (see [`MessageCounts`]).

use crate::session::MessageCounts;
use crate::wire::Message;

/// The BGP header: 16 marker bytes, a 2-byte length, a 1-byte type.
const HEADER_LEN: usize = 19;
/// The UPDATE message type.
const TYPE_UPDATE: u8 = 2;
/// The NOTIFICATION message type.
const TYPE_NOTIFICATION: u8 = 3;

/// Adds one to `c`, saturating.
fn bump(c: &mut u64) {
    *c = c.saturating_add(1);
}

impl MessageCounts {
    /// A decoded message that arrived.
    pub(super) fn received(&mut self, m: &Message) {
        match m {
            Message::Update(u) => {
                bump(&mut self.updates_received);
                if u.is_end_of_rib().is_some() {
                    bump(&mut self.end_of_rib_received);
                }
            }
            Message::Notification(_) => bump(&mut self.notifications_received),
            _ => {}
        }
    }

    /// A whole frame that arrived but did not decode: an UPDATE the
    /// session treats as a withdraw (RFC 7606) or one that resets it is
    /// still an UPDATE received, so it is counted by its header's type.
    pub(super) fn received_undecoded(&mut self, frame: &[u8]) {
        match frame.get(HEADER_LEN.saturating_sub(1)) {
            Some(&TYPE_UPDATE) => bump(&mut self.updates_received),
            Some(&TYPE_NOTIFICATION) => bump(&mut self.notifications_received),
            _ => {}
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
            let len = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
            match bytes[18] {
                TYPE_UPDATE => bump(&mut self.updates_sent),
                TYPE_NOTIFICATION => bump(&mut self.notifications_sent),
                _ => {}
            }
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
        frame.extend_from_slice(&[0, 0, TYPE_UPDATE]);
        let twice = [frame.clone(), frame].concat();
        let mut c = MessageCounts::default();
        c.sent_raw(&twice);
        assert_eq!(c.updates_sent, 2);
    }

    #[test]
    fn end_of_rib_counts_as_an_update_and_as_itself() {
        let eor = Message::Update(Update::end_of_rib(Family::IPV6_UNICAST));
        let mut c = MessageCounts::default();
        c.received(&eor);
        c.received(&Message::Keepalive);
        c.sent(&eor);
        assert_eq!((c.updates_received, c.end_of_rib_received), (1, 1), "{c:?}");
        assert_eq!((c.updates_sent, c.end_of_rib_sent), (1, 1), "{c:?}");
    }

    #[test]
    fn frames_that_do_not_decode_count_by_type() {
        let mut frame = vec![0xff; 16];
        frame.extend_from_slice(&[0, 23, TYPE_UPDATE, 0, 0, 0, 9]);
        let mut c = MessageCounts::default();
        c.received_undecoded(&frame);
        frame[18] = TYPE_NOTIFICATION;
        c.received_undecoded(&frame);
        frame[18] = 4;
        c.received_undecoded(&frame);
        c.received_undecoded(&frame[..10]);
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
