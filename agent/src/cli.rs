//! The command line: `mpwan agent | status | check | reload | restart | stop`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Where the configuration lives when `--config` is not given.
pub const DEFAULT_CONFIG_DIR: &str = "/etc/mpwan";

#[derive(Debug, Parser)]
#[command(
    name = "mpwan",
    version,
    about = "Multipath WAN gateway agent: WAN health, MPTCP path management, health-driven BGP",
    propagate_version = true
)]
pub struct Cli {
    /// Configuration directory holding mpwan.toml and wan.d/.
    #[arg(long, global = true, value_name = "DIR")]
    pub config: Option<PathBuf>,

    /// Control socket of the daemon (default: the one named in the configuration).
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Least severe level logged: error, warn, info, debug or trace.
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: tracing::Level,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; timestamps and colour only on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon in the foreground.
    Agent,
    /// Show WANs, MPTCP endpoints and BGP sessions of the running daemon.
    Status {
        /// Print JSON (and nothing else) on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check the configuration: print every error, or a summary.
    Check,
    /// Make the daemon re-read its configuration and apply the difference.
    Reload,
    /// Restart the daemon in place without withdrawing BGP routes (the upgrade path).
    Restart,
    /// Stop the daemon; BGP peers withdraw our routes at once.
    Stop,
}

impl Cli {
    /// The configuration directory in effect.
    pub fn config_dir(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_DIR))
    }
}
