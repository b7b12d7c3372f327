//! The CLI side of the control socket.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use thiserror::Error;

use super::protocol::{MAX_LINE, Request, Response};

/// How long the CLI waits for the daemon to answer one request. A reload
/// with many WANs is the slowest answer and stays far below this.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Error)]
pub enum ClientError {
    /// Nothing listens on the socket (no daemon, or a stale file).
    #[error("no mpwan agent is listening on {path}: {source}")]
    NotRunning {
        path: String,
        source: std::io::Error,
    },
    /// The socket exists but we may not use it.
    #[error(
        "permission denied on {path}: the control socket (mode 0600) is for the agent's user and root only"
    )]
    PermissionDenied { path: String },
    /// The exchange broke off.
    #[error("talking to the agent on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The daemon's answer was not understood.
    #[error("the agent on {path} sent an answer this mpwan does not understand: {detail}")]
    BadAnswer { path: String, detail: String },
}

/// Sends one request and waits for its answer.
pub fn request(socket: &Path, req: &Request) -> Result<Response, ClientError> {
    let path = socket.display().to_string();
    let stream = UnixStream::connect(socket).map_err(|source| match source.kind() {
        std::io::ErrorKind::PermissionDenied => {
            ClientError::PermissionDenied { path: path.clone() }
        }
        _ => ClientError::NotRunning {
            path: path.clone(),
            source,
        },
    })?;
    let io = |source| ClientError::Io {
        path: path.clone(),
        source,
    };
    stream.set_read_timeout(Some(ANSWER_TIMEOUT)).map_err(io)?;
    let mut line = serde_json::to_string(req).map_err(|e| ClientError::BadAnswer {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    line.push('\n');
    // The agent refuses another user's connection with an answer and
    // closes it without reading: the write then fails (EPIPE) while the
    // answer waits to be read, and it is what the user must see.
    let written = (&stream).write_all(line.as_bytes());
    let mut answer = String::new();
    let read = BufReader::new(std::io::Read::take(stream, MAX_LINE as u64)).read_line(&mut answer);
    if answer.is_empty() {
        written.map_err(io)?;
    }
    read.map_err(io)?;
    if answer.is_empty() {
        return Err(ClientError::BadAnswer {
            path,
            detail: "the connection closed without an answer".into(),
        });
    }
    serde_json::from_str(&answer).map_err(|e| ClientError::BadAnswer {
        path,
        detail: e.to_string(),
    })
}

/// Whether an agent answers on `socket` right now.
pub fn is_listening(socket: &Path) -> bool {
    UnixStream::connect(socket).is_ok()
}
