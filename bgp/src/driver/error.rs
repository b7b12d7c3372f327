//! What can go wrong in the driver before a session can run.

use crate::session::ConfigError;

/// A driver error: a refused configuration or a socket that could not be
/// set up.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The session configuration is invalid.
    #[error("session configuration: {0}")]
    Config(#[from] ConfigError),
    /// The TCP MD5 password is longer than the kernel's 80 bytes.
    #[error("TCP MD5 password of {0} bytes exceeds 80")]
    Md5KeyTooLong(usize),
    /// GTSM needs at least one hop.
    #[error("ttl_security must be 1 to 255 hops")]
    TtlSecurityHops,
    /// A socket option was refused by the kernel.
    #[error("setting {0}: {1}")]
    SockOpt(&'static str, nix::errno::Errno),
    /// Creating, binding or listening on a socket failed.
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
}
