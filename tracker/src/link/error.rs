//! Errors of the link watcher.

use std::io;

/// The link watcher cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The rtnetlink socket could not be opened, bound to its multicast
    /// groups or registered with tokio.
    #[error("opening the rtnetlink socket: {0}")]
    Socket(#[source] io::Error),
    /// The kernel failed a dump of links or addresses.
    #[error("dumping {what} over rtnetlink: {source}")]
    Dump {
        /// "links" or "addresses".
        what: &'static str,
        /// rtnetlink's error.
        source: rtnetlink::Error,
    },
    /// The rtnetlink connection ended (its socket failed).
    #[error("the rtnetlink connection closed")]
    Closed,
}
