//! One request and its answer on the command connection.

use std::time::Duration;

use futures_util::StreamExt;
use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;
use netlink_sys::SocketAddr;

use super::PmClient;
use super::frame::Frame;
use crate::codec::PmMessage;
use crate::codec::extack;
use crate::error::{Error, Op, Result};

/// How long the kernel may take to answer. It answers at once; this only
/// keeps a daemon from hanging on a bug.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

impl PmClient {
    /// Sends `msg` with netlink `flags` and returns the messages the kernel
    /// answered with (none for a change, one for a GET, any number for a
    /// dump). A refusal becomes the matching typed error.
    pub(crate) async fn exchange(
        &self,
        op: Op,
        msg: PmMessage,
        flags: u16,
    ) -> Result<Vec<PmMessage>> {
        let mut genl = GenlMessage::from_payload(Frame::Pm(msg));
        genl.set_resolved_family_id(self.family_id);
        let mut request = NetlinkMessage::from(genl);
        request.header.flags = flags;
        request.finalize();
        let mut answers = self
            .handle
            .request(request, SocketAddr::new(0, 0))
            .map_err(|_| Error::ConnectionClosed { op })?;
        // Without ACK or DUMP, the kernel's one reply ends the exchange.
        let single = flags & (NLM_F_ACK | NLM_F_DUMP) == 0;
        let collect = async {
            let mut replies = Vec::new();
            while let Some(answer) = answers.next().await {
                match answer.payload {
                    NetlinkPayload::InnerMessage(genl) => match genl.payload {
                        Frame::Pm(m) => {
                            replies.push(m);
                            if single {
                                return Ok(replies);
                            }
                        }
                        Frame::Undecodable(why) => {
                            return Err(Error::Decode {
                                op,
                                source: why.into(),
                            });
                        }
                    },
                    NetlinkPayload::Error(e) => match e.code {
                        None => return Ok(replies),
                        Some(code) => {
                            let message = extack::error_message(answer.header.flags, &e.header);
                            return Err(Error::from_kernel(
                                op,
                                code.get().saturating_neg(),
                                message,
                            ));
                        }
                    },
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::Overrun(_) => {
                        return Err(Error::Decode {
                            op,
                            source: "the kernel reported an overrun".into(),
                        });
                    }
                    _ => {}
                }
            }
            // The stream ended before the kernel's last word: the
            // connection task is gone.
            Err(Error::ConnectionClosed { op })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, collect)
            .await
            .map_err(|_| Error::Timeout {
                op,
                after: REQUEST_TIMEOUT,
            })?
    }
}
