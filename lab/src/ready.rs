//! What "the lab is up" means: from gw, through each WAN, the first IPv4
//! and IPv6 ICMP targets answer `ping -I`, the DNS server answers A and
//! AAAA for example.com on both of its addresses, and the HTTP server
//! answers 204 on both of its. Every check runs at once, each retried
//! until the deadline.

use std::net::IpAddr;

use anyhow::{Result, anyhow, ensure};

use crate::addr;
use crate::dns::QueryType;
use crate::lab::{Lab, lock};
use crate::role::Wan;
use crate::servers::{DEFAULT_HTTP_STATUS, expected_dns};
use crate::wait::{self, Hopeless};

/// One readiness check.
#[derive(Debug, Clone, Copy)]
enum Check {
    Ping(Wan, IpAddr),
    /// Server, type asked, the one address expected.
    Dns(Wan, IpAddr, QueryType, IpAddr),
    Http(Wan, IpAddr),
}

impl Check {
    fn all() -> Vec<Check> {
        let mut checks = Vec::new();
        for wan in Wan::ALL {
            checks.push(Check::Ping(wan, addr::ICMP_V4[0].into()));
            checks.push(Check::Ping(wan, addr::ICMP_V6[0].into()));
            for (server, qtype, want) in expected_dns() {
                checks.push(Check::Dns(wan, server, qtype, want));
            }
            checks.push(Check::Http(wan, addr::HTTP_V4.into()));
            checks.push(Check::Http(wan, addr::HTTP_V6.into()));
        }
        checks
    }

    fn describe(self) -> String {
        match self {
            Check::Ping(wan, target) => format!("ping -I {} {target}", wan.device()),
            Check::Dns(wan, server, qtype, _) => {
                format!(
                    "DNS {} {qtype:?} from {server} through {}",
                    addr::DNS_NAME,
                    wan.device()
                )
            }
            Check::Http(wan, server) => {
                format!(
                    "HTTP GET {} from {server} through {}",
                    addr::HTTP_PATH,
                    wan.device()
                )
            }
        }
    }

    fn run(self, lab: &Lab) -> Result<()> {
        let result = self.attempt(lab);
        if result.is_err() {
            give_up_if_exited(self, lab)?;
        }
        result
    }

    fn attempt(self, lab: &Lab) -> Result<()> {
        match self {
            Check::Ping(wan, target) => lab.ping(wan, target),
            Check::Dns(wan, server, qtype, want) => {
                let got = lab.dns_query(wan, server, addr::DNS_NAME, qtype)?;
                ensure!(got == [want], "answered {got:?}, not [{want}]");
                Ok(())
            }
            Check::Http(wan, server) => {
                let status = lab.http_status(wan, server, addr::HTTP_PATH)?;
                ensure!(status == DEFAULT_HTTP_STATUS, "answered {status}");
                Ok(())
            }
        }
    }
}

/// Fails with [`Hopeless`] if the server `check` waits for has exited.
fn give_up_if_exited(check: Check, lab: &Lab) -> Result<()> {
    let exited = match check {
        Check::Ping(..) => return Ok(()),
        Check::Dns(..) => match lock(&lab.dns).as_mut() {
            Some(dns) => dns.try_wait()?,
            None => return Err(Hopeless("dnsmasq is stopped".to_string()).into()),
        },
        Check::Http(..) => lock(&lab.http).try_wait()?,
    };
    match exited {
        Some(status) => Err(Hopeless(format!("its server exited: {status}")).into()),
        None => Ok(()),
    }
}

/// Returns once every check passed; otherwise fails after the deadline
/// with every failed check and the state and log of both servers.
pub fn wait_ready(lab: &Lab) -> Result<()> {
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = Check::all()
            .into_iter()
            .map(|check| {
                s.spawn(move || wait::until(&check.describe(), wait::DEADLINE, || check.run(lab)))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| match h.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("{e:#}")),
                Err(_) => Some("a readiness check panicked".to_string()),
            })
            .collect()
    });
    if failures.is_empty() {
        return Ok(());
    }
    let dns = match lock(&lab.dns).as_mut() {
        Some(dns) => dns.describe(),
        None => "dnsmasq is stopped".to_string(),
    };
    let http = lock(&lab.http).describe();
    Err(anyhow!("{}\n{dns}\n{http}", failures.join("\n")))
}
