//! DEL_ADDR, idempotent.

use super::PmClient;
use crate::codec::PmMessage;
use crate::codec::request::FLAGS_CHANGE;
use crate::error::{Error, Op, Result};

impl PmClient {
    /// Deletes endpoint `id`: `Ok(true)` if it existed, `Ok(false)` if
    /// there was nothing to delete, so callers can delete without looking
    /// first.
    ///
    /// The kernel answers a missing id with EINVAL; its message ("address
    /// not found") is what says so. Should an EINVAL come without that
    /// message, a dump decides: the id absent means "nothing to delete".
    pub async fn del_endpoint(&self, id: u8) -> Result<bool> {
        let op = Op::DelEndpoint(id);
        match self
            .exchange(op, PmMessage::del_endpoint(id), FLAGS_CHANGE)
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(err @ Error::Kernel { errno, .. }) if errno == libc::EINVAL => {
                let present = self.dump_endpoints().await?.iter().any(|ep| ep.id == id);
                if present { Err(err) } else { Ok(false) }
            }
            Err(err) => Err(err),
        }
    }
}
