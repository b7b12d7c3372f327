//! The probers of one family of one WAN, rebuilt when the WAN's source
//! address of that family changes (a socket is bound to its source once).

use std::net::IpAddr;

use crate::events::Family;
use crate::probe::{Binding, DnsProber, HttpProber, IcmpProber, ProbeError};

use super::spec::ProbeSpec;

/// Only the kinds of prober the family's probes need exist.
#[derive(Debug)]
pub(super) struct FamilyProbers {
    pub(super) icmp: Option<IcmpProber>,
    pub(super) dns: Option<DnsProber>,
    pub(super) http: Option<HttpProber>,
}

impl FamilyProbers {
    /// Builds the probers `probes` (already of `family`) need, bound to
    /// `device`, `source` and `fwmark`. Must run inside a tokio runtime.
    pub(super) fn build(
        family: Family,
        probes: &[&ProbeSpec],
        device: &str,
        ifindex: Option<u32>,
        source: Option<IpAddr>,
        fwmark: Option<u32>,
    ) -> Result<FamilyProbers, ProbeError> {
        let binding = Binding {
            device: device.to_string(),
            ifindex,
            source,
            fwmark,
        };
        let needs = |f: fn(&ProbeSpec) -> bool| probes.iter().any(|p| f(p));
        let icmp = if needs(|p| matches!(p, ProbeSpec::Icmp(_))) {
            Some(IcmpProber::new(binding.clone(), family)?)
        } else {
            None
        };
        let dns = if needs(|p| matches!(p, ProbeSpec::Dns { .. })) {
            Some(DnsProber::new(binding.clone())?)
        } else {
            None
        };
        let http = if needs(|p| matches!(p, ProbeSpec::Http { .. })) {
            Some(HttpProber::new(&binding, family)?)
        } else {
            None
        };
        Ok(FamilyProbers { icmp, dns, http })
    }
}
