//! SET_LIMITS and GET_LIMITS.

use super::PmClient;
use crate::codec::PmMessage;
use crate::codec::request::{FLAGS_CHANGE, FLAGS_GET};
use crate::endpoint::Limits;
use crate::error::{Error, Op, Result};

impl PmClient {
    /// Sets both limits of the namespace. The kernel refuses values above 8
    /// (EINVAL, "limit greater than maximum").
    pub async fn set_limits(&self, limits: Limits) -> Result<()> {
        self.exchange(Op::SetLimits, PmMessage::set_limits(limits), FLAGS_CHANGE)
            .await
            .map(drop)
    }

    /// The namespace's limits.
    pub async fn get_limits(&self) -> Result<Limits> {
        let op = Op::GetLimits;
        let replies = self
            .exchange(op, PmMessage::get_limits(), FLAGS_GET)
            .await?;
        replies
            .first()
            .ok_or(Error::Decode {
                op,
                source: "the kernel answered GET_LIMITS with nothing".into(),
            })?
            .limits()
            .map_err(|source| Error::Decode { op, source })
    }
}
