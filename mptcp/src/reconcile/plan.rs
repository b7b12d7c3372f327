//! Comparing what a slot wants with what the kernel holds.

use std::collections::BTreeMap;

use crate::endpoint::Endpoint;
use crate::flags::EndpointFlags;

use super::slot::SETTABLE_FLAGS;

/// What one slot needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// The kernel holds what is wanted.
    Nothing,
    /// Create the endpoint.
    Add(Endpoint),
    /// Remove our id: unwanted (`urgent`: at once, whatever the back-off),
    /// or to be replaced or re-added (an add follows).
    Delete { urgent: bool },
    /// Same address and device; only backup or fullmesh differ.
    SetFlags(EndpointFlags),
    /// Another endpoint (this id) holds the wanted address; the kernel
    /// would refuse the add, and that endpoint is not ours to touch.
    Conflict { holder: u8 },
}

/// The next step from `actual` (the kernel's endpoint with our id) to
/// `desired`; `rejoin` asks for a re-add of an endpoint that is as wanted.
pub(crate) fn plan(
    desired: Option<&Endpoint>,
    actual: Option<&Endpoint>,
    kernel: &BTreeMap<u8, Endpoint>,
    rejoin: bool,
) -> Plan {
    match (desired, actual) {
        (None, None) => Plan::Nothing,
        (None, Some(_)) => Plan::Delete { urgent: true },
        (Some(d), None) => match holder_of(d, kernel) {
            Some(holder) => Plan::Conflict { holder },
            None => Plan::Add(d.clone()),
        },
        (Some(d), Some(a)) => {
            let fixed = SETTABLE_FLAGS & !EndpointFlags::CHANGEABLE;
            if a.addr.to_canonical() != d.addr
                || a.port != d.port
                || a.ifindex != d.ifindex
                || a.flags & fixed != d.flags & fixed
            {
                Plan::Delete { urgent: false }
            } else if a.flags & EndpointFlags::CHANGEABLE != d.flags & EndpointFlags::CHANGEABLE {
                Plan::SetFlags(d.flags)
            } else if rejoin {
                Plan::Delete { urgent: false }
            } else {
                Plan::Nothing
            }
        }
    }
}

/// Another endpoint with `ep`'s address and no port: the kernel refuses a
/// second (EEXIST).
fn holder_of(ep: &Endpoint, kernel: &BTreeMap<u8, Endpoint>) -> Option<u8> {
    kernel
        .values()
        .find(|e| e.id != ep.id && e.port.is_none() && e.addr.to_canonical() == ep.addr)
        .map(|e| e.id)
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    fn ep(id: u8, last: u8, flags: EndpointFlags) -> Endpoint {
        Endpoint {
            ifindex: Some(3),
            ..Endpoint::new(id, IpAddr::from([10, 0, 0, last]), flags)
        }
    }

    fn kernel(eps: &[Endpoint]) -> BTreeMap<u8, Endpoint> {
        eps.iter().map(|e| (e.id, e.clone())).collect()
    }

    #[test]
    fn each_difference_has_its_step() {
        let sub = EndpointFlags::SUBFLOW;
        let want = ep(1, 1, sub);
        let none = BTreeMap::new();
        assert_eq!(plan(None, None, &none, false), Plan::Nothing);
        assert_eq!(
            plan(None, Some(&want), &none, false),
            Plan::Delete { urgent: true }
        );
        assert_eq!(
            plan(Some(&want), None, &none, false),
            Plan::Add(want.clone())
        );
        assert_eq!(plan(Some(&want), Some(&want), &none, false), Plan::Nothing);
        assert_eq!(
            plan(Some(&want), Some(&want), &none, true),
            Plan::Delete { urgent: false }
        );
        let moved = ep(1, 2, sub);
        assert_eq!(
            plan(Some(&want), Some(&moved), &none, false),
            Plan::Delete { urgent: false }
        );
        let other_dev = Endpoint {
            ifindex: Some(4),
            ..want.clone()
        };
        assert_eq!(
            plan(Some(&want), Some(&other_dev), &none, false),
            Plan::Delete { urgent: false }
        );
        let signal = ep(1, 1, EndpointFlags::SIGNAL);
        assert_eq!(
            plan(Some(&want), Some(&signal), &none, false),
            Plan::Delete { urgent: false }
        );
        let backup = ep(1, 1, sub | EndpointFlags::BACKUP);
        assert_eq!(
            plan(Some(&backup), Some(&want), &none, false),
            Plan::SetFlags(sub | EndpointFlags::BACKUP)
        );
        assert_eq!(
            plan(Some(&want), Some(&backup), &none, false),
            Plan::SetFlags(sub)
        );
        // Bits the kernel adds on its own do not cause a repair.
        let odd = ep(1, 1, sub | EndpointFlags::from_bits_retain(0x100));
        assert_eq!(plan(Some(&want), Some(&odd), &none, false), Plan::Nothing);
    }

    #[test]
    fn an_address_held_by_another_id_is_a_conflict() {
        let want = ep(1, 1, EndpointFlags::SUBFLOW);
        let foreign = ep(7, 1, EndpointFlags::SIGNAL);
        assert_eq!(
            plan(
                Some(&want),
                None,
                &kernel(std::slice::from_ref(&foreign)),
                false
            ),
            Plan::Conflict { holder: 7 }
        );
        // With a port it is a different endpoint to the kernel.
        let with_port = Endpoint {
            port: Some(4000),
            ..foreign
        };
        assert_eq!(
            plan(Some(&want), None, &kernel(&[with_port]), false),
            Plan::Add(want.clone())
        );
    }
}
