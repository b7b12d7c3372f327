//! What one device looks like from its link events: its index, carrier and
//! addresses. The tracker's WAN driver and the agent's MPTCP feeder both
//! follow their WAN's device this way, so both pick the same source
//! address.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::events::Family;

use super::LinkEvent;

/// One device, followed by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceView {
    /// Its index while it exists.
    pub ifindex: Option<u32>,
    /// Its carrier as last reported (`None` before any report).
    pub carrier: Option<bool>,
    /// Its usable addresses.
    pub addrs: BTreeSet<IpAddr>,
}

/// What an event changed about the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChange {
    /// Nothing that concerns this device.
    None,
    /// Its carrier changed to this value.
    Carrier(bool),
    /// Its index or addresses changed.
    Addressing,
}

impl DeviceView {
    /// Applies a link event if it is about the device called `name`.
    pub fn apply(&mut self, name: &str, ev: &LinkEvent) -> DeviceChange {
        match ev {
            LinkEvent::Link {
                ifindex,
                name: n,
                carrier,
                ..
            } if n == name => {
                let moved = self.ifindex != Some(*ifindex);
                if moved {
                    self.addrs.clear();
                }
                self.ifindex = Some(*ifindex);
                if self.carrier != Some(*carrier) {
                    self.carrier = Some(*carrier);
                    DeviceChange::Carrier(*carrier)
                } else if moved {
                    DeviceChange::Addressing
                } else {
                    DeviceChange::None
                }
            }
            LinkEvent::LinkRemoved { name: n, .. } if n == name => {
                self.ifindex = None;
                self.addrs.clear();
                if self.carrier == Some(false) {
                    DeviceChange::Addressing
                } else {
                    self.carrier = Some(false);
                    DeviceChange::Carrier(false)
                }
            }
            LinkEvent::AddressAdded { ifindex, addr, .. } if self.ifindex == Some(*ifindex) => {
                if self.addrs.insert(*addr) {
                    DeviceChange::Addressing
                } else {
                    DeviceChange::None
                }
            }
            LinkEvent::AddressRemoved { ifindex, addr, .. } if self.ifindex == Some(*ifindex) => {
                if self.addrs.remove(addr) {
                    DeviceChange::Addressing
                } else {
                    DeviceChange::None
                }
            }
            _ => DeviceChange::None,
        }
    }

    /// The source address for `family`: the lowest global-scope address of
    /// that family (stable across runs), never an IPv6 link-local one.
    pub fn source(&self, family: Family) -> Option<IpAddr> {
        self.addrs.iter().copied().find(|a| match (a, family) {
            (IpAddr::V4(_), Family::V4) => true,
            (IpAddr::V6(v6), Family::V6) => !v6.is_unicast_link_local(),
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(ifindex: u32, carrier: bool) -> LinkEvent {
        LinkEvent::Link {
            ifindex,
            name: "wan1".into(),
            carrier,
            oper_up: carrier,
        }
    }

    fn added(ifindex: u32, addr: &str) -> LinkEvent {
        LinkEvent::AddressAdded {
            ifindex,
            name: Some("wan1".into()),
            addr: addr.parse().unwrap(),
            prefix_len: 24,
        }
    }

    #[test]
    fn follows_its_device_by_name_and_index() {
        let mut d = DeviceView::default();
        assert_eq!(d.apply("wan1", &link(7, true)), DeviceChange::Carrier(true));
        assert_eq!(d.apply("wan1", &link(7, true)), DeviceChange::None);
        assert_eq!(
            d.apply("wan1", &added(7, "10.1.0.2")),
            DeviceChange::Addressing
        );
        assert_eq!(
            d.apply("wan1", &added(8, "10.9.0.2")),
            DeviceChange::None,
            "another device"
        );
        assert_eq!(
            d.apply("wan1", &added(7, "fe80::1")),
            DeviceChange::Addressing
        );
        assert_eq!(
            d.apply("wan1", &added(7, "fd00:1::2")),
            DeviceChange::Addressing
        );
        assert_eq!(d.source(Family::V4), Some("10.1.0.2".parse().unwrap()));
        assert_eq!(d.source(Family::V6), Some("fd00:1::2".parse().unwrap()));
        assert_eq!(
            d.apply("wan1", &link(7, false)),
            DeviceChange::Carrier(false)
        );
        // Re-created under a new index: the old addresses are gone.
        assert_eq!(d.apply("wan1", &link(9, false)), DeviceChange::Addressing);
        assert_eq!(d.source(Family::V4), None);
        let removed = LinkEvent::LinkRemoved {
            ifindex: 9,
            name: "wan1".into(),
        };
        assert_eq!(d.apply("wan1", &removed), DeviceChange::Addressing);
        assert_eq!(d.ifindex, None);
    }
}
