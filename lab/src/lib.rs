//! The network-namespace lab: see DESIGN.md, "The lab". Test and demo code
//! only; nothing in the product depends on it.
#![forbid(unsafe_code)]

pub mod netns;

pub use netns::{NetNs, run_id, skip_without_netns};
