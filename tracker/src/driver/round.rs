//! One probe round: every target of a family at once.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;

use crate::events::{ErrorKind, Family, Outcome, RoundId, RoundReport, TargetId, TargetResult};

use super::probers::FamilyProbers;
use super::spec::ProbeSpec;

/// Probes every `(id, spec)` at once through `probers` (None: they could
/// not be built, every target fails) and reports the round. Each prober
/// bounds its own wait by `timeout`; the outer timeout only guards against
/// a prober that overstays.
pub(super) async fn run_round(
    family: Family,
    round: RoundId,
    targets: Vec<(TargetId, ProbeSpec)>,
    probers: Option<Arc<FamilyProbers>>,
    seq: u16,
    timeout: Duration,
) -> RoundReport {
    let probes = targets.into_iter().map(|(target, spec)| {
        let probers = probers.clone();
        async move {
            let outcome = match probers {
                None => Outcome::Error(ErrorKind::Send),
                Some(p) => {
                    let guard = timeout.saturating_add(Duration::from_millis(100));
                    tokio::time::timeout(guard, probe(&p, &spec, seq, timeout))
                        .await
                        .unwrap_or(Outcome::Timeout)
                }
            };
            TargetResult { target, outcome }
        }
    });
    let results = join_all(probes).await;
    RoundReport {
        family,
        round,
        results,
    }
}

async fn probe(p: &FamilyProbers, spec: &ProbeSpec, seq: u16, timeout: Duration) -> Outcome {
    match spec {
        ProbeSpec::Icmp(addr) => match &p.icmp {
            Some(icmp) => icmp.probe(*addr, seq, timeout).await,
            None => Outcome::Error(ErrorKind::Other),
        },
        ProbeSpec::Dns { server, name } => match &p.dns {
            Some(dns) => dns.probe(*server, name, timeout).await,
            None => Outcome::Error(ErrorKind::Other),
        },
        ProbeSpec::Http {
            url, expect_status, ..
        } => match &p.http {
            Some(http) => http.probe(url, *expect_status, timeout).await,
            None => Outcome::Error(ErrorKind::Other),
        },
    }
}
