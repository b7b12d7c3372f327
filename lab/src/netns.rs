//! One network namespace owned by a test: created with a unique name,
//! removed on drop (also when the test panics), with the processes
//! started in it killed first.

use std::fs::File;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};

/// A short id unique to this process and call, so parallel tests and
/// parallel test binaries never collide: `<pid hex><counter>`.
pub fn run_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    static SALT: OnceLock<u32> = OnceLock::new();
    // The pid alone is unique among live processes; the salt guards against
    // a namespace left behind by an earlier process with the same pid.
    let salt = *SALT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/uuid")
            .ok()
            .and_then(|u| u32::from_str_radix(&u[..4], 16).ok())
            .unwrap_or(0)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}{:04x}{n}", std::process::id(), salt)
}

/// A network namespace named `mpwan-<run id>-<role>`.
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

impl NetNs {
    /// Creates `mpwan-<id>-<role>` with its loopback up.
    pub fn create(id: &str, role: &str) -> Result<NetNs> {
        let name = format!("mpwan-{id}-{role}");
        ip(&["netns", "add", &name])?;
        let ns = NetNs { name };
        ns.run(&["ip", "link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Creates a namespace with a fresh run id, for tests that need one.
    pub fn create_unique(role: &str) -> Result<NetNs> {
        NetNs::create(&run_id(), role)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program` inside this namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Runs `args` inside the namespace; fails with its stderr unless it
    /// exits 0. Returns its stdout.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let (program, rest) = args.split_first().context("empty command")?;
        let mut c = self.command(program);
        c.args(rest);
        output_of(c, &format!("[{}] {}", self.name, args.join(" ")))
    }

    /// Runs `args` inside the namespace with `input` on its standard input
    /// (`nft -f -`, `ip -batch -`); fails with its stderr unless it exits 0.
    /// Returns its stdout.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Result<String> {
        let (program, rest) = args.split_first().context("empty command")?;
        let what = format!("[{}] {}", self.name, args.join(" "));
        let mut child = self
            .command(program)
            .args(rest)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {what}"))?;
        let mut stdin = child.stdin.take().context("stdin of a piped child")?;
        // Written from another thread so that a child printing much before
        // it reads all of its input cannot block both sides.
        let (out, written) = std::thread::scope(|s| {
            let writer = s.spawn(move || stdin.write_all(input.as_bytes()));
            let out = child.wait_with_output();
            let written = writer
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (out, written)
        });
        let out = out.with_context(|| format!("waiting for {what}"))?;
        check_output(&out, &what)?;
        written.with_context(|| format!("writing the input of {what}"))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `f` on a named thread that has entered this namespace and
    /// keeps running after this call (a server, a traffic source). The
    /// caller joins it; an error means the thread could not enter.
    pub fn spawn_thread<F, R>(&self, name: &str, f: F) -> Result<std::thread::JoinHandle<Result<R>>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let path = format!("/run/netns/{}", self.name);
        let file = File::open(&path).with_context(|| format!("opening {path}"))?;
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                    .context("setns into the lab namespace")?;
                Ok(f())
            })
            .context("spawning a thread")?;
        Ok(thread)
    }

    /// Runs `f` on a new thread that has entered this namespace, and returns
    /// its result. Sockets (netlink included) opened by `f` live in the
    /// namespace. Panics in `f` are passed on.
    pub fn enter<F, R>(&self, f: F) -> Result<R>
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        let path = format!("/run/netns/{}", self.name);
        let file = File::open(&path).with_context(|| format!("opening {path}"))?;
        std::thread::scope(|s| {
            s.spawn(move || {
                nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                    .context("setns into the test namespace")?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// Kills every process still running in the namespace.
    pub fn kill_all(&self) {
        let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        else {
            return;
        };
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            if let Ok(pid) = pid.parse::<i32>() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        self.kill_all();
        if let Err(e) = ip(&["netns", "del", &self.name]) {
            eprintln!("mpwan-lab: could not remove namespace {}: {e:#}", self.name);
        }
    }
}

/// Runs `ip` with `args` in the caller's namespace.
pub fn ip(args: &[&str]) -> Result<String> {
    let mut c = Command::new("ip");
    c.args(args);
    output_of(c, &format!("ip {}", args.join(" ")))
}

fn output_of(mut c: Command, what: &str) -> Result<String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {what}"))?;
    check_output(&out, what)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Fails with the command's stderr (and stdout, where `ip -batch` and
/// `nft` say which line failed) unless it exited 0.
fn check_output(out: &Output, what: &str) -> Result<()> {
    if !out.status.success() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stdout = stdout.trim();
        let sep = if stdout.is_empty() { "" } else { "\n" };
        bail!(
            "{what}: {}: {}{sep}{stdout}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
        );
    }
    Ok(())
}

/// Whether this process may create network namespaces. Tests call it
/// first: `if lab::skip_without_netns("name") { return; }`.
///
/// Without CAP_NET_ADMIN it prints a loud message and returns true (skip),
/// except when `MPWAN_REQUIRE_NETNS=1` (CI), where it panics: a skipped
/// namespace test is a failure there.
pub fn skip_without_netns(test: &str) -> bool {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let available = AVAILABLE.get_or_init(|| {
        let probe = format!("mpwan-{}-probe", run_id());
        ip(&["netns", "add", &probe]).map_err(|e| format!("{e:#}"))?;
        ip(&["netns", "del", &probe]).map_err(|e| format!("{e:#}"))?;
        Ok(())
    });
    match available {
        Ok(()) => false,
        Err(why) => {
            let required = std::env::var("MPWAN_REQUIRE_NETNS").is_ok_and(|v| v == "1");
            if required {
                panic!(
                    "{test}: network namespaces are required (MPWAN_REQUIRE_NETNS=1) but unavailable: {why}"
                );
            }
            eprintln!(
                "\n!!! SKIPPED {test}: network namespaces unavailable (need root / CAP_NET_ADMIN): {why}\n"
            );
            true
        }
    }
}
