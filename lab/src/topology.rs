//! Builds the lab's namespaces, links, addresses, routes and sysctls (see
//! [`crate::addr`] for the picture). Every address and route is written
//! with `replace`, so the same scripts rebuild a WAN after an outage.

use std::fmt::Write as _;
use std::net::IpAddr;

use anyhow::{Context, Result};

use crate::addr::{self, LINK_V4_LEN, LINK_V6_LEN};
use crate::netns::NetNs;
use crate::role::{Role, Wan};

/// The five namespaces, wired. Dropping it deletes them (and with them
/// every link and every process left inside).
#[derive(Debug)]
pub struct Topology {
    /// In [`Role::ALL`] order.
    namespaces: Vec<NetNs>,
}

impl Topology {
    /// Creates `mpwan-<run_id>-<role>` for every role and wires them. On
    /// error, whatever was created is removed.
    pub fn build(run_id: &str) -> Result<Topology> {
        let namespaces = parallel(Role::ALL.map(|role| move || NetNs::create(run_id, role.name())))
            .context("creating the namespaces")?;
        let topo = Topology { namespaces };
        parallel(Role::ALL.map(|role| {
            let topo = &topo;
            move || topo.set_sysctls(role)
        }))?;
        // Veths are created from gw and inet with their far ends placed in
        // the other namespaces, which are configured once those exist.
        parallel([Role::Gw, Role::Inet].map(|role| {
            let topo = &topo;
            move || topo.batch(role, &topo.script(role))
        }))?;
        parallel([Role::Isp1, Role::Isp2, Role::Peer].map(|role| {
            let topo = &topo;
            move || topo.batch(role, &topo.script(role))
        }))?;
        Ok(topo)
    }

    /// The namespace of `role`.
    pub fn ns(&self, role: Role) -> &NetNs {
        &self.namespaces[role.index()]
    }

    /// Sets both ends of `wan` up again with their addresses and gw's default
    /// routes for it, whatever an outage left, and forgets the neighbours
    /// the outage left unresolved: an incomplete entry is retried only
    /// once a second, which would hold the first packets back that long.
    pub fn rewire_wan(&self, wan: Wan) -> Result<()> {
        let flush = |dev: &str| format!("neigh flush dev {dev}\n");
        self.batch(wan.isp(), &(isp_gw_side(wan) + &flush(wan.isp_device())))?;
        self.batch(Role::Gw, &(gw_wan(wan) + &flush(wan.device())))
    }

    fn batch(&self, role: Role, script: &str) -> Result<()> {
        self.ns(role)
            .run_with_input(&["ip", "-batch", "-"], script)
            .map(drop)
            .with_context(|| format!("configuring {role}:\n{script}"))
    }

    /// The `ip -batch` script that wires `role`.
    fn script(&self, role: Role) -> String {
        match role {
            Role::Gw => self.gw_script(),
            Role::Inet => self.inet_script(),
            Role::Isp1 => isp_script(Wan::One),
            Role::Isp2 => isp_script(Wan::Two),
            Role::Peer => link(
                addr::TO_GW_DEV,
                addr::BGP_PEER_V4.into(),
                addr::BGP_PEER_V6.into(),
            ),
        }
    }

    /// gw: creates its three veths, then configures its ends.
    fn gw_script(&self) -> String {
        let mut s = String::new();
        for wan in Wan::ALL {
            s += &self.veth((Role::Gw, wan.device()), (wan.isp(), wan.isp_device()));
        }
        s += &self.veth((Role::Gw, addr::GW_BGP_DEV), (Role::Peer, addr::TO_GW_DEV));
        s += &gw_wan(Wan::One);
        s += &gw_wan(Wan::Two);
        s += &link(
            addr::GW_BGP_DEV,
            addr::BGP_GW_V4.into(),
            addr::BGP_GW_V6.into(),
        );
        s
    }

