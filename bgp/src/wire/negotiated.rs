//! What the two OPENs agreed on that changes the wire format.

use serde::{Deserialize, Serialize};

use super::header::{MAX_EXTENDED_MESSAGE_LEN, MAX_MESSAGE_LEN};
use super::open::Open;

/// The session parameters the codec needs. The default (nothing
/// negotiated) is right for the OPEN exchange itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Negotiated {
    /// Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH and
    /// AGGREGATOR carry 4-octet ASNs and AS4_* attributes are not used.
    pub four_octet_as: bool,
    /// Both sides sent the extended message capability (RFC 8654).
    pub extended_messages: bool,
}

impl Negotiated {
    /// Both sides support 4-octet ASNs, nothing else.
    pub const FOUR_OCTET_AS: Negotiated = Negotiated {
        four_octet_as: true,
        extended_messages: false,
    };

    /// What the OPEN we sent and the OPEN we received agree on.
    pub fn from_opens(sent: &Open, received: &Open) -> Negotiated {
        Negotiated {
            four_octet_as: sent.four_octet_as().is_some() && received.four_octet_as().is_some(),
            extended_messages: sent.extended_messages() && received.extended_messages(),
        }
    }

    /// The largest UPDATE, NOTIFICATION or ROUTE-REFRESH allowed.
    pub fn max_message_len(&self) -> usize {
        if self.extended_messages {
            MAX_EXTENDED_MESSAGE_LEN
        } else {
            MAX_MESSAGE_LEN
        }
    }
}
