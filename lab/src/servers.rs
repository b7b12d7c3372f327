//! The real servers inside inet: dnsmasq answering A and AAAA for
//! `example.com`, and `http_server.py` answering `GET /generate_204` with
//! the status the lab sets. Started by [`crate::Lab::new`]; the lab waits
//! for them by querying them, never by sleeping.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

use crate::addr;
use crate::check;
use crate::child::LabChild;
use crate::dns::QueryType;
use crate::netns::NetNs;
use crate::wait;

/// The HTTP server's source, shipped in lab/ and written into the lab's
/// directory at start, so a test binary works from anywhere.
const HTTP_SERVER_PY: &str = include_str!("../http_server.py");

/// The status `GET /generate_204` answers until a test changes it.
pub const DEFAULT_HTTP_STATUS: u16 = 204;

/// Starts dnsmasq in `inet` with its log and pid file in `dir`.
pub(crate) fn spawn_dns(inet: &NetNs, dir: &Path) -> Result<LabChild> {
    let mut cmd = inet.command("dnsmasq");
    cmd.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        "--log-facility=-",
        "--log-queries",
        "--user=root",
    ]);
    cmd.arg(format!("--port={}", addr::DNS_PORT));
    cmd.arg(format!("--listen-address={}", addr::DNS_V4));
    cmd.arg(format!("--listen-address={}", addr::DNS_V6));
    cmd.arg(format!("--address=/{}/{}", addr::DNS_NAME, addr::HTTP_V4));
    cmd.arg(format!("--address=/{}/{}", addr::DNS_NAME, addr::HTTP_V6));
    cmd.arg(format!("--pid-file={}", dir.join("dnsmasq.pid").display()));
    let what = format!("dnsmasq in {}", inet.name());
    LabChild::spawn_logged(cmd, &what, &dir.join("dnsmasq.log"))
}

/// What the lab checks that the DNS server answers: on each of its
/// addresses, a question of one family answered with the one HTTP server
/// address of that family.
pub(crate) fn expected_dns() -> [(IpAddr, QueryType, IpAddr); 2] {
    [
        (addr::DNS_V4.into(), QueryType::A, addr::HTTP_V4.into()),
        (addr::DNS_V6.into(), QueryType::Aaaa, addr::HTTP_V6.into()),
    ]
}

/// The file `http_server.py` reads the probe status from.
pub(crate) fn http_status_file(dir: &Path) -> PathBuf {
    dir.join("http_status")
}

/// Makes `GET /generate_204` answer `status` from the next request on.
pub(crate) fn write_http_status(dir: &Path, status: u16) -> Result<()> {
    ensure!(
        (100..=999).contains(&status),
        "HTTP status {status} is not three digits"
    );
    // Written aside and renamed, so the server never reads half a file.
    let tmp = dir.join("http_status.new");
    std::fs::write(&tmp, format!("{status}\n"))
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, http_status_file(dir)).context("renaming the HTTP status file")
}

/// Starts the HTTP server in `inet` with its script, status file and log in
/// `dir`.
pub(crate) fn spawn_http(inet: &NetNs, dir: &Path) -> Result<LabChild> {
    let script = dir.join("http_server.py");
    std::fs::write(&script, HTTP_SERVER_PY)
        .with_context(|| format!("writing {}", script.display()))?;
    write_http_status(dir, DEFAULT_HTTP_STATUS)?;
    let mut cmd = inet.command(python());
    // -u: unbuffered, so its log is complete when the lab reads it.
    cmd.arg("-u")
        .arg(&script)
        .arg(http_status_file(dir))
        .arg(addr::HTTP_PORT.to_string());
    cmd.args([IpAddr::from(addr::HTTP_V4), IpAddr::from(addr::HTTP_V6)].map(|a| a.to_string()));
    let what = format!("http_server.py in {}", inet.name());
    LabChild::spawn_logged(cmd, &what, &dir.join("http.log"))
}

/// Debian's python3 (the package the lab lists) when present: a version
/// manager's shim on PATH costs startup time and depends on the caller's
/// environment.
fn python() -> &'static str {
    const DEBIAN: &str = "/usr/bin/python3";
    if Path::new(DEBIAN).exists() {
        DEBIAN
    } else {
        "python3"
    }
}

impl crate::Lab {
    /// Makes `GET /generate_204` answer `status` (three digits) from the
    /// next request on.
    pub fn set_http_status(&self, status: u16) -> Result<()> {
        write_http_status(self.dir(), status)
    }

    /// Stops the DNS server and waits until it is gone; queries then go
    /// unanswered. Does nothing if it is stopped.
    pub fn stop_dns(&self) -> Result<()> {
        let dns = crate::lab::lock(&self.dns).take();
        if let Some(mut dns) = dns {
            dns.kill()?;
        }
        Ok(())
    }

    /// Starts the DNS server again and waits until it answers. Does nothing
    /// if it is running. Readiness is checked from inside inet, so that it
    /// holds whatever outage the WANs are in.
    pub fn start_dns(&self) -> Result<()> {
        let mut dns = crate::lab::lock(&self.dns);
        if dns.is_some() {
            return Ok(());
        }
        let inet = self.ns(crate::Role::Inet);
        let mut child = spawn_dns(inet, self.dir())?;
        for (server, qtype, want) in expected_dns() {
            let what = format!(
                "restarted dnsmasq answering {} {qtype:?} at {server}",
                addr::DNS_NAME
            );
            let ready = wait::until(&what, wait::DEADLINE, || {
                let got = check::dns_query(inet, "lo", server, addr::DNS_NAME, qtype);
                if got.is_err()
                    && let Some(status) = child.try_wait()?
                {
                    return Err(wait::Hopeless(format!("dnsmasq exited: {status}")).into());
                }
                let got = got?;
                ensure!(got == [want], "answered {got:?}, not [{want}]");
                Ok(())
            });
            if let Err(e) = ready {
                return Err(anyhow::anyhow!("{e:#}\n{}", child.describe()));
            }
        }
        *dns = Some(child);
        Ok(())
    }
}
