//! Reading what a WAN's table should copy: the main table's default
//! routes and on-link prefixes out of the WAN's device, and its addresses.

use rtnetlink::packet_route::RouteNetlinkMessage;

use super::{RouteManager, decode, encode};
use crate::route::error::{RouteError, Step};
use crate::route::family::{Family, Gateway, Prefix};
use crate::route::wan::WanRoutes;

impl RouteManager {
    /// The main table's default routes out of `ifindex`, both families,
    /// lowest metric first (the one the kernel prefers), without
    /// duplicates. A source-specific default (`default from 2001:db8::/48
    /// via ...`, as OpenWrt installs for IPv6) counts; its gateway is what
    /// is copied.
    pub async fn main_defaults(&self, ifindex: u32) -> Result<Vec<Gateway>, RouteError> {
        Ok(self.main_view(ifindex).await?.0)
    }

    /// The on-link prefixes the main table has out of `ifindex` (the
    /// device's connected subnets), both families, link-local excluded.
    pub async fn main_subnets(&self, ifindex: u32) -> Result<Vec<Prefix>, RouteError> {
        Ok(self.main_view(ifindex).await?.1)
    }

    /// [`main_defaults`](Self::main_defaults) and
    /// [`main_subnets`](Self::main_subnets) from one dump per family.
    async fn main_view(&self, ifindex: u32) -> Result<(Vec<Gateway>, Vec<Prefix>), RouteError> {
        let mut defaults = Vec::new();
        let mut subnets = Vec::new();
        for family in Family::ALL {
            for m in self.main_routes(family, ifindex).await? {
                defaults.extend(decode::main_default(&m, ifindex));
                if let Some(p) = decode::main_subnet(&m, ifindex)
                    && !subnets.contains(&p)
                {
                    subnets.push(p);
                }
            }
        }
        // Stable: equal metrics keep the kernel's order.
        defaults.sort_by_key(|(metric, _)| *metric);
        let mut gateways: Vec<Gateway> = Vec::new();
        for (_, g) in defaults {
            if !gateways.contains(&g) {
                gateways.push(g);
            }
        }
        Ok((gateways, subnets))
    }

    /// The index of `device`, `None` when there is no such device.
    pub async fn ifindex(&self, device: &str) -> Result<Option<u32>, RouteError> {
        let step = Step::FindDevice(device.to_owned());
        let request = RouteNetlinkMessage::GetLink(encode::get_link(device));
        match self.get(&step, request).await {
            Ok(Some(RouteNetlinkMessage::NewLink(m))) => Ok(Some(m.header.index)),
            Ok(_) => Err(RouteError::Unexpected {
                step,
                what: "no link message in the answer".into(),
            }),
            Err(e) if e.errno() == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The global-scope addresses of `ifindex`, IPv4 first.
    pub async fn addresses(
        &self,
        device: &str,
        ifindex: u32,
    ) -> Result<Vec<std::net::IpAddr>, RouteError> {
        let step = Step::ReadAddresses(device.to_owned());
        let mut addrs = Vec::new();
        for family in Family::ALL {
            let request = RouteNetlinkMessage::GetAddress(encode::dump_addresses(family, ifindex));
            for message in self.dump(&step, request).await? {
                if let RouteNetlinkMessage::NewAddress(m) = message
                    && let Some(a) = decode::global_address(&m, ifindex)
                    && !addrs.contains(&a)
                {
                    addrs.push(a);
                }
            }
        }
        Ok(addrs)
    }

    /// The WAN `key` with `table` on `device` as the kernel has it now: its
    /// index, global addresses, and the main table's default routes and
    /// on-link prefixes out of it. A device that does not exist gives a
    /// WAN with no index and nothing else (its `oif` rule stays; its
    /// `from` rules go with its addresses).
    pub async fn observe(
        &self,
        key: &str,
        table: u32,
        device: &str,
    ) -> Result<WanRoutes, RouteError> {
        let mut wan = WanRoutes {
            key: key.to_owned(),
            table,
            device: device.to_owned(),
            ifindex: None,
            addrs: Vec::new(),
            gateways: Vec::new(),
            subnets: Vec::new(),
        };
        let Some(ifindex) = self.ifindex(device).await? else {
            return Ok(wan);
        };
        wan.ifindex = Some(ifindex);
        wan.addrs = self.addresses(device, ifindex).await?;
        (wan.gateways, wan.subnets) = self.main_view(ifindex).await?;
        Ok(wan)
    }

    /// The main table's unicast routes of `family` out of `ifindex`.
    async fn main_routes(
        &self,
        family: Family,
        ifindex: u32,
    ) -> Result<Vec<rtnetlink::packet_route::route::RouteMessage>, RouteError> {
        let step = Step::ReadMain { family, ifindex };
        let request = RouteNetlinkMessage::GetRoute(encode::dump_main(family, ifindex));
        Ok(self
            .dump(&step, request)
            .await?
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRoute(r) => Some(r),
                _ => None,
            })
            .collect())
    }
}
