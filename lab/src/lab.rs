//! [`Lab`]: the whole topology with its servers running, ready to use.

use std::ffi::OsStr;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::addr;
use crate::agent_config::{self, AgentConfigOptions, AgentPaths};
use crate::check;
use crate::child::LabChild;
use crate::dns::QueryType;
use crate::netns::{NetNs, run_id};
use crate::ready;
use crate::role::{Role, Wan};
use crate::servers;
use crate::tmpdir::TempDir;
use crate::topology::Topology;
use crate::wait::{self, Clock};

/// The lab: gw with two WANs through two providers to an "internet" holding
/// the probe targets and servers, and a BGP peer. See [`crate::addr`].
///
/// Dropping it (also while a test panics) kills its servers, then deletes
/// its namespaces (killing whatever else runs in them), then its files.
#[derive(Debug)]
pub struct Lab {
    // Fields drop in declaration order: processes before the namespaces
    // they run in, namespaces before the files the processes write.
    /// dnsmasq, absent between `stop_dns` and `start_dns`.
    pub(crate) dns: Mutex<Option<LabChild>>,
    /// http_server.py (in a mutex only so that `&self` can describe it).
    pub(crate) http: Mutex<LabChild>,
    pub(crate) topo: Topology,
    /// Server logs, pid file, HTTP status file, logs of spawned programs.
    pub(crate) dir: TempDir,
    run_id: String,
    /// Numbers the logs of spawned programs.
    spawned: AtomicU32,
    /// How long `new` took.
    build_time: Duration,
}

impl Lab {
    /// Builds the namespaces, links, addresses and routes, starts the DNS
    /// and HTTP servers, and returns once gw reaches the ICMP targets (IPv4
    /// and IPv6), the DNS server and the HTTP server through each WAN. On
    /// error, everything built so far is removed, and the error names the
    /// step that failed.
    pub fn new() -> Result<Lab> {
        let clock = Clock::start();
        let run_id = run_id();
        let dir = TempDir::create(&run_id)?;
        let topo = Topology::build(&run_id).context("building the lab's topology")?;
        let inet = topo.ns(Role::Inet);
        let dns = servers::spawn_dns(inet, dir.path())?;
        let http = servers::spawn_http(inet, dir.path())?;
        let mut lab = Lab {
            dns: Mutex::new(Some(dns)),
            http: Mutex::new(http),
            topo,
            dir,
            run_id,
            spawned: AtomicU32::new(0),
            build_time: Duration::ZERO,
        };
        ready::wait_ready(&lab).with_context(|| format!("lab {} did not come up", lab.run_id))?;
        lab.build_time = clock.elapsed();
        Ok(lab)
    }

    /// The id in every namespace name: `mpwan-<run id>-<role>`.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The namespace of `role`.
    pub fn ns(&self, role: Role) -> &NetNs {
        self.topo.ns(role)
    }

    /// The lab's scratch directory, removed with the lab.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// How long [`Lab::new`] took, readiness checks included.
    pub fn build_time(&self) -> Duration {
        self.build_time
    }

    /// A command that runs `program` inside `role`'s namespace.
    pub fn command(&self, role: Role, program: &str) -> Command {
        self.ns(role).command(program)
    }

    /// Starts `program args…` inside `role`'s namespace with no input and
    /// its output in a log file of the lab's directory
    /// ([`LabChild::log`]). It is killed when the handle drops, and at the
    /// latest when the lab drops. For other stdio, build the command with
    /// [`Lab::command`] and start it with [`LabChild::spawn`].
    pub fn spawn<I, S>(&self, role: Role, program: &str, args: I) -> Result<LabChild>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(role, program);
        cmd.args(args);
        let n = self.spawned.fetch_add(1, Ordering::Relaxed);
        let base = Path::new(program)
            .file_name()
            .unwrap_or(OsStr::new("program"));
        let log = self
            .dir()
            .join(format!("{role}-{}-{n}.log", base.to_string_lossy()));
        LabChild::spawn_logged(cmd, &format!("{program} in {}", self.ns(role).name()), &log)
    }

    /// Writes an agent configuration for this topology into `dir`; see
    /// [`agent_config::write_agent_config`].
    pub fn write_agent_config(&self, dir: &Path, opts: &AgentConfigOptions) -> Result<AgentPaths> {
        agent_config::write_agent_config(dir, opts)
    }

    /// One echo request from gw to `target` with `ping -I <wan>`; waits at
    /// most a second.
    pub fn ping(&self, wan: Wan, target: IpAddr) -> Result<()> {
        check::ping(self.ns(Role::Gw), wan.device(), target)
    }

    /// One DNS query from gw through `wan` to `server` for `name`.
    pub fn dns_query(
        &self,
        wan: Wan,
        server: IpAddr,
        name: &str,
        qtype: QueryType,
    ) -> Result<Vec<IpAddr>> {
        check::dns_query(self.ns(Role::Gw), wan.device(), server, name, qtype)
    }

    /// One `GET <path>` from gw through `wan` to `addr` port 80; returns
    /// the status code.
    pub fn http_status(&self, wan: Wan, addr: IpAddr, path: &str) -> Result<u16> {
        check::http_status(self.ns(Role::Gw), wan.device(), addr, path)
    }

    /// Waits until both families of `wan` reach the first ICMP target.
    pub(crate) fn wait_wan_answers(&self, wan: Wan) -> Result<()> {
        for target in [IpAddr::V4(addr::ICMP_V4[0]), IpAddr::V6(addr::ICMP_V6[0])] {
            wait::until(
                &format!("{wan}: ping -I {} {target}", wan.device()),
                wait::DEADLINE,
                || self.ping(wan, target),
            )?;
        }
        Ok(())
    }
}

/// The data behind a mutex, even after a panic on another thread: the lab
/// must still be able to kill its processes.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
