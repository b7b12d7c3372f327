//! The network-namespace lab: see DESIGN.md, "The lab". Test and demo code
//! only; nothing in the product depends on it.
//!
//! How it is built: [`NetNs`] owns one namespace. [`Lab::new`] makes five
//! of them ([`Role`]), wires them with `ip -batch` scripts
//! (`topology.rs`) from the facts in [`addr`], starts dnsmasq and
//! `http_server.py` in inet (`servers.rs`), then checks from gw through each
//! WAN, with sockets bound to the WAN's device ([`check`]), that pings,
//! DNS and HTTP answer. Outages are nftables rules or a link set down in a
//! provider's namespace ([`outage`]). Benchmarks that need more than two
//! WANs add uplinks through the same providers ([`extra_wan`]). Every
//! process is a [`LabChild`], killed on drop; dropping the lab deletes its
//! namespaces.
//!
//! Debian packages it needs: iproute2, iputils-ping, nftables, dnsmasq-base,
//! python3.
#![forbid(unsafe_code)]

pub mod addr;
pub mod agent_config;
pub mod bench;
pub mod bgp_peer;
pub mod check;
mod child;
pub mod dns;
pub mod extra_wan;
mod lab;
pub mod mptcp_stream;
pub mod mrt;
pub mod netns;
pub mod outage;
mod ready;
mod role;
mod servers;
pub mod soak;
mod sock;
mod tmpdir;
mod topology;
pub mod wait;

pub use agent_config::{AgentConfigOptions, AgentPaths, BgpOptions, write_agent_config};
pub use bgp_peer::{Family, GobgpOptions, GobgpPeer, PeerRoute, RibHistory, RibWatch};
pub use child::LabChild;
pub use dns::QueryType;
pub use extra_wan::{CarrierNotice, ExtraWan};
pub use lab::Lab;
pub use mptcp_stream::{MptcpStream, Progress, Subflow};
pub use netns::{NetNs, run_id, skip_without_netns};
pub use role::{Role, Wan};
pub use servers::DEFAULT_HTTP_STATUS;
