//! What the watcher knows of links and usable addresses, and the events a
//! message or a fresh dump makes of it. Sans-IO: messages in, events out.
//!
//! The kernel repeats itself: RTM_NEWLINK comes for any flag or attribute
//! change, RTM_NEWADDR for every lifetime refresh of a SLAAC address. Only
//! changes of what [`LinkEvent`] carries are reported.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::LinkEvent;
use super::decode::{Address, Change, LinkState};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    name: String,
    carrier: bool,
    oper_up: bool,
}

/// Links by index, and usable addresses as (ifindex, address, prefix).
#[derive(Debug, Default)]
pub(super) struct LinkTable {
    links: BTreeMap<u32, Link>,
    addrs: BTreeSet<(u32, IpAddr, u8)>,
}

impl LinkTable {
    /// Applies one message's `change`, pushing the events it makes to `out`.
    pub(super) fn apply(&mut self, change: Change, out: &mut Vec<LinkEvent>) {
        match change {
            Change::Link(l) => self.link(l, out),
            Change::LinkGone { ifindex, name } => self.link_gone(ifindex, name, out),
            Change::Address(a) if a.usable => self.address_added(a, out),
            Change::Address(a) | Change::AddressGone(a) => self.address_gone(&a, out),
        }
    }

    /// Replaces everything known with a fresh dump (after the kernel said
    /// messages were lost, or at start), pushing the differences to `out`.
    pub(super) fn resync(
        &mut self,
        links: Vec<LinkState>,
        addrs: Vec<Address>,
        out: &mut Vec<LinkEvent>,
    ) {
        let present: BTreeSet<u32> = links.iter().map(|l| l.ifindex).collect();
        for l in links {
            self.link(l, out);
        }
        let usable: BTreeSet<(u32, IpAddr, u8)> = addrs
            .iter()
            .filter(|a| a.usable)
            .map(|a| (a.ifindex, a.addr, a.prefix_len))
            .collect();
        let stale: Vec<_> = self.addrs.difference(&usable).copied().collect();
        for (ifindex, addr, prefix_len) in stale {
            self.addrs.remove(&(ifindex, addr, prefix_len));
            out.push(LinkEvent::AddressRemoved {
                ifindex,
                name: self.name_of(ifindex, None),
                addr,
                prefix_len,
            });
        }
        for a in addrs.into_iter().filter(|a| a.usable) {
            self.address_added(a, out);
        }
        let gone: Vec<u32> = self
            .links
            .keys()
            .filter(|i| !present.contains(i))
            .copied()
            .collect();
        for ifindex in gone {
            self.link_gone(ifindex, None, out);
        }
    }

    fn link(&mut self, l: LinkState, out: &mut Vec<LinkEvent>) {
        let known = self.links.get(&l.ifindex);
        let Some(name) = l.name.or_else(|| known.map(|k| k.name.clone())) else {
            // No name in the message and none known: nothing to report
            // under; the kernel always names links in practice.
            return;
        };
        let link = Link {
            name,
            carrier: l.carrier,
            oper_up: l.oper_up,
        };
        if known == Some(&link) {
            return;
        }
        out.push(LinkEvent::Link {
            ifindex: l.ifindex,
            name: link.name.clone(),
            carrier: link.carrier,
            oper_up: link.oper_up,
        });
        self.links.insert(l.ifindex, link);
    }

    fn link_gone(&mut self, ifindex: u32, name: Option<String>, out: &mut Vec<LinkEvent>) {
        // The kernel removes a deleted link's addresses first, but a lost
        // message must not leave addresses of a link that is gone.
        let orphans: Vec<_> = self
            .addrs
            .iter()
            .filter(|a| a.0 == ifindex)
            .copied()
            .collect();
        for (ifindex, addr, prefix_len) in orphans {
            self.addrs.remove(&(ifindex, addr, prefix_len));
            let name = self.name_of(ifindex, None);
            out.push(LinkEvent::AddressRemoved {
                ifindex,
                name,
                addr,
                prefix_len,
            });
        }
        if let Some(known) = self.links.remove(&ifindex) {
            out.push(LinkEvent::LinkRemoved {
                ifindex,
                name: known.name,
            });
        } else if let Some(name) = name {
            // Never seen (created and deleted between dump and
            // subscription): still worth saying.
            out.push(LinkEvent::LinkRemoved { ifindex, name });
        }
    }

    fn address_added(&mut self, a: Address, out: &mut Vec<LinkEvent>) {
        if self.addrs.insert((a.ifindex, a.addr, a.prefix_len)) {
            out.push(LinkEvent::AddressAdded {
                ifindex: a.ifindex,
                name: self.name_of(a.ifindex, a.label),
                addr: a.addr,
                prefix_len: a.prefix_len,
            });
        }
    }

    fn address_gone(&mut self, a: &Address, out: &mut Vec<LinkEvent>) {
        if self.addrs.remove(&(a.ifindex, a.addr, a.prefix_len)) {
            out.push(LinkEvent::AddressRemoved {
                ifindex: a.ifindex,
                name: self.name_of(a.ifindex, a.label.clone()),
                addr: a.addr,
                prefix_len: a.prefix_len,
            });
        }
    }

