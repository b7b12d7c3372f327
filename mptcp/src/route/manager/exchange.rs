//! One request and its answer on the rtnetlink connection.

use std::time::Duration;

use futures_util::StreamExt;
use rtnetlink::packet_core::{
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST,
    NetlinkMessage, NetlinkPayload,
};
use rtnetlink::packet_route::RouteNetlinkMessage;

use super::RouteManager;
use crate::codec::extack;
use crate::route::error::{RouteError, Step};

/// How long the kernel may take to answer. It answers at once; this only
/// keeps a daemon from hanging on a bug.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A dump retried this many times when the kernel says the tables changed
/// under it (`NLM_F_DUMP_INTR`) before the inconsistency becomes an error.
const DUMP_ATTEMPTS: usize = 4;

/// Flags of a dump request.
pub(super) const DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;
/// Flags of a request for one object.
pub(super) const GET: u16 = NLM_F_REQUEST;
/// Flags of an add that replaces what has the same key (routes).
pub(super) const ADD_REPLACE: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
/// Flags of an add that fails with EEXIST on an identical object (rules).
pub(super) const ADD_EXCL: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
/// Flags of a deletion.
pub(super) const DELETE: u16 = NLM_F_REQUEST | NLM_F_ACK;

/// What the kernel answered.
struct Answer {
    messages: Vec<RouteNetlinkMessage>,
    /// The kernel flagged the dump as inconsistent: redo it.
    interrupted: bool,
}

impl RouteManager {
    /// Sends `message` with `flags` and returns the kernel's messages (none
    /// for a change acknowledged, one for a GET, many for a dump). A
    /// refusal becomes [`RouteError::Kernel`] with the kernel's words.
    async fn exchange(
        &self,
        step: &Step,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Answer, RouteError> {
        let mut request = NetlinkMessage::from(message);
        request.header.flags = flags;
        request.finalize();
        let mut handle = self.handle.clone();
        let mut answers = handle
            .request(request)
            .map_err(|_| RouteError::ConnectionClosed { step: step.clone() })?;
        let single = flags & (NLM_F_ACK | NLM_F_DUMP) == 0;
        let collect = async {
            let mut answer = Answer {
                messages: Vec::new(),
                interrupted: false,
            };
            while let Some(reply) = answers.next().await {
                answer.interrupted |= reply.header.flags & NLM_F_DUMP_INTR != 0;
                match reply.payload {
                    NetlinkPayload::InnerMessage(m) => {
                        answer.messages.push(m);
                        if single {
                            return Ok(answer);
                        }
                    }
                    NetlinkPayload::Error(e) => match e.code {
                        None => return Ok(answer),
                        Some(code) => {
                            let message = extack::error_message(reply.header.flags, &e.header);
                            return Err(RouteError::from_kernel(
                                step.clone(),
                                code.get().saturating_neg(),
                                message,
                            ));
                        }
                    },
                    NetlinkPayload::Done(_) => return Ok(answer),
                    NetlinkPayload::Overrun(_) => {
                        return Err(RouteError::Unexpected {
                            step: step.clone(),
                            what: "an overrun".into(),
                        });
                    }
                    _ => {}
                }
            }
            // The stream ended before the kernel's last word: the
            // connection task is gone.
            Err(RouteError::ConnectionClosed { step: step.clone() })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, collect)
            .await
            .map_err(|_| RouteError::Timeout {
                step: step.clone(),
                after: REQUEST_TIMEOUT,
            })?
    }

    /// A change (add or delete) acknowledged by the kernel.
    pub(super) async fn change(
        &self,
        step: &Step,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<(), RouteError> {
        self.exchange(step, message, flags).await.map(drop)
    }

    /// A dump, redone while the kernel reports it inconsistent.
    pub(super) async fn dump(
        &self,
        step: &Step,
        message: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>, RouteError> {
        for _ in 0..DUMP_ATTEMPTS {
            let answer = self.exchange(step, message.clone(), DUMP).await?;
            if !answer.interrupted {
                return Ok(answer.messages);
            }
        }
        Err(RouteError::Unexpected {
            step: step.clone(),
            what: format!("the dump was interrupted by changes {DUMP_ATTEMPTS} times in a row"),
        })
    }

    /// The one object a GET names.
    pub(super) async fn get(
        &self,
        step: &Step,
        message: RouteNetlinkMessage,
    ) -> Result<Option<RouteNetlinkMessage>, RouteError> {
        let answer = self.exchange(step, message, GET).await?;
        Ok(answer.messages.into_iter().next())
    }
}
