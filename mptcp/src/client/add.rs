//! ADD_ADDR.

use super::PmClient;
use crate::codec::PmMessage;
use crate::codec::request::FLAGS_CHANGE;
use crate::endpoint::Endpoint;
use crate::error::{Error, Op, Result};

impl PmClient {
    /// Creates `ep`. An id or address already in use is
    /// [`Error::Exists`] (EBUSY for the id, EEXIST for the address); more
    /// than 8 endpoints is a kernel ERANGE. Nothing is replaced: to change
    /// an endpoint's address, delete it first.
    pub async fn add_endpoint(&self, ep: &Endpoint) -> Result<()> {
        let op = Op::AddEndpoint(ep.id);
        let msg =
            PmMessage::add_endpoint(ep).map_err(|e| Error::InvalidEndpoint { op, reason: e.0 })?;
        self.exchange(op, msg, FLAGS_CHANGE).await.map(drop)
    }
}
