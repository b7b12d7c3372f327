//! The demo behind `scripts/demo`: builds the lab, runs `mpwan agent` in the
//! gateway namespace, plays a scripted story and prints a timeline. Every
//! step waits for what it expects with a deadline; a step that does not
//! happen makes the demo exit 1. The lab is removed on every exit path.
//!
//! Usage: mpwan-demo PATH-TO-MPWAN

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mpwan_lab::wait::{Clock, until};
use mpwan_lab::{AgentConfigOptions, Lab, LabChild, Role};

/// Generous: a step waits for the agent on a possibly loaded machine.
const STEP: Duration = Duration::from_secs(30);

struct Timeline {
    clock: Clock,
}

impl Timeline {
    fn say(&self, what: &str) {
        let t = self.clock.elapsed();
        println!("{:>4}.{:03}s  {what}", t.as_secs(), t.subsec_millis());
    }
}

fn main() {
    let mpwan = match std::env::args_os().nth(1) {
        Some(p) => PathBuf::from(p),
        None => {
            eprintln!("usage: mpwan-demo PATH-TO-MPWAN");
            std::process::exit(2);
        }
    };
    match run(&mpwan) {
        Ok(()) => println!("\ndemo finished: every step happened"),
        Err(e) => {
            eprintln!("\ndemo FAILED: {e:#}");
            std::process::exit(1);
        }
    }
}

fn run(mpwan: &Path) -> Result<()> {
    let mpwan = std::fs::canonicalize(mpwan).with_context(|| format!("{}", mpwan.display()))?;
    let tl = Timeline {
        clock: Clock::start(),
    };
    let lab = Lab::new().context("building the lab")?;
    tl.say(&format!(
        "lab {} built in {} ms: gateway with wan1 and wan2, two ISPs, an internet with DNS and HTTP servers, a BGP peer",
        lab.run_id(),
        lab.build_time().as_millis()
    ));

    let opts = AgentConfigOptions {
        dns_probe: true,
        http_probe: true,
        ..AgentConfigOptions::default()
    };
    let paths = lab.write_agent_config(&lab.dir().join("etc"), &opts)?;
    let socket = paths.control_socket.clone();
    let mut cmd = lab.command(Role::Gw, mpwan.to_str().context("mpwan path")?);
    cmd.arg("agent").arg("--config").arg(&paths.config_dir);
    let mut agent = LabChild::spawn_logged(cmd, "mpwan agent", &lab.dir().join("agent.log"))?;
    until("the agent answers on its control socket", STEP, || {
        if let Some(st) = agent.try_wait()? {
            bail!("the agent exited with {st}: {}", agent.log());
        }
        status_json(&mpwan, &socket)
    })?;
    tl.say(&format!(
        "mpwan agent started in {} (pid {})",
        lab.ns(Role::Gw).name(),
        agent.id()
    ));

    let table = cli(&mpwan, &socket, &["status"])?;
    tl.say("mpwan status:");
    for line in table.lines() {
        println!("           {line}");
    }

    cli(&mpwan, &socket, &["stop"])?;
    until("the agent exits after `mpwan stop`", STEP, || {
        match agent.try_wait()? {
            Some(st) if st.success() => Ok(()),
            Some(st) => bail!("the agent exited with {st}"),
            None => bail!("still running"),
        }
    })?;
    tl.say("mpwan stop: the agent exited cleanly");
    drop(lab);
    tl.say("lab removed");
    Ok(())
}

/// `mpwan status --json`, parsed from stdout only.
fn status_json(mpwan: &Path, socket: &Path) -> Result<serde_json::Value> {
    let out = cli(mpwan, socket, &["status", "--json"])?;
    serde_json::from_str(&out).context("status --json is not JSON")
}

/// Runs the CLI (outside the namespace: it only needs the socket file).
fn cli(mpwan: &Path, socket: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(mpwan)
        .args(args)
        .arg("--socket")
        .arg(socket)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running mpwan {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "mpwan {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
