//! Extra uplinks of gw beyond `wan1` and `wan2`, for benchmarks that track
//! more WANs than the lab's two. An extra WAN `wanN` (N in 3..=9) is a veth
//! from gw to a provider that already exists, with its own prefixes, so
//! it is a real, separate path through the same ISPs:
//!
//! ```text
//!  [gw] wanN ─── gwN [isp1 for odd N, isp2 for even N] ─── inet
//! ```
//! gw is `10.N.0.2` / `fd00:N::2`, the provider `10.N.0.1` / `fd00:N::1`;
//! gw's main table gets a default route through it with metric `10 * N`
//! (behind both regular WANs), and inet routes `10.N.0.0/24` back through
//! the provider. Outages ([`crate::Lab::blackhole`] and friends) act on
//! the regular WANs only; a provider's black hole does not reach an
//! extra WAN's link (its rules name the provider's `gw` interface). An
//! extra WAN's carrier is lost by setting the provider's end `gwN` down,
//! and [`Lab::restore_extra_wan`] brings it back.
//!
//! [`CarrierNotice`] chooses how the kernel reports the carrier changes of
//! gw's end: at once, as for every regular link of the lab, or as for a
//! physical port, where the notice may be held back for up to a second.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::{Context, Result, ensure};

use crate::addr::{self, LINK_V4_LEN, LINK_V6_LEN};
use crate::lab::Lab;
use crate::role::{Role, Wan};
use crate::topology::link;
use crate::wait;

/// How the kernel reports carrier changes of gw's end of an extra WAN.
///
/// The kernel sends a link's carrier change at once only when it counts as
/// urgent (`linkwatch_urgent_event`): for a device whose index differs from
/// its link's (a veth whose ends have different indexes, a VLAN). Any other
/// change, a physical port's among them, waits for the next batch, and
/// batches run at most once a second system-wide: a carrier loss shortly
/// after any other such change is reported up to a second late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CarrierNotice {
    /// Both ends have indexes of their own: reported at once.
    AtOnce,
    /// Both ends share one index, so the link's changes are not urgent:
    /// reported like a physical port's.
    LikeAPort,
}

/// One extra uplink of gw: `wanN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtraWan {
    /// N in `wanN`: in [`ExtraWan::FIRST`]..=[`ExtraWan::LAST`].
    n: u8,
    notice: CarrierNotice,
}

impl ExtraWan {
    /// The first number free after `wan1` and `wan2`.
    pub const FIRST: u8 = 3;
    /// The last: keeps `10.N.0.0/24` clear of the lab's other prefixes
    /// (`10.99`, `10.101`, `10.102`) and device names short.
    pub const LAST: u8 = 9;

    /// `wanN`'s facts, its carrier changes reported at once; fails unless
    /// N is in `FIRST..=LAST`.
    pub fn new(n: u8) -> Result<ExtraWan> {
        ExtraWan::with_notice(n, CarrierNotice::AtOnce)
    }

    /// `wanN`'s facts, its carrier changes reported as `notice` says.
    pub fn with_notice(n: u8, notice: CarrierNotice) -> Result<ExtraWan> {
        ensure!(
            (Self::FIRST..=Self::LAST).contains(&n),
            "extra WAN number {n} is outside {}..={}",
            Self::FIRST,
            Self::LAST
        );
        Ok(ExtraWan { n, notice })
    }

    /// How the kernel reports its carrier changes.
    pub fn notice(self) -> CarrierNotice {
        self.notice
    }

    /// N in `wanN`.
    pub fn number(self) -> u8 {
        self.n
    }

    /// The WAN's name in an agent configuration, and gw's device name.
    pub fn name(self) -> String {
        self.device()
    }

    /// gw's interface: `wanN`.
    pub fn device(self) -> String {
        format!("wan{}", self.n)
    }

    /// The regular WAN whose provider carries this one: WAN1's for odd N,
    /// WAN2's for even N.
    pub fn carrier(self) -> Wan {
        if self.n % 2 == 1 { Wan::One } else { Wan::Two }
    }

    /// The namespace of this WAN's provider.
    pub fn isp(self) -> Role {
        self.carrier().isp()
    }

    /// The provider's interface facing gw: `gwN`.
    pub fn isp_device(self) -> String {
        format!("{}{}", addr::TO_GW_DEV, self.n)
    }

