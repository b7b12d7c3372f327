//! GET_ADDR of one endpoint.

use super::PmClient;
use crate::codec::PmMessage;
use crate::codec::request::FLAGS_GET;
use crate::endpoint::Endpoint;
use crate::error::{Error, Op, Result};

impl PmClient {
    /// Endpoint `id`, or `None` if there is none.
    pub async fn get_endpoint(&self, id: u8) -> Result<Option<Endpoint>> {
        let op = Op::GetEndpoint(id);
        let replies = match self
            .exchange(op, PmMessage::get_endpoint(id), FLAGS_GET)
            .await
        {
            Ok(replies) => replies,
            Err(Error::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(err),
        };
        let reply = replies.first().ok_or(Error::Decode {
            op,
            source: "the kernel answered GET_ADDR without an endpoint".into(),
        })?;
        reply
            .endpoint()
            .map(Some)
            .map_err(|source| Error::Decode { op, source })
    }
}