    /// inet: creates its veths to both ISPs, routes each WAN's prefixes
    /// back through its ISP, and holds every target.
    fn inet_script(&self) -> String {
        let mut s = String::new();
        for wan in Wan::ALL {
            s += &self.veth(
                (Role::Inet, wan.inet_device()),
                (wan.isp(), addr::TO_INET_DEV),
            );
        }
        for wan in Wan::ALL {
            let dev = wan.inet_device();
            s += &link(dev, wan.inet_v4().into(), wan.inet_v6().into());
            let (v4, v6) = (wan.net_v4(), wan.net_v6());
            let _ = writeln!(
                s,
                "route replace {v4}/{LINK_V4_LEN} via {} dev {dev}",
                wan.isp_inet_v4()
            );
            let _ = writeln!(
                s,
                "route replace {v6}/{LINK_V6_LEN} via {} dev {dev}",
                wan.isp_inet_v6()
            );
        }
        for target in addr::inet_targets() {
            let len = if target.is_ipv4() { 32 } else { 128 };
            let dev = addr::TARGETS_DEV;
            let _ = writeln!(s, "addr replace {target}/{len} dev {dev}{}", nodad(target));
        }
        s
    }

    /// The command creating a veth from `near` (created in the namespace
    /// running the script) to `far`, each end with its own fixed ifindex.
    fn veth(&self, near: (Role, &str), far: (Role, &str)) -> String {
        format!(
            "link add {} index {} type veth peer name {} index {} netns {}\n",
            near.1,
            ifindex(near.0, near.1),
            far.1,
            ifindex(far.0, far.1),
            self.ns(far.0).name()
        )
    }

    fn set_sysctls(&self, role: Role) -> Result<()> {
        let mut settings = vec![
            // Static addresses survive an outage's link down, as they do on
            // a router whose netifd re-adds them.
            ("net/ipv6/conf/all/keep_addr_on_down", "1"),
            // Link-local addresses usable at once; no router advertisements.
            ("net/ipv6/conf/default/accept_dad", "0"),
            ("net/ipv6/conf/default/accept_ra", "0"),
            // Replies to a probe bound to the backup WAN arrive on an
            // interface the main table does not prefer: never drop them,
            // whatever the host's defaults are.
            ("net/ipv4/conf/all/rp_filter", "0"),
            ("net/ipv4/conf/default/rp_filter", "0"),
        ];
        match role {
            Role::Gw => settings.push(("net/ipv4/ping_group_range", "0 2147483647")),
            Role::Isp1 | Role::Isp2 => {
                settings.push(("net/ipv4/ip_forward", "1"));
                settings.push(("net/ipv6/conf/all/forwarding", "1"));
            }
            Role::Inet | Role::Peer => {}
        }
        let ns = self.ns(role);
        ns.enter(|| -> Result<()> {
            // /proc/sys/net shows the namespace of the thread that reads it.
            for (key, value) in settings {
                std::fs::write(format!("/proc/sys/{key}"), value)
                    .with_context(|| format!("setting {key} = {value:?} in {}", ns.name()))?;
            }
            Ok(())
        })?
    }
}

/// A fixed interface index, different for every veth end of the lab.
///
/// Why: the kernel handles a link event at once only when a device's index
/// differs from its peer's (`linkwatch_urgent_event`); otherwise it batches
/// it for up to a second, and until then IPv6 holds the link as not ready
/// and a neighbour solicitation across it can go unanswered. Indexes that
/// happen to coincide across namespaces made IPv6 through one WAN take a
/// second to come up, now and then.
fn ifindex(role: Role, dev: &str) -> u32 {
    let base = match role {
        Role::Gw => 10,
        Role::Isp1 => 20,
        Role::Isp2 => 30,
        Role::Inet => 40,
        Role::Peer => 50,
    };
    // Each namespace's veth ends in the order they are created.
    let offset = match dev {
        "wan1" | addr::TO_GW_DEV | addr::INET_TO_ISP1_DEV => 1,
        "wan2" | addr::TO_INET_DEV | addr::INET_TO_ISP2_DEV => 2,
        _ => 3, // gw's bgp0
    };
    base + offset
}

