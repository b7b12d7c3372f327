//! How a probe leaves through its WAN: bound to the device, to the WAN's
//! source address and to its fwmark. mwan3's most common complaint,
//! "tracker pings fail but a manual ping works", is a probe that left
//! through another interface or with another source; every prober here
//! applies the whole binding to every socket it opens.

use std::net::{IpAddr, SocketAddr};

use socket2::{SockAddr, Socket};

use super::ProbeError;
use crate::events::Family;

/// Linux's IFNAMSIZ, less the terminating NUL.
const MAX_DEVICE_NAME: usize = 15;

/// Where a WAN's probes leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The WAN's device, set with SO_BINDTODEVICE. Binding is not routing:
    /// the WAN still needs a route out of this device (its own default
    /// route with a higher metric, or its own table with an `oif` rule).
    pub device: String,
    /// The device's index, the scope of IPv6 link-local targets.
    pub ifindex: Option<u32>,
    /// The WAN's source address. Applied only to sockets of its family, so
    /// one binding serves both families of a WAN.
    pub source: Option<IpAddr>,
    /// SO_MARK, for the WAN's policy routing rules. Applied by the ICMP and
    /// DNS probers; reqwest cannot mark its sockets (see [`HttpProber`]).
    ///
    /// [`HttpProber`]: super::HttpProber
    pub fwmark: Option<u32>,
}

impl Binding {
    /// A binding to `device` alone.
    pub fn device(device: impl Into<String>) -> Binding {
        Binding {
            device: device.into(),
            ifindex: None,
            source: None,
            fwmark: None,
        }
    }

    /// The source address to bind a socket of `family` to, if one is known.
    pub(crate) fn source_for(&self, family: Family) -> Option<IpAddr> {
        self.source.filter(|s| family_of(*s) == family)
    }

    /// Checks the device name as the kernel would, so that a bad name is
    /// reported as such and not as an odd errno.
    pub(crate) fn check_device(&self) -> Result<(), ProbeError> {
        let name = &self.device;
        let bad = name.is_empty()
            || name.len() > MAX_DEVICE_NAME
            || name
                .bytes()
                .any(|b| b == b'/' || b == 0 || b.is_ascii_whitespace());
        if bad {
            Err(ProbeError::BadDevice(name.clone()))
        } else {
            Ok(())
        }
    }

    /// Binds `socket` (of `family`) to the device, the mark and the source
    /// address (port 0: the kernel picks one). The device comes first: an
    /// IPv6 link-local source is only valid on it.
    pub(crate) fn apply(&self, socket: &Socket, family: Family) -> Result<(), ProbeError> {
        self.check_device()?;
        socket
            .bind_device(Some(self.device.as_bytes()))
            .map_err(|source| ProbeError::BindDevice {
                device: self.device.clone(),
                source,
            })?;
        if let Some(mark) = self.fwmark {
            socket
                .set_mark(mark)
                .map_err(|source| ProbeError::Mark { mark, source })?;
        }
        if let Some(addr) = self.source_for(family) {
            let sa = SockAddr::from(self.scoped(SocketAddr::new(addr, 0)));
            socket
                .bind(&sa)
                .map_err(|source| ProbeError::BindSource { addr, source })?;
        }
        Ok(())
    }

    /// `addr` with the device as its scope when it is an IPv6 link-local
    /// address, which the kernel cannot reach without one.
    pub(crate) fn scoped(&self, mut addr: SocketAddr) -> SocketAddr {
        if let (SocketAddr::V6(a), Some(index)) = (&mut addr, self.ifindex)
            && a.ip().is_unicast_link_local()
        {
            a.set_scope_id(index);
        }
        addr
    }
}

/// The family of an address.
pub(crate) fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_are_checked_like_the_kernel_does() {
        assert!(Binding::device("wan1").check_device().is_ok());
        assert!(Binding::device("a23456789012345").check_device().is_ok());
        for bad in ["", "a234567890123456", "a/b", "a b", "a\0"] {
            assert!(Binding::device(bad).check_device().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn source_applies_to_its_own_family_only() {
        let mut b = Binding::device("wan1");
        b.source = Some("192.0.2.1".parse().unwrap());
        assert_eq!(b.source_for(Family::V4), b.source);
        assert_eq!(b.source_for(Family::V6), None);
    }

    #[test]
    fn link_local_targets_get_the_device_as_scope() {
        let mut b = Binding::device("wan1");
        b.ifindex = Some(7);
        let ll: SocketAddr = "[fe80::1]:53".parse().unwrap();
        let global: SocketAddr = "[2001:db8::1]:53".parse().unwrap();
        let SocketAddr::V6(scoped) = b.scoped(ll) else {
            panic!("family changed")
        };
        assert_eq!(scoped.scope_id(), 7);
        assert_eq!(b.scoped(global), global);
    }
}
