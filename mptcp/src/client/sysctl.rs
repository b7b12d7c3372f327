//! `net.mptcp.enabled`.
//!
//! With it at 0 the path manager still answers every command and keeps
//! endpoints (checked on 6.18), but `socket(..., IPPROTO_MPTCP)` fails with
//! ENOPROTOOPT, so no connection uses them. The client therefore does not
//! refuse to work; the daemon asks here and warns.

use std::io;

use crate::error::{Error, Op, Result};

const PATH: &str = "/proc/sys/net/mptcp/enabled";

/// Whether MPTCP is enabled in the calling thread's network namespace
/// (`/proc/sys/net` shows the namespace of the thread that opens it).
pub fn mptcp_enabled() -> io::Result<bool> {
    Ok(std::fs::read_to_string(PATH)?.trim() != "0")
}

/// `Ok` if MPTCP is enabled here, [`Error::Disabled`] if
/// `net.mptcp.enabled` is 0, [`Error::FamilyMissing`] if the kernel has no
/// MPTCP at all (no such sysctl).
pub fn require_enabled() -> Result<()> {
    let op = Op::ReadSysctl;
    match mptcp_enabled() {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::Disabled),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::FamilyMissing { op }),
        Err(source) => Err(Error::Io { op, source }),
    }
}
