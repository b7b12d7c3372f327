//! The documented defaults (DESIGN.md, "The keys users and tests rely on"),
//! in one place. `etc/mpwan/mpwan.toml` shows the same values and a test
//! checks that they agree.

use std::path::PathBuf;
use std::time::Duration;

use super::model::{AgentConfig, EndpointFlag, MptcpConfig, OnDown, OnSigterm, TrackerConfig};

pub const CONTROL_SOCKET: &str = "/run/mpwan/mpwan.sock";
pub const STATE_DIR: &str = "/run/mpwan";
pub const HOOKS_DIR: &str = "/etc/mpwan/hooks.d";
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(10);

pub const BGP_PORT: u16 = 179;
pub const RESTART_TIME: Duration = Duration::from_secs(120);
pub const LONG_LIVED_STALE_TIME: Duration = Duration::from_secs(3600);
pub const ON_SIGTERM: OnSigterm = OnSigterm::Withdraw;
pub const HOLD_TIME: Duration = Duration::from_secs(90);
pub const ON_DOWN: OnDown = OnDown::Withdraw;

/// How often the WAN devices' carrier is read, on top of the kernel's
/// notices: Linux sends carrier loss from a job that runs at most once a
/// second, so without polling a pulled cable is seen up to 1 s late. One
/// small netlink request per WAN device per period: measured by
/// bench/tracker, 20 ms cost 1.2 % of a core with 4 WANs; 40 ms halves
/// that and still sees carrier loss within 50 ms.
pub const CARRIER_POLL: Duration = Duration::from_millis(40);

pub const DNS_PORT: u16 = 53;
pub const HTTP_EXPECT_STATUS: u16 = 200;
pub const ENDPOINT_FLAGS: [EndpointFlag; 1] = [EndpointFlag::Subflow];

impl Default for AgentConfig {
    fn default() -> AgentConfig {
        AgentConfig {
            control_socket: PathBuf::from(CONTROL_SOCKET),
            state_dir: PathBuf::from(STATE_DIR),
            hooks_dir: PathBuf::from(HOOKS_DIR),
            hook_timeout: HOOK_TIMEOUT,
            metrics_listen: None,
            carrier_poll: CARRIER_POLL,
        }
    }
}

/// The tracker crate holds DESIGN.md's defaults; the configuration takes
/// them from there so the two can never disagree.
impl Default for TrackerConfig {
    fn default() -> TrackerConfig {
        let p = mpwan_tracker::HealthParams::default();
        TrackerConfig {
            interval: p.interval,
            failure_interval: p.failure_interval,
            recovery_interval: p.recovery_interval,
            timeout: p.timeout,
            down: p.down,
            up: p.up,
            reliability: p.reliability,
            hold_down: p.hold_down,
            failure_latency: p.failure_latency,
            recovery_latency: p.recovery_latency,
            failure_loss: p.failure_loss,
            recovery_loss: p.recovery_loss,
        }
    }
}

impl Default for MptcpConfig {
    fn default() -> MptcpConfig {
        MptcpConfig {
            enabled: true,
            subflows: 8,
            add_addr_accepted: 8,
        }
    }
}
