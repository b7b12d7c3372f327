//! Parsing `"10.0.0.0/24"` and `"2001:db8::/32"` into a [`Prefix`], refusing
//! host bits: `"10.0.0.1/24"` almost always means a typo, and BGP would
//! announce something other than what the operator wrote.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use super::model::Prefix;

/// Why a prefix string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// No `/length` part.
    #[error("missing the prefix length: write \"{0}/{1}\" for a single address")]
    MissingLength(IpAddr, u8),
    /// The part before `/` is not an IP address.
    #[error("\"{0}\" is not an IP address")]
    BadAddress(String),
    /// The part after `/` is not a number.
    #[error("\"{0}\" is not a prefix length")]
    BadLength(String),
    /// Longer than 32 (IPv4) or 128 (IPv6).
    #[error("prefix length {len} is too long for {family} (at most {max})")]
    TooLong {
        len: u32,
        family: &'static str,
        max: u8,
    },
    /// Bits set after the prefix length.
    #[error("host bits set in {given}: did you mean {fixed}?")]
    HostBits { given: String, fixed: Prefix },
}

impl FromStr for Prefix {
    type Err = PrefixError;

    fn from_str(text: &str) -> Result<Prefix, PrefixError> {
        let Some((addr_text, len_text)) = text.split_once('/') else {
            let addr = IpAddr::from_str(text).map_err(|_| PrefixError::BadAddress(text.into()))?;
            return Err(PrefixError::MissingLength(addr, max_len(addr)));
        };
        let addr =
            IpAddr::from_str(addr_text).map_err(|_| PrefixError::BadAddress(addr_text.into()))?;
        // Digits only: u32's parser would also take a leading '+'.
        if len_text.is_empty() || !len_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PrefixError::BadLength(len_text.into()));
        }
        let len: u32 = len_text
            .parse()
            .map_err(|_| PrefixError::BadLength(len_text.into()))?;
        let max = max_len(addr);
        let Some(len) = u8::try_from(len).ok().filter(|l| *l <= max) else {
            let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
            return Err(PrefixError::TooLong { len, family, max });
        };
        let network = mask(addr, len);
        let prefix = Prefix { addr: network, len };
        if network != addr {
            return Err(PrefixError::HostBits {
                given: text.into(),
                fixed: prefix,
            });
        }
        Ok(prefix)
    }
}

fn max_len(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

/// `addr` with every bit after the first `len` cleared.
fn mask(addr: IpAddr, len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let keep = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & keep))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let keep = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & keep))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Prefix, PrefixError> {
        s.parse()
    }

    #[test]
    fn accepts_networks_of_both_families() {
        let v4 = p("10.0.0.0/24").expect("valid");
        assert_eq!(v4.addr, IpAddr::from([10, 0, 0, 0]));
        assert_eq!(v4.len, 24);
        assert_eq!(p("0.0.0.0/0").map(|x| x.len), Ok(0));
        assert_eq!(
            p("192.0.2.1/32").map(|x| x.to_string()),
            Ok("192.0.2.1/32".into())
        );
        assert_eq!(
            p("2001:db8::/32").map(|x| x.to_string()),
            Ok("2001:db8::/32".into())
        );
        assert_eq!(p("::/0").map(|x| x.len), Ok(0));
        assert_eq!(p("2001:db8::1/128").map(|x| x.len), Ok(128));
    }

    #[test]
    fn names_the_right_form_when_host_bits_are_set() {
        let err = p("10.0.0.1/24").expect_err("host bits");
        assert_eq!(
            err.to_string(),
            "host bits set in 10.0.0.1/24: did you mean 10.0.0.0/24?"
        );
        let err = p("2001:db8::1/64").expect_err("host bits");
        assert!(err.to_string().contains("2001:db8::/64"), "{err}");
        let err = p("1.2.3.4/0").expect_err("host bits");
        assert!(err.to_string().contains("0.0.0.0/0"), "{err}");
    }

    #[test]
    fn refuses_malformed_prefixes() {
        assert!(matches!(
            p("10.0.0.0/33"),
            Err(PrefixError::TooLong { len: 33, .. })
        ));
        assert!(matches!(
            p("::/129"),
            Err(PrefixError::TooLong { len: 129, .. })
        ));
        assert!(matches!(
            p("10.0.0.0/99999999999"),
            Err(PrefixError::BadLength(_))
        ));
        assert!(matches!(p("10.0.0.0/"), Err(PrefixError::BadLength(_))));
        assert!(matches!(p("10.0.0.0/+8"), Err(PrefixError::BadLength(_))));
        assert!(matches!(p("10.0.0.0/x"), Err(PrefixError::BadLength(_))));
        assert!(matches!(p("10.0.0/8"), Err(PrefixError::BadAddress(_))));
        assert!(matches!(
            p("example.com/8"),
            Err(PrefixError::BadAddress(_))
        ));
        assert!(matches!(p(""), Err(PrefixError::BadAddress(_))));
        let err = p("192.0.2.1").expect_err("no length");
        assert_eq!(
            err.to_string(),
            "missing the prefix length: write \"192.0.2.1/32\" for a single address"
        );
    }
}
