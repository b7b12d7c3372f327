//! One `[[probe]]` of a WAN file: `method = "icmp" | "dns" | "http"` and
//! the keys of that method.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::cursor::{Item, Table};
use super::defaults;
use super::diag::{Diag, Loc};
use super::model::ProbeConfig;
use super::wan_file;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Icmp,
    Dns,
    Http,
}

const METHODS: [(&str, Method); 3] = [
    ("icmp", Method::Icmp),
    ("dns", Method::Dns),
    ("http", Method::Http),
];

/// The keys of each method besides `method`.
const ICMP_KEYS: [&str; 1] = ["targets"];
const DNS_KEYS: [&str; 3] = ["server", "port", "name"];
const HTTP_KEYS: [&str; 2] = ["url", "expect_status"];

/// Every probe key, for hints about keys put at a WAN file's top level.
pub(crate) const ALL_KEYS: [&str; 7] = [
    "method",
    "targets",
    "server",
    "port",
    "name",
    "url",
    "expect_status",
];

/// How many targets a probe contributes to the rounds of each family,
/// `(IPv4, IPv6)`: the families are tracked separately, so `reliability`
/// may not exceed the targets of any family the WAN tracks.
pub(crate) fn target_counts(p: &ProbeConfig) -> (usize, usize) {
    let one = |a: &IpAddr| if a.is_ipv4() { (1, 0) } else { (0, 1) };
    match p {
        ProbeConfig::Icmp { targets } => {
            let v4 = targets.iter().filter(|a| a.is_ipv4()).count();
            (v4, targets.len().saturating_sub(v4))
        }
        ProbeConfig::Dns { server, .. } => one(server),
        ProbeConfig::Http { addr, .. } => one(addr),
    }
}

/// Reads one probe. `seen` holds the ICMP targets of the WAN's earlier
/// probes, so one target is not probed twice.
pub(crate) fn read(
    d: &mut Diag<'_>,
    mut t: Table<'_, '_>,
    seen: &mut Vec<(IpAddr, Loc)>,
) -> Option<ProbeConfig> {
    let method = t
        .required(d, "method")
        .and_then(|item| item.choice(d, &METHODS));
    let probe = match method {
        Some(Method::Icmp) => read_icmp(d, &mut t, seen),
        Some(Method::Dns) => read_dns(d, &mut t),
        Some(Method::Http) => read_http(d, &mut t),
        None => {
            // Without a method we cannot tell which keys belong: accept any
            // probe key, so only the method error is reported.
            for key in ALL_KEYS {
                t.get(key);
            }
            None
        }
    };
    let hint_icmp = "this key is for method = \"icmp\" probes";
    let hint_dns = "this key is for method = \"dns\" probes";
    let hint_http = "this key is for method = \"http\" probes";
    let mut elsewhere: Vec<(&[&str], &str)> = [
        (Method::Icmp, &ICMP_KEYS[..], hint_icmp),
        (Method::Dns, &DNS_KEYS[..], hint_dns),
        (Method::Http, &HTTP_KEYS[..], hint_http),
    ]
    .into_iter()
    .filter(|(m, _, _)| Some(*m) != method)
    .map(|(_, keys, hint)| (keys, hint))
    .collect();
    elsewhere.push((&wan_file::ROOT_KEYS, wan_file::ROOT_HINT));
    t.finish(d, &elsewhere);
    probe
}

fn read_icmp(
    d: &mut Diag<'_>,
    t: &mut Table<'_, '_>,
    seen: &mut Vec<(IpAddr, Loc)>,
) -> Option<ProbeConfig> {
    let item = t.required(d, "targets")?;
    let elements = item.array(d)?;
    if elements.is_empty() {
        item.error(d, "an icmp probe needs at least one target".to_string());
        return None;
    }
    let mut targets = Vec::new();
    let mut ok = true;
    for e in elements {
        let Some(addr) = ip_literal(d, &e, "target") else {
            ok = false;
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(a, _)| *a == addr) {
            let at = match first.line {
                Some(line) => format!("{} (line {line})", first.key),
                None => first.key.clone(),
            };
            e.error(d, format!("target {addr} is already probed by {at}"));
            ok = false;
            continue;
        }
        seen.push((addr, e.loc(d)));
        targets.push(addr);
    }
    ok.then_some(ProbeConfig::Icmp { targets })
}

fn read_dns(d: &mut Diag<'_>, t: &mut Table<'_, '_>) -> Option<ProbeConfig> {
    let server = t
        .required(d, "server")
        .and_then(|item| ip_literal(d, &item, "server"));
    let port = t.int(d, "port", 1, u16::MAX).unwrap_or(defaults::DNS_PORT);
    let name = t.required(d, "name").and_then(|item| {
        let s = item.str(d)?;
        match check_dns_name(s) {
            Ok(()) => Some(s.to_string()),
            Err(e) => {
                item.error(d, e);
                None
            }
        }
    });
    Some(ProbeConfig::Dns {
        server: server?,
        port,
        name: name?,
    })
}