/// An ISP: its side of the WAN, its link to inet, and the route to every
/// target through inet. (The veths already exist: gw and inet made them.)
fn isp_script(wan: Wan) -> String {
    let mut s = isp_gw_side(wan);
    let dev = addr::TO_INET_DEV;
    s += &link(dev, wan.isp_inet_v4().into(), wan.isp_inet_v6().into());
    let (v4, v4_len) = (addr::TARGETS_V4, addr::TARGETS_V4_LEN);
    let (v6, v6_len) = (addr::TARGETS_V6, addr::TARGETS_V6_LEN);
    let _ = writeln!(
        s,
        "route replace {v4}/{v4_len} via {} dev {dev}",
        wan.inet_v4()
    );
    let _ = writeln!(
        s,
        "route replace {v6}/{v6_len} via {} dev {dev}",
        wan.inet_v6()
    );
    s
}

/// gw's side of `wan`: addresses, link up, and its default routes.
fn gw_wan(wan: Wan) -> String {
    let dev = wan.device();
    let mut s = link(dev, wan.gw_v4().into(), wan.gw_v6().into());
    let m = wan.metric();
    let _ = writeln!(
        s,
        "route replace 0.0.0.0/0 via {} dev {dev} metric {m}",
        wan.isp_v4()
    );
    let _ = writeln!(
        s,
        "route replace ::/0 via {} dev {dev} metric {m}",
        wan.isp_v6()
    );
    s
}

/// The provider's side of `wan`, facing gw.
fn isp_gw_side(wan: Wan) -> String {
    link(wan.isp_device(), wan.isp_v4().into(), wan.isp_v6().into())
}

/// Addresses on a point-to-point link, then the link up.
pub(crate) fn link(dev: &str, v4: IpAddr, v6: IpAddr) -> String {
    format!(
        "addr replace {v4}/{LINK_V4_LEN} dev {dev}\n\
         addr replace {v6}/{LINK_V6_LEN} dev {dev}{}\n\
         link set {dev} up\n",
        nodad(v6)
    )
}

/// IPv6 addresses skip duplicate address detection, so they route at once.
fn nodad(a: IpAddr) -> &'static str {
    if a.is_ipv6() { " nodad" } else { "" }
}

/// Runs the jobs on threads at once; fails with the first error after all
/// have ended (dropping what the others built).
fn parallel<T: Send, const N: usize>(
    jobs: [impl FnOnce() -> Result<T> + Send; N],
) -> Result<Vec<T>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
        let results: Vec<Result<T>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        results.into_iter().collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{netns, run_id, skip_without_netns};

    fn namespaces_of(id: &str) -> usize {
        let all = netns::ip(&["netns", "list"]).unwrap();
        all.lines()
            .filter(|l| l.starts_with(&format!("mpwan-{id}-")))
            .count()
    }

    #[test]
    fn a_failed_build_removes_what_it_made() {
        if skip_without_netns("a_failed_build_removes_what_it_made") {
            return;
        }
        let id = run_id();
        // A namespace already holding one of the names makes the build fail.
        let squatter = NetNs::create(&id, Role::Peer.name()).unwrap();
        let e = Topology::build(&id).unwrap_err();
        assert!(
            format!("{e:#}").contains("creating the namespaces"),
            "{e:#}"
        );
        assert_eq!(namespaces_of(&id), 1, "only the squatter is left");
        drop(squatter);
        assert_eq!(namespaces_of(&id), 0);
    }

    #[test]
    fn veth_ends_have_distinct_indexes() {
        let mut all = vec![
            ifindex(Role::Gw, "wan1"),
            ifindex(Role::Gw, "wan2"),
            ifindex(Role::Gw, addr::GW_BGP_DEV),
            ifindex(Role::Peer, addr::TO_GW_DEV),
            ifindex(Role::Inet, addr::INET_TO_ISP1_DEV),
            ifindex(Role::Inet, addr::INET_TO_ISP2_DEV),
        ];
        for isp in [Role::Isp1, Role::Isp2] {
            all.push(ifindex(isp, addr::TO_GW_DEV));
            all.push(ifindex(isp, addr::TO_INET_DEV));
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}
