//! IP prefixes and their NLRI encoding (RFC 4271 4.3: a length in bits,
//! then the fewest octets that hold it). Add-path (RFC 7911) path
//! identifiers are not supported: this speaker never advertises the
//! capability, so a conforming peer never sends them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::family::Family;
use super::reader::Reader;

/// An IPv4 or IPv6 prefix whose host bits are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    /// The network address, host bits cleared.
    addr: IpAddr,
    /// Prefix length in bits, at most 32 or 128.
    len: u8,
}

/// Why a prefix could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// The length is beyond the address width.
    #[error("prefix length {len} exceeds {max}")]
    TooLong { len: u8, max: u8 },
    /// The text is not `address/length`.
    #[error("not a prefix: {0:?}")]
    Syntax(String),
}

impl Prefix {
    /// A prefix of `len` bits; host bits of `addr` are cleared.
    pub fn new(addr: IpAddr, len: u8) -> Result<Prefix, PrefixError> {
        let max = max_len(&addr);
        if len > max {
            return Err(PrefixError::TooLong { len, max });
        }
        Ok(Prefix {
            addr: mask(addr, len),
            len,
        })
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// True for the default route (length 0).
    pub fn is_default(&self) -> bool {
        self.len == 0
    }

    /// IPv4 or IPv6 unicast.
    pub fn family(&self) -> Family {
        match self.addr {
            IpAddr::V4(_) => Family::IPV4_UNICAST,
            IpAddr::V6(_) => Family::IPV6_UNICAST,
        }
    }

    /// Bytes this prefix takes in an NLRI field.
    pub fn encoded_len(&self) -> usize {
        1 + usize::from(self.len).div_ceil(8)
    }

    /// Appends the NLRI encoding.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.len);
        let n = usize::from(self.len).div_ceil(8);
        match self.addr {
            IpAddr::V4(a) => out.extend(a.octets().iter().take(n)),
            IpAddr::V6(a) => out.extend(a.octets().iter().take(n)),
        }
    }
}

fn max_len(addr: &IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

/// Why an NLRI or withdrawn-routes field is syntactically incorrect
/// (RFC 7606 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NlriError {
    /// A length beyond the address width.
    BadLength,
    /// The last prefix runs past the end of the field.
    Overrun,
}

/// Decodes a whole NLRI field of a supported family. Host bits set in the
/// received octets are cleared rather than rejected, as BIRD and FRR do.
pub(crate) fn decode_prefixes(bytes: &[u8], family: Family) -> Result<Vec<Prefix>, NlriError> {
    let width = match family.address_len() {
        Some(16) => 16,
        _ => 4,
    };
    let mut r = Reader::new(bytes);
    // Each prefix takes at least one byte; cap the guess so a hostile
    // field cannot make us reserve much more than it holds.
    let mut out = Vec::with_capacity(bytes.len().min(1024) / 2);
    while let Some(len) = r.u8() {
        if usize::from(len) > width * 8 {
            return Err(NlriError::BadLength);
        }
        let n = usize::from(len).div_ceil(8);
        let octets = r.take(n).ok_or(NlriError::Overrun)?;
        let addr = if width == 4 {
            let mut a = [0u8; 4];
            a.iter_mut().zip(octets).for_each(|(d, s)| *d = *s);
            IpAddr::V4(Ipv4Addr::from(a))
        } else {
            let mut a = [0u8; 16];
            a.iter_mut().zip(octets).for_each(|(d, s)| *d = *s);
            IpAddr::V6(Ipv6Addr::from(a))
        };
        out.push(Prefix {
            addr: mask(addr, len),
            len,
        });
    }
    Ok(out)
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Prefix {
    type Err = PrefixError;

    /// `10.0.0.0/8`, `2001:db8::/32`; a bare address is a host prefix.
    fn from_str(s: &str) -> Result<Prefix, PrefixError> {
        let syntax = || PrefixError::Syntax(s.to_string());
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (
                a.parse::<IpAddr>().map_err(|_| syntax())?,
                Some(l.parse::<u8>().map_err(|_| syntax())?),
            ),
            None => (s.parse::<IpAddr>().map_err(|_| syntax())?, None),
        };
        let len = len.unwrap_or_else(|| max_len(&addr));
        Prefix::new(addr, len)
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Prefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Prefix, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().expect("test prefix")
    }

    #[test]
    fn parse_masks_and_displays() {
        assert_eq!(p("10.1.2.3/8").to_string(), "10.0.0.0/8");
        assert_eq!(p("2001:db8::1/32").to_string(), "2001:db8::/32");
        assert_eq!(p("192.0.2.1").prefix_len(), 32);
        assert_eq!(p("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert!(p("::/0").is_default());
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
        assert!("2001:db8::/129".parse::<Prefix>().is_err());
        assert!("nonsense/8".parse::<Prefix>().is_err());
    }

    #[test]
    fn nlri_round_trip() {
        let list = [
            p("0.0.0.0/0"),
            p("10.0.0.0/8"),
            p("192.0.2.128/25"),
            p("198.51.100.7/32"),
        ];
        let mut buf = Vec::new();
        for x in &list {
            x.encode(&mut buf);
        }
        assert_eq!(
            buf,
            [0, 8, 10, 25, 192, 0, 2, 128, 32, 198, 51, 100, 7],
            "fewest octets per prefix"
        );
        assert_eq!(
            decode_prefixes(&buf, Family::IPV4_UNICAST),
            Ok(list.to_vec())
        );
        let v6 = [p("2001:db8::/32"), p("2001:db8:1:2::/64"), p("::1/128")];
        let mut buf = Vec::new();
        v6.iter().for_each(|x| x.encode(&mut buf));
        assert_eq!(decode_prefixes(&buf, Family::IPV6_UNICAST), Ok(v6.to_vec()));
    }

    #[test]
    fn nlri_errors() {
        assert_eq!(
            decode_prefixes(&[33, 1, 2, 3, 4, 5], Family::IPV4_UNICAST),
            Err(NlriError::BadLength)
        );
        assert_eq!(
            decode_prefixes(&[24, 10, 0], Family::IPV4_UNICAST),
            Err(NlriError::Overrun)
        );
        assert_eq!(
            decode_prefixes(&[129], Family::IPV6_UNICAST),
            Err(NlriError::BadLength)
        );
        // Host bits in the last octet are cleared, not rejected.
        assert_eq!(
            decode_prefixes(&[7, 0xff], Family::IPV4_UNICAST),
            Ok(vec![p("254.0.0.0/7")])
        );
    }

    #[test]
    fn serde_as_string() {
        let x = p("10.0.0.0/8");
        let json = serde_json::to_string(&x).expect("serialize");
        assert_eq!(json, "\"10.0.0.0/8\"");
        assert_eq!(
            serde_json::from_str::<Prefix>(&json).expect("deserialize"),
            x
        );
    }
}
