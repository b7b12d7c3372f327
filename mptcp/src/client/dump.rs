//! GET_ADDR dump.

use super::PmClient;
use crate::codec::PmMessage;
use crate::codec::request::FLAGS_DUMP;
use crate::endpoint::Endpoint;
use crate::error::{Error, Op, Result};

impl PmClient {
    /// Every endpoint of the namespace, in the kernel's order (by id).
    pub async fn dump_endpoints(&self) -> Result<Vec<Endpoint>> {
        let op = Op::DumpEndpoints;
        self.exchange(op, PmMessage::dump_endpoints(), FLAGS_DUMP)
            .await?
            .iter()
            .map(|m| m.endpoint().map_err(|source| Error::Decode { op, source }))
            .collect()
    }
}
