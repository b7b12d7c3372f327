//! Any bytes as a datagram of the `sock_diag` dump the MPTCP reconciler
//! reads at start to count subflows that predate it: the first four bytes
//! (little-endian) are the request's sequence number, the rest is the
//! datagram. It never panics, never returns more subflows than the limit,
//! and every error carries a message. Seeds: dumps of a namespace holding
//! MPTCP connections over IPv4 and IPv6 and a plain TCP one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpwan_mptcp::client::diag::{SubflowDump, take_datagram};

/// Small, so the limit is reached too.
const LIMIT: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Some((seq, datagram)) = data.split_first_chunk::<4>() else {
        return;
    };
    let mut out = SubflowDump::default();
    let mut seen = 0;
    match take_datagram(
        datagram,
        u32::from_le_bytes(*seq),
        LIMIT,
        &mut seen,
        &mut out,
    ) {
        Ok(_) => assert!(out.subflows.len() <= LIMIT, "{out:?}"),
        Err(e) => assert!(!e.to_string().is_empty(), "an error without a message"),
    }
});