fn read_http(d: &mut Diag<'_>, t: &mut Table<'_, '_>) -> Option<ProbeConfig> {
    let url = t.required(d, "url").and_then(|item| {
        let s = item.str(d)?;
        match check_url(s) {
            Ok(addr) => Some((s.to_string(), addr)),
            Err(e) => {
                item.error(d, e);
                None
            }
        }
    });
    let expect_status = t
        .int(d, "expect_status", 100, 599)
        .unwrap_or(defaults::HTTP_EXPECT_STATUS);
    let (url, addr) = url?;
    Some(ProbeConfig::Http {
        url,
        addr,
        expect_status,
    })
}

/// An IP address written as a literal: probes leave through their WAN, and
/// a name would be resolved by the system resolver through whatever WAN
/// the main routing table prefers.
fn ip_literal(d: &mut Diag<'_>, item: &Item<'_, '_>, what: &str) -> Option<IpAddr> {
    let s = item.str(d)?;
    match s.parse::<IpAddr>() {
        Ok(a) if a.is_unspecified() || a.is_multicast() || a == Ipv4Addr::BROADCAST => {
            item.error(d, format!("{a} cannot be a probe {what}"));
            None
        }
        Ok(a) => Some(a),
        Err(_) => {
            item.error(
                d,
                format!(
                    "\"{s}\" is not an IP address: write the {what} as an IP literal (a name would \
                     be resolved through whichever WAN the main routing table prefers, not this one)"
                ),
            );
            None
        }
    }
}

/// A DNS name as written in a query: labels of 1..=63 bytes, 253 in all.
pub(crate) fn check_dns_name(name: &str) -> Result<(), String> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.is_empty() {
        return Err("must name the domain to look up, such as \"example.com\"".to_string());
    }
    if bare.len() > 253 {
        return Err(format!(
            "is {} bytes long; a DNS name has at most 253",
            bare.len()
        ));
    }
    for label in bare.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "\"{name}\" is not a DNS name: each label has 1 to 63 characters"
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "\"{}\" is not a DNS name: use letters, digits, '-' and '_' (write IDNs in their xn-- form)",
                name.escape_debug()
            ));
        }
    }
    Ok(())
}

/// `http://` or `https://` with an IP literal host, optional port and path.
/// Returns the host's address (its family is the family the probe tracks).
pub(crate) fn check_url(url: &str) -> Result<IpAddr, String> {
    if url.chars().any(char::is_whitespace) {
        return Err(format!("\"{}\" contains white space", url.escape_debug()));
    }
    let lower = url.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &url["http://".len()..]
    } else if lower.starts_with("https://") {
        &url["https://".len()..]
    } else {
        return Err(format!("\"{url}\" must start with http:// or https://"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err(format!("\"{url}\" has no host"));
    }
    if authority.contains('@') {
        return Err(format!(
            "\"{url}\" holds user information, which a probe does not send"
        ));
    }
    let (host_ok, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(format!("\"{url}\" has an unclosed '[' in its host"));
        };
        let port = match after {
            "" => None,
            p => match p.strip_prefix(':') {
                Some(port) => Some(port),
                None => {
                    return Err(format!(
                        "\"{url}\" has something other than :port after its host"
                    ));
                }
            },
        };
        (host.parse::<Ipv6Addr>().ok().map(IpAddr::V6), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let Ok(v4) = host.parse::<Ipv4Addr>() else {
            return Err(format!(
                "host \"{host}\" in \"{url}\" is a name, not an IP literal: the probe would resolve it \
                 through whichever WAN the main routing table prefers, not this one; write the \
                 server's address, such as http://192.0.2.80/ or http://[2001:db8::80]/"
            ));
        };
        (Some(IpAddr::V4(v4)), port)
    };
    let Some(addr) = host_ok else {
        return Err(format!(
            "\"{url}\" does not hold a valid IPv6 address between [ and ]"
        ));
    };
    if let Some(p) = port {
        let valid = !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n != 0);
        if !valid {
            return Err(format!(
                "\"{url}\" has an invalid port \"{p}\" (1 to 65535)"
            ));
        }
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "http://192.0.2.80/generate_204",
            "https://192.0.2.80",
            "HTTP://192.0.2.80:8080/x?y#z",
            "http://[2001:db8::80]/",
            "http://[2001:db8::80]:8080",
            "http://192.0.2.80?q",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        let name = check_url("http://example.com/").expect_err("a name");
        assert!(name.contains("is a name") && name.contains("WAN"), "{name}");
        for bad in [
            "ftp://192.0.2.1/",
            "192.0.2.1",
            "http://",
            "http:///x",
            "http://u:p@192.0.2.1/",
            "http://[2001:db8::80/",
            "http://[not-v6]/",
            "http://[2001:db8::1]x/",
            "http://192.0.2.1:0/",
            "http://192.0.2.1:65536/",
            "http://192.0.2.1:/",
            "http://192.0.2.1 /",
            "http://2001:db8::1/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_names() {
        for ok in [
            "example.com",
            "example.com.",
            "a",
            "_dmarc.example.org",
            "xn--bcher-kva.example",
        ] {
            assert_eq!(check_dns_name(ok), Ok(()), "{ok}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        let long_name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
        ]
        .join(".");
        for bad in [
            "",
            ".",
            "a..b",
            "exa mple.com",
            "bücher.example",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            assert!(check_dns_name(bad).is_err(), "{bad}");
        }
    }
}
