//! The WAN families: state, transitions, quality, probe targets and the
//! MPTCP endpoints.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;

use super::render::{Labels, counter, flag, gauge, state_set};
use crate::status::{MptcpStatus, WanStatus};

/// A WAN's (and a family's) states, as `mpwan status` names them.
const STATES: [&str; 4] = ["init", "up", "degraded", "down"];

pub fn encode(e: &mut DescriptorEncoder, wans: &[WanStatus]) -> fmt::Result {
    let by_wan = |w: &WanStatus| -> Labels { vec![("wan", w.name.clone())] };
    gauge(
        e,
        "wan_info",
        "A configured WAN and its device; always 1.",
        &wans
            .iter()
            .map(|w| {
                let mut l = by_wan(w);
                l.push(("interface", w.interface.clone()));
                (l, 1u32)
            })
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "wan_state",
        "The WAN's state: 1 for the state it is in, 0 for the others.",
        &wans
            .iter()
            .flat_map(|w| state_set(&by_wan(w), &STATES, &w.state))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "wan_usable",
        "1 while the WAN carries traffic (up or degraded), else 0.",
        &wans
            .iter()
            .map(|w| (by_wan(w), flag(w.state == "up" || w.state == "degraded")))
            .collect::<Vec<_>>(),
    )?;
    counter(
        e,
        "wan_transitions",
        "State changes of the WAN since it was configured or last changed.",
        &wans
            .iter()
            .map(|w| (by_wan(w), w.transitions))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "wan_rtt_seconds",
        "Mean round-trip time over the tracker's window, all families; absent until measured.",
        &wans
            .iter()
            .filter_map(|w| w.rtt_ms.map(|ms| (by_wan(w), ms / 1000.0)))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "wan_loss_ratio",
        "Probe loss over the tracker's window, all families, 0 to 1; absent until measured.",
        &wans
            .iter()
            .filter_map(|w| w.loss.map(|p| (by_wan(w), p / 100.0)))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "wan_family_state",
        "Each address family's own state: 1 for the state it is in, 0 for the others.",
        &wans
            .iter()
            .flat_map(|w| {
                w.families.iter().flat_map(move |f| {
                    let mut l = by_wan(w);
                    l.push(("family", f.family.clone()));
                    state_set(&l, &STATES, &f.state)
                })
            })
            .collect::<Vec<_>>(),
    )?;
    targets(e, wans)?;
    mptcp(e, wans)
}

/// Per probe target: latest RTT, loss and probes by result.
fn targets(e: &mut DescriptorEncoder, wans: &[WanStatus]) -> fmt::Result {
    let all: Vec<(Labels, &crate::status::TargetStatus)> = wans
        .iter()
        .flat_map(|w| {
            w.targets.iter().map(move |t| {
                let l = vec![
                    ("wan", w.name.clone()),
                    ("family", t.family.clone()),
                    ("method", t.method.clone()),
                    ("target", t.target.clone()),
                ];
                (l, t)
            })
        })
        .collect();
    gauge(
        e,
        "target_rtt_seconds",
        "Round-trip time of the target's latest reply; absent until one came.",
        &all.iter()
            .filter_map(|(l, t)| t.rtt_ms.map(|ms| (l.clone(), ms / 1000.0)))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "target_loss_ratio",
        "The target's probe loss over the tracker's window, 0 to 1; absent until measured.",
        &all.iter()
            .filter_map(|(l, t)| t.loss.map(|p| (l.clone(), p / 100.0)))
            .collect::<Vec<_>>(),
    )?;
    let by_result = |l: &Labels, result: &str, n: u64| {
        let mut l = l.clone();
        l.push(("result", result.to_string()));
        (l, n)
    };
    counter(
        e,
        "probes",
        "Probes sent to the target by result: ok (answered), timeout (no answer within \
         timeout), error (unreachable, refused, wrong answer, could not be sent).",
        &all.iter()
            .flat_map(|(l, t)| {
                [
                    by_result(l, "ok", t.probes.ok),
                    by_result(l, "timeout", t.probes.timeout),
                    by_result(l, "error", t.probes.error),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

/// Per MPTCP endpoint (the IPv4 one, and the IPv6 one when configured).
fn mptcp(e: &mut DescriptorEncoder, wans: &[WanStatus]) -> fmt::Result {
    let endpoints: Vec<(Labels, &MptcpStatus)> = wans
        .iter()
        .flat_map(|w| {
            let v4 = w.mptcp.as_ref();
            let v6 = v4.and_then(|m| m.ipv6.as_deref());
            [("ipv4", v4), ("ipv6", v6)]
                .into_iter()
                .filter_map(move |(family, m)| {
                    let m = m?;
                    let l = vec![
                        ("wan", w.name.clone()),
                        ("family", family.to_string()),
                        ("id", m.id.to_string()),
                    ];
                    Some((l, m))
                })
        })
        .collect();
    gauge(
        e,
        "mptcp_endpoint_present",
        "1 while the kernel holds the WAN's MPTCP endpoint, else 0.",
        &endpoints
            .iter()
            .map(|(l, m)| (l.clone(), flag(m.present)))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "mptcp_endpoint_backup",
        "1 while the endpoint carries the backup flag (its WAN is degraded), else 0.",
        &endpoints
            .iter()
            .map(|(l, m)| (l.clone(), flag(m.flags.iter().any(|f| f == "backup"))))
            .collect::<Vec<_>>(),
    )?;
    gauge(
        e,
        "mptcp_subflows",
        "Live MPTCP subflows on the endpoint's address, from the kernel's events.",
        &endpoints
            .iter()
            .map(|(l, m)| (l.clone(), m.subflows))
            .collect::<Vec<_>>(),
    )
}