    pub fn gw_v4(self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.n, 0, 2)
    }

    /// The WAN's IPv4 gateway (the provider's address).
    pub fn isp_v4(self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.n, 0, 1)
    }

    /// The link's IPv4 prefix (length [`LINK_V4_LEN`]).
    pub fn net_v4(self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.n, 0, 0)
    }

    pub fn gw_v6(self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, u16::from(self.n), 0, 0, 0, 0, 0, 2)
    }

    /// The WAN's IPv6 gateway (the provider's address).
    pub fn isp_v6(self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, u16::from(self.n), 0, 0, 0, 0, 0, 1)
    }

    /// The link's IPv6 prefix (length [`LINK_V6_LEN`]).
    pub fn net_v6(self) -> Ipv6Addr {
        Ipv6Addr::new(0xfd00, u16::from(self.n), 0, 0, 0, 0, 0, 0)
    }

    /// The metric of its default routes in gw's main table: after both
    /// regular WANs, so the main table never prefers it.
    pub fn metric(self) -> u32 {
        10 * u32::from(self.n)
    }

    /// An MPTCP endpoint id no regular WAN uses: N.
    pub fn mptcp_id(self) -> u8 {
        self.n
    }

    /// Fixed interface indexes of gw's end and the provider's end, distinct
    /// from the regular links', and from each other unless the link is to
    /// be reported like a port ([`CarrierNotice`]).
    fn ifindexes(self) -> (u32, u32) {
        let n = u32::from(self.n);
        match self.notice {
            CarrierNotice::AtOnce => (60 + n, 70 + n),
            CarrierNotice::LikeAPort => (80 + n, 80 + n),
        }
    }

    /// gw's `ip -batch` script: creates the veth into the provider's
    /// namespace `isp_ns`, then sets up gw's end and its default routes.
    fn gw_script(self, isp_ns: &str) -> String {
        let (dev, isp_dev) = (self.device(), self.isp_device());
        let (near, far) = self.ifindexes();
        let mut s = format!(
            "link add {dev} index {near} type veth peer name {isp_dev} index {far} netns {isp_ns}\n"
        );
        s += &self.gw_side();
        s
    }

    /// gw's end: addresses, link up, default routes.
    fn gw_side(self) -> String {
        let dev = self.device();
        let mut s = link(&dev, self.gw_v4().into(), self.gw_v6().into());
        let m = self.metric();
        let _ = writeln!(
            s,
            "route replace 0.0.0.0/0 via {} dev {dev} metric {m}",
            self.isp_v4()
        );
        let _ = writeln!(
            s,
            "route replace ::/0 via {} dev {dev} metric {m}",
            self.isp_v6()
        );
        s
    }

    /// The provider's script: its end of the link (the routes to the
    /// targets are the provider's already).
    fn isp_script(self) -> String {
        link(
            &self.isp_device(),
            self.isp_v4().into(),
            self.isp_v6().into(),
        )
    }

    /// inet's script: the WAN's prefixes back through its provider.
    fn inet_script(self) -> String {
        let via = self.carrier();
        let dev = via.inet_device();
        format!(
            "route replace {}/{LINK_V4_LEN} via {} dev {dev}\n\
             route replace {}/{LINK_V6_LEN} via {} dev {dev}\n",
            self.net_v4(),
            via.isp_inet_v4(),
            self.net_v6(),
            via.isp_inet_v6(),
        )
    }
}

impl std::fmt::Display for ExtraWan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "wan{}", self.n)
    }
}

impl Lab {
    /// Adds the uplink `wanN` to gw (see [`crate::extra_wan`]), its carrier
    /// changes reported at once, and returns once gw reaches the first IPv4
    /// and IPv6 ICMP targets, the DNS server and the HTTP server through it.
    /// Fails if it exists already. It lives as long as the lab.
    pub fn add_extra_wan(&self, n: u8) -> Result<ExtraWan> {
        self.add_extra_wan_with(n, CarrierNotice::AtOnce)
    }

    /// [`Lab::add_extra_wan`], its carrier changes reported as `notice`
    /// says.
    pub fn add_extra_wan_with(&self, n: u8, notice: CarrierNotice) -> Result<ExtraWan> {
        let wan = ExtraWan::with_notice(n, notice)?;
        let what = |step: &str| format!("{step} for {wan} (through {})", wan.isp());
        let batch = |role: Role, script: &str| {
            self.ns(role)
                .run_with_input(&["ip", "-batch", "-"], script)
                .map(drop)
                .with_context(|| format!("configuring {role}:\n{script}"))
        };
        batch(Role::Gw, &wan.gw_script(self.ns(wan.isp()).name()))
            .with_context(|| what("creating the link"))?;
        batch(wan.isp(), &wan.isp_script()).with_context(|| what("the provider's end"))?;
        batch(Role::Inet, &wan.inet_script()).with_context(|| what("inet's routes back"))?;
        self.wait_extra_wan_answers(wan)
            .with_context(|| what("reaching the targets"))?;
        Ok(wan)
    }

