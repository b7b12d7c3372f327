//! SET_FLAGS.

use super::PmClient;
use crate::codec::PmMessage;
use crate::codec::request::FLAGS_CHANGE;
use crate::error::{Op, Result};
use crate::flags::EndpointFlags;

impl PmClient {
    /// Sets `backup` and `fullmesh` of endpoint `id` to exactly what
    /// `flags` holds (both bits are always sent: the wanted state, not a
    /// change); the other bits of `flags` are ignored, the kernel cannot
    /// change them. A missing id is [`crate::Error::NotFound`]. Toggling
    /// `backup` rebuilds no subflow; toggling `fullmesh` does.
    pub async fn set_flags(&self, id: u8, flags: EndpointFlags) -> Result<()> {
        let op = Op::SetFlags(id);
        self.exchange(op, PmMessage::set_flags(id, flags), FLAGS_CHANGE)
            .await
            .map(drop)
    }
}
