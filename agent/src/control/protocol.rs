//! What travels over the control socket.

use serde::{Deserialize, Serialize};

use crate::status::Status;

/// Longest request or response line accepted, so a confused client cannot
/// make the daemon buffer without bound.
pub const MAX_LINE: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Request {
    Status,
    Reload,
    Restart,
    Stop,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Response {
    /// The daemon's status (answer to `status`).
    Status(Box<Status>),
    /// The request was carried out; `message` says what happened.
    Done { message: String },
    /// The new configuration was rejected; the running one stays.
    ConfigRejected { errors: Vec<String> },
    /// The request could not be carried out.
    Failed { message: String },
}