    /// Sets both ends of `wan` up again with their addresses and gw's
    /// default routes for it, forgets the neighbours an outage left
    /// unresolved, and returns once gw reaches the targets through it.
    pub fn restore_extra_wan(&self, wan: ExtraWan) -> Result<()> {
        let flush = |dev: &str| format!("neigh flush dev {dev}\n");
        let isp = wan.isp_script() + &flush(&wan.isp_device());
        let gw = wan.gw_side() + &flush(&wan.device());
        for (role, script) in [(wan.isp(), isp), (Role::Gw, gw)] {
            self.ns(role)
                .run_with_input(&["ip", "-batch", "-"], &script)
                .with_context(|| format!("restoring {wan} in {role}:\n{script}"))?;
        }
        self.wait_extra_wan_answers(wan)
            .with_context(|| format!("restoring {wan}"))
    }

    fn wait_extra_wan_answers(&self, wan: ExtraWan) -> Result<()> {
        let gw = self.ns(Role::Gw);
        let dev = wan.device();
        for target in [IpAddr::V4(addr::ICMP_V4[0]), IpAddr::V6(addr::ICMP_V6[0])] {
            wait::until(&format!("ping -I {dev} {target}"), wait::DEADLINE, || {
                crate::check::ping(gw, &dev, target)
            })?;
        }
        wait::until(
            &format!("DNS {} A through {dev}", addr::DNS_NAME),
            wait::DEADLINE,
            || {
                let got = crate::check::dns_query(
                    gw,
                    &dev,
                    addr::DNS_V4.into(),
                    addr::DNS_NAME,
                    crate::QueryType::A,
                )?;
                ensure!(!got.is_empty(), "empty answer");
                Ok(())
            },
        )?;
        wait::until(
            &format!("HTTP GET {} through {dev}", addr::HTTP_PATH),
            wait::DEADLINE,
            || {
                let status =
                    crate::check::http_status(gw, &dev, addr::HTTP_V4.into(), addr::HTTP_PATH)?;
                ensure!(status == crate::DEFAULT_HTTP_STATUS, "answered {status}");
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_the_range_are_refused() {
        assert!(ExtraWan::new(2).is_err());
        assert!(ExtraWan::new(10).is_err());
        assert!(ExtraWan::new(3).is_ok() && ExtraWan::new(9).is_ok());
    }

    #[test]
    fn each_extra_wan_has_its_own_facts() {
        let three = ExtraWan::new(3).unwrap();
        let four = ExtraWan::new(4).unwrap();
        assert_eq!(
            (three.name(), four.device()),
            ("wan3".into(), "wan4".into())
        );
        assert_eq!((three.isp(), four.isp()), (Role::Isp1, Role::Isp2));
        assert_eq!(three.isp_device(), "gw3");
        assert_eq!(three.gw_v4(), Ipv4Addr::new(10, 3, 0, 2));
        assert_eq!(four.isp_v6(), "fd00:4::1".parse::<Ipv6Addr>().unwrap());
        for wan in Wan::ALL {
            assert!(three.metric() > wan.metric());
            assert_ne!(three.mptcp_id(), wan.mptcp_id());
            assert_ne!(three.net_v4(), wan.net_v4());
        }
        let (near, far) = three.ifindexes();
        assert_ne!(near, far);
        assert_ne!(four.ifindexes().0, near);
        let port = ExtraWan::with_notice(3, CarrierNotice::LikeAPort).unwrap();
        let (a, b) = port.ifindexes();
        assert_eq!(a, b, "a link reported like a port");
        assert!(![near, far, four.ifindexes().0].contains(&a));
    }

    #[test]
    fn scripts_wire_both_ends_and_the_way_back() {
        let five = ExtraWan::new(5).unwrap();
        let gw = five.gw_script("mpwan-x-isp1");
        assert!(
            gw.starts_with(
                "link add wan5 index 65 type veth peer name gw5 index 75 netns mpwan-x-isp1\n"
            ),
            "{gw}"
        );
        assert!(
            gw.contains("route replace 0.0.0.0/0 via 10.5.0.1 dev wan5 metric 50"),
            "{gw}"
        );
        assert!(
            gw.contains("route replace ::/0 via fd00:5::1 dev wan5 metric 50"),
            "{gw}"
        );
        assert!(
            five.isp_script()
                .contains("addr replace 10.5.0.1/24 dev gw5")
        );
        let inet = five.inet_script();
        assert!(
            inet.contains("route replace 10.5.0.0/24 via 10.101.0.1 dev isp1"),
            "{inet}"
        );
        assert!(
            inet.contains("route replace fd00:5::/64 via fd00:101::1 dev isp1"),
            "{inet}"
        );
    }
}