    fn name_of(&self, ifindex: u32, label: Option<String>) -> Option<String> {
        self.links.get(&ifindex).map(|l| l.name.clone()).or(label)
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode;
    use super::*;

    fn link(ifindex: u32, carrier: bool) -> LinkState {
        LinkState {
            ifindex,
            name: Some(format!("eth{ifindex}")),
            carrier,
            oper_up: carrier,
        }
    }

    fn addr(ifindex: u32, ip: &str, usable: bool) -> Address {
        Address {
            ifindex,
            addr: ip.parse().unwrap(),
            prefix_len: 24,
            label: None,
            usable,
        }
    }

    fn apply(t: &mut LinkTable, c: Change) -> Vec<LinkEvent> {
        let mut out = Vec::new();
        t.apply(c, &mut out);
        out
    }

    #[test]
    fn the_captured_sequence_makes_the_expected_events() {
        let mut t = LinkTable::default();
        let mut out = Vec::new();
        for (_, m) in super::super::decode::tests::captured() {
            if let Some(c) = decode(&m) {
                t.apply(c, &mut out);
            }
        }
        let summary: Vec<String> = out
            .iter()
            .map(|e| match e {
                LinkEvent::Link {
                    carrier, oper_up, ..
                } => format!("link {carrier} {oper_up}"),
                LinkEvent::LinkRemoved { name, .. } => format!("removed {name}"),
                LinkEvent::AddressAdded { addr, .. } => format!("+{addr}"),
                LinkEvent::AddressRemoved { addr, .. } => format!("-{addr}"),
            })
            .collect();
        assert_eq!(
            summary,
            [
                "link false false",
                "+10.9.1.1",
                "+fd00:9:1::1",
                "link true true",
                "+fe80::4c12:e7ff:feff:a69e",
                "link false false",
                "-10.9.1.1",
                // `ip link del`: set down (no change to report), addresses
                // removed, link deleted.
                "-fd00:9:1::1",
                "-fe80::4c12:e7ff:feff:a69e",
                "removed capn",
            ]
        );
    }

    #[test]
    fn repeated_messages_are_reported_once() {
        let mut t = LinkTable::default();
        assert_eq!(apply(&mut t, Change::Link(link(2, true))).len(), 1);
        assert!(apply(&mut t, Change::Link(link(2, true))).is_empty());
        assert_eq!(
            apply(&mut t, Change::Address(addr(2, "10.0.0.1", true))).len(),
            1
        );
        assert!(apply(&mut t, Change::Address(addr(2, "10.0.0.1", true))).is_empty());
    }

    #[test]
    fn a_tentative_address_is_reported_when_usable_and_gone_when_tentative_again() {
        let mut t = LinkTable::default();
        assert!(apply(&mut t, Change::Address(addr(2, "fd00::1", false))).is_empty());
        let added = apply(&mut t, Change::Address(addr(2, "fd00::1", true)));
        assert!(matches!(added[..], [LinkEvent::AddressAdded { .. }]));
        let removed = apply(&mut t, Change::Address(addr(2, "fd00::1", false)));
        assert!(matches!(removed[..], [LinkEvent::AddressRemoved { .. }]));
    }

    #[test]
    fn a_link_deleted_with_addresses_left_removes_them_first() {
        let mut t = LinkTable::default();
        apply(&mut t, Change::Link(link(3, true)));
        apply(&mut t, Change::Address(addr(3, "10.0.0.1", true)));
        let out = apply(
            &mut t,
            Change::LinkGone {
                ifindex: 3,
                name: None,
            },
        );
        assert!(matches!(
            &out[..],
            [LinkEvent::AddressRemoved { name: Some(n), .. }, LinkEvent::LinkRemoved { .. }]
                if n == "eth3"
        ));
    }

    #[test]
    fn resync_reports_only_the_differences() {
        let mut t = LinkTable::default();
        let mut out = Vec::new();
        t.resync(
            vec![link(2, true), link(3, true)],
            vec![addr(2, "10.0.0.1", true), addr(3, "10.0.1.1", true)],
            &mut out,
        );
        assert_eq!(out.len(), 4, "the first dump describes everything");
        out.clear();
        // Lost messages: link 3 went away, link 2 lost carrier, its address
        // changed.
        t.resync(
            vec![link(2, false)],
            vec![addr(2, "10.0.0.2", true)],
            &mut out,
        );
        assert_eq!(
            out,
            [
                LinkEvent::Link {
                    ifindex: 2,
                    name: "eth2".into(),
                    carrier: false,
                    oper_up: false
                },
                LinkEvent::AddressRemoved {
                    ifindex: 2,
                    name: Some("eth2".into()),
                    addr: "10.0.0.1".parse().unwrap(),
                    prefix_len: 24
                },
                LinkEvent::AddressRemoved {
                    ifindex: 3,
                    name: Some("eth3".into()),
                    addr: "10.0.1.1".parse().unwrap(),
                    prefix_len: 24
                },
                LinkEvent::AddressAdded {
                    ifindex: 2,
                    name: Some("eth2".into()),
                    addr: "10.0.0.2".parse().unwrap(),
                    prefix_len: 24
                },
                LinkEvent::LinkRemoved {
                    ifindex: 3,
                    name: "eth3".into()
                },
            ]
        );
    }
}
