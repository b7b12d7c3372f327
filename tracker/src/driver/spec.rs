//! What a WAN driver is told: the device, the probes and the parameters.

use std::net::{IpAddr, SocketAddr};

use crate::events::{Family, TargetId};
use crate::health::HealthParams;

/// One WAN to track.
#[derive(Debug, Clone, PartialEq)]
pub struct WanSpec {
    /// The WAN's name, for logs and reports.
    pub name: String,
    /// The device its probes leave through.
    pub device: String,
    /// SO_MARK for its probes, if set.
    pub fwmark: Option<u32>,
    pub params: HealthParams,
    /// Its probes; target `i` of the health machine is `probes[i]`.
    pub probes: Vec<ProbeSpec>,
}

/// One probe target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeSpec {
    /// ICMP echo to an address.
    Icmp(IpAddr),
    /// A DNS query for `name` to `server`.
    Dns { server: SocketAddr, name: String },
    /// An HTTP GET of `url`, whose host is the IP literal `addr`.
    Http {
        url: String,
        addr: IpAddr,
        expect_status: u16,
    },
}

impl ProbeSpec {
    /// The family the probe travels in.
    pub fn family(&self) -> Family {
        let addr = match self {
            ProbeSpec::Icmp(a) => *a,
            ProbeSpec::Dns { server, .. } => server.ip(),
            ProbeSpec::Http { addr, .. } => *addr,
        };
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

impl WanSpec {
    /// The target ids of `family`, in probe order.
    pub fn targets(&self, family: Family) -> Vec<TargetId> {
        self.probes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.family() == family)
            .filter_map(|(i, _)| u32::try_from(i).ok().map(TargetId))
            .collect()
    }
}
