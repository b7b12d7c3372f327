//! `[bgp]` with its `[[bgp.neighbor]]` and `[[bgp.announce]]` entries.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use super::cursor::{Item, Table, closest};
use super::defaults;
use super::diag::{Diag, Loc};
use super::model::{
    AnnounceConfig, BgpConfig, Degrade, NeighborConfig, OnDown, OnSigterm, Prefix, When,
};

/// RFC 4724: the Restart Time field has 12 bits.
const RESTART_TIME_MAX: u64 = 4095;
/// RFC 9494: the Long-lived Stale Time field has 24 bits.
const LLGR_STALE_TIME_MAX: u64 = 0x00ff_ffff;
/// RFC 2385 keys are at most 80 bytes (Linux TCP_MD5SIG_MAXKEYLEN).
const PASSWORD_MAX: usize = 80;
/// More prepends than this only make paths look broken.
const PREPEND_MAX: u8 = 16;

/// Reads `[bgp]`; None when a required key is missing or wrong (the error
/// is recorded), after everything else has still been checked.
pub(crate) fn read(
    d: &mut Diag<'_>,
    mut t: Table<'_, '_>,
    wans: &[String],
    source: &mut Announcements<'_>,
) -> Option<BgpConfig> {
    let asn = t.required(d, "asn").and_then(|item| read_asn(d, &item));
    let router_id = t
        .required(d, "router_id")
        .and_then(|item| read_router_id(d, &item));
    let listen_port = t
        .int(d, "listen_port", 0, u16::MAX)
        .unwrap_or(defaults::BGP_PORT);
    let restart_time = t
        .get("restart_time")
        .and_then(|item| whole_seconds(d, &item, RESTART_TIME_MAX))
        .unwrap_or(defaults::RESTART_TIME);
    let long_lived_stale_time = t
        .get("long_lived_stale_time")
        .and_then(|item| whole_seconds(d, &item, LLGR_STALE_TIME_MAX))
        .unwrap_or(defaults::LONG_LIVED_STALE_TIME);
    let on_sigterm = t
        .get("on_sigterm")
        .and_then(|item| {
            item.choice(
                d,
                &[
                    ("withdraw", OnSigterm::Withdraw),
                    ("retain", OnSigterm::Retain),
                ],
            )
        })
        .unwrap_or(defaults::ON_SIGTERM);

    let mut neighbors = Distinct::default();
    for n in t
        .get("neighbor")
        .and_then(|item| item.tables(d))
        .unwrap_or_default()
    {
        if let Some((neighbor, loc)) = read_neighbor(d, n) {
            let address = neighbor.address;
            neighbors.keep(d, address, neighbor, loc, |first| {
                format!("neighbor {address} is already configured as {first}")
            });
        }
    }

    let mut announce = Distinct::default();
    // Asked either way: it makes `announce` a known key of [bgp], which the
    // hints of `finish` name (the split's [bgp] never holds it).
    let in_table = t.get("announce");
    match source {
        Announcements::InTable => {
            for entry in in_table.and_then(|item| item.tables(d)).unwrap_or_default() {
                let read = read_announce(d, entry, wans);
                keep_announce(d, &mut announce, read);
            }
        }
        Announcements::Sections {
            text,
            ranges,
            broken,
        } => *broken = read_sections(d, text, ranges, wans, &mut announce).is_none(),
    }
    t.finish(d, &[]);
    Some(BgpConfig {
        asn: asn?,
        router_id: router_id?,
        listen_port,
        restart_time,
        long_lived_stale_time,
        on_sigterm,
        neighbors: neighbors.entries,
        // Into an Arc as it is: `Arc<[T]>` would copy 100 000 entries.
        announce: {
            let mut entries = announce.entries;
            entries.shrink_to_fit();
            std::sync::Arc::new(entries)
        },
    })
}

/// Where the `[[bgp.announce]]` entries are.
pub(crate) enum Announcements<'a> {
    /// Under the `announce` key of the `[bgp]` table being read.
    InTable,
    /// In sections of the file's text, each parsed on its own
    /// (`sections.rs`); the rest of the file has none (the caller checked).
    /// `broken` is set when a section does not parse alone: the caller then
    /// parses the whole text instead and discards this read.
    Sections {
        text: &'a str,
        ranges: &'a [Range<usize>],
        broken: bool,
    },
}

/// Entries in file order, each key once: an entry whose key came before
/// is reported where it stands, naming the first, and left out.
struct Distinct<K, T> {
    entries: Vec<T>,
    /// A map, not a list searched per entry: a configuration may announce
    /// 100 000 prefixes, and a linear search made loading quadratic.
    seen: HashMap<K, Loc>,
}

impl<K, T> Default for Distinct<K, T> {
    fn default() -> Self {
        Distinct {
            entries: Vec::new(),
            seen: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq, T> Distinct<K, T> {
    /// `duplicate` words the error from where the first one is
    /// ("bgp.neighbor[0] (line 12)").
    fn keep(
        &mut self,
        d: &mut Diag<'_>,
        key: K,
        entry: T,
        loc: Loc,
        duplicate: impl FnOnce(&str) -> String,
    ) {
        if let Some(first) = self.seen.get(&key) {
            d.error_at(&loc, duplicate(&describe_loc(first)));
            return;
        }
        self.seen.insert(key, loc);
        self.entries.push(entry);
    }
}

type Announce = Distinct<Prefix, AnnounceConfig>;

/// Keeps an announcement read (None: it had errors, already reported).
fn keep_announce(d: &mut Diag<'_>, announce: &mut Announce, read: Option<(AnnounceConfig, Loc)>) {
    if let Some((entry, loc)) = read {
        let prefix = entry.prefix;
        announce.keep(d, prefix, entry, loc, |first| {
            format!("prefix {prefix} is already announced by {first}")
        });
    }
}

/// Parses and reads each section in turn, so that only one section's tree
/// exists at a time. None when a section does not parse on its own.
fn read_sections(
    d: &mut Diag<'_>,
    text: &str,
    ranges: &[Range<usize>],
    wans: &[String],
    announce: &mut Announce,
) -> Option<()> {
    for (n, range) in ranges.iter().enumerate() {
        let (root, syntax) = DeTable::parse_recoverable(text.get(range.clone())?);
        if !syntax.is_empty() {
            return None;
        }
        // A section is `[[bgp.announce]]` and what follows it: its one
        // entry is all the parse holds.
        let Some(DeValue::Table(bgp)) = root.get_ref().get("bgp").map(|v| v.get_ref()) else {
            return None;
        };
        let Some(DeValue::Array(entries)) = bgp.get("announce").map(|v| v.get_ref()) else {
            return None;
        };
        let [entry] = &entries[..] else {
            return None;
        };
        let item = Item {
            value: entry.get_ref(),
            span: entry.span(),
            path: format!("bgp.announce[{n}]"),
        };
        let read = d.with_base(range.start, |d| {
            let table = item.table(d)?;
            read_announce(d, table, wans)
        });
        // Where the duplicate is was resolved inside the section.
        keep_announce(d, announce, read);
    }
    Some(())
}

/// "bgp.neighbor[0] (line 12)".
fn describe_loc(loc: &Loc) -> String {
    match loc.line {
        Some(line) => format!("{} (line {line})", loc.key),
        None => loc.key.clone(),
    }
}

fn read_asn(d: &mut Diag<'_>, item: &Item<'_, '_>) -> Option<u32> {
    let asn = item.int(d, 1, u32::MAX)?;
    let reserved = match asn {
        23456 => Some("AS_TRANS (RFC 6793), a placeholder for 4-octet AS numbers"),
        65535 | 4_294_967_295 => Some("reserved (RFC 7300)"),
        _ => None,
    };
    if let Some(why) = reserved {
        item.error(
            d,
            format!("AS {asn} is {why}; it cannot be a speaker's AS number"),
        );
        return None;
    }
    Some(asn)
}

fn read_router_id(d: &mut Diag<'_>, item: &Item<'_, '_>) -> Option<Ipv4Addr> {
    let s = item.str(d)?;
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) if a.is_unspecified() => {
            item.error(
                d,
                "0.0.0.0 is not a valid BGP identifier (RFC 6286)".to_string(),
            );
            None
        }
        Ok(IpAddr::V4(a)) => Some(a),
        Ok(IpAddr::V6(_)) => {
            item.error(
                d,
                format!(
                    "\"{s}\" is IPv6; the BGP identifier is 32 bits, written as an IPv4 address"
                ),
            );
            None
        }
        Err(_) => {
            item.error(
                d,
                format!("\"{s}\" is not an IPv4 address such as \"192.0.2.1\""),
            );
            None
        }
    }
}

/// A duration the protocol carries in whole seconds, at most `max` of them.
fn whole_seconds(d: &mut Diag<'_>, item: &Item<'_, '_>, max: u64) -> Option<Duration> {
    let v = item.duration(d)?;
    if v.subsec_nanos() != 0 {
        item.error(
            d,
            "must be a whole number of seconds (BGP carries seconds)".to_string(),
        );
        return None;
    }
    if v.as_secs() > max {
        item.error(d, format!("must be at most {max}s (got {}s)", v.as_secs()));
        return None;
    }
    Some(v)
}

/// Returns the neighbor and where its address is, for duplicate checks.
fn read_neighbor(d: &mut Diag<'_>, mut t: Table<'_, '_>) -> Option<(NeighborConfig, Loc)> {
    let address = t.required(d, "address").and_then(|item| {
        let s = item.str(d)?;
        match s.parse::<IpAddr>() {
            Ok(a) if a.is_unspecified() || a.is_multicast() || a == Ipv4Addr::BROADCAST => {
                item.error(d, format!("{a} cannot be a BGP neighbor"));
                None
            }
            Ok(a) => Some((a, item.loc(d))),
            Err(_) => {
                item.error(
                    d,
                    format!("\"{s}\" is not an IP address (neighbors are IP literals)"),
                );
                None
            }
        }
    });
    let asn = t.required(d, "asn").and_then(|item| read_asn(d, &item));
    let port = t.int(d, "port", 1, u16::MAX).unwrap_or(defaults::BGP_PORT);
    let passive = t.bool(d, "passive").unwrap_or(false);
    let hold_time = t
        .get("hold_time")
        .and_then(|item| {
            let v = whole_seconds(d, &item, u64::from(u16::MAX))?;
            if matches!(v.as_secs(), 1 | 2) {
                item.error(
                    d,
                    format!("must be 0 or at least 3s (RFC 4271), got {}s", v.as_secs()),
                );
                return None;
            }
            Some(v)
        })
        .unwrap_or(defaults::HOLD_TIME);
    let password = t.get("password").and_then(|item| {
        let s = item.str(d)?;
        if s.is_empty() {
            item.error(
                d,
                "must not be empty; remove the key for no TCP MD5".to_string(),
            );
            return None;
        }
        if s.len() > PASSWORD_MAX {
            item.error(
                d,
                format!(
                    "is {} bytes long; a TCP MD5 key has at most {PASSWORD_MAX}",
                    s.len()
                ),
            );
            return None;
        }
        Some(s.to_string())
    });
    let ttl_security = t.int(d, "ttl_security", 1, 254);
    let max_prefixes = t.int(d, "max_prefixes", 1, u32::MAX);
    t.finish(d, &[]);
    let (address, loc) = address?;
    let neighbor = NeighborConfig {
        address,
        asn: asn?,
        port,
        passive,
        hold_time,
        password,
        ttl_security,
        max_prefixes,
    };
    Some((neighbor, loc))
}

/// Returns the announcement and where its prefix is, for duplicate checks.
fn read_announce(
    d: &mut Diag<'_>,
    mut t: Table<'_, '_>,
    wans: &[String],
) -> Option<(AnnounceConfig, Loc)> {
    let prefix = t.required(d, "prefix").and_then(|item| {
        let s = item.str(d)?;
        match s.parse::<Prefix>() {
            Ok(p) => Some((p, item.loc(d))),
            Err(e) => {
                item.error(d, e.to_string());
                None
            }
        }
    });
    let when = match t.get("when") {
        Some(item) => read_when(d, &item, wans),
        None => Some(When::Any),
    };
    let on_down_item = t.get("on_down");
    let on_down = on_down_item
        .as_ref()
        .and_then(|item| {
            item.choice(
                d,
                &[("withdraw", OnDown::Withdraw), ("degrade", OnDown::Degrade)],
            )
        })
        .unwrap_or(defaults::ON_DOWN);
    let degrade_table = t.table(d, "degrade");
    let degrade_given = degrade_table.is_some();
    let degrade = match degrade_table {
        Some(dt) => read_degrade(d, dt),
        None => Some(Degrade::default()),
    };
    if on_down == OnDown::Degrade
        && let (Some(item), Some(dg)) = (&on_down_item, &degrade)
        && *dg == Degrade::default()
    {
        let why = if degrade_given {
            "changes nothing"
        } else {
            "is missing"
        };
        item.error(
            d,
            format!(
                "on_down = \"degrade\" but degrade {why}: set med, prepend or communities, such as \
                 degrade = {{ med = 1000 }}"
            ),
        );
    }
    t.finish(d, &[]);
    let (prefix, loc) = prefix?;
    Some((
        AnnounceConfig {
            prefix,
            when: when?,
            on_down,
            degrade: degrade?,
        },
        loc,
    ))
}

fn read_when(d: &mut Diag<'_>, item: &Item<'_, '_>, wans: &[String]) -> Option<When> {
    let known = || {
        if wans.is_empty() {
            "there are no WANs in wan.d".to_string()
        } else {
            format!("known WANs: {}", wans.join(", "))
        }
    };
    if let DeValue::String(s) = item.value {
        return match s.as_ref() {
            "any" => Some(When::Any),
            "all" => Some(When::All),
            other if wans.iter().any(|w| w == other) => {
                item.error(
                    d,
                    format!("to depend on one WAN write a list: when = [\"{other}\"]"),
                );
                None
            }
            other => {
                item.error(
                    d,
                    format!("unknown value \"{other}\": write \"any\", \"all\" or a list of WAN names ({})", known()),
                );
                None
            }
        };
    }
    let elements = item.array(d)?;
    if elements.is_empty() {
        item.error(
            d,
            format!(
                "an empty list never holds: write \"any\", \"all\" or name at least one WAN ({})",
                known()
            ),
        );
        return None;
    }
    let names: Vec<&str> = wans.iter().map(String::as_str).collect();
    let mut chosen: Vec<String> = Vec::new();
    let mut ok = true;
    for e in elements {
        let Some(name) = e.str(d) else {
            ok = false;
            continue;
        };
        if !wans.iter().any(|w| w == name) {
            let hint = match closest(name, &names) {
                Some(near) => format!("did you mean \"{near}\"? "),
                None => String::new(),
            };
            e.error(d, format!("no WAN named \"{name}\" ({hint}{})", known()));
            ok = false;
        } else if chosen.iter().any(|c| c == name) {
            e.error(d, format!("WAN \"{name}\" is listed twice"));
            ok = false;
        } else {
            chosen.push(name.to_string());
        }
    }
    ok.then_some(When::Wans(chosen))
}

fn read_degrade(d: &mut Diag<'_>, mut t: Table<'_, '_>) -> Option<Degrade> {
    let mut ok = true;
    let med = t.get("med").and_then(|item| {
        let v = item.int(d, 0, u32::MAX);
        ok &= v.is_some();
        v
    });
    let prepend = match t.get("prepend") {
        Some(item) => {
            let v = item.int(d, 0, PREPEND_MAX);
            ok &= v.is_some();
            v.unwrap_or(0)
        }
        None => 0,
    };
    let mut communities = Vec::new();
    if let Some(item) = t.get("communities") {
        match item.array(d) {
            Some(elements) => {
                for e in elements {
                    let Some(s) = e.str(d) else {
                        ok = false;
                        continue;
                    };
                    match parse_community(s) {
                        Some(c) if communities.contains(&c) => {
                            e.error(d, format!("community \"{s}\" is listed twice"));
                            ok = false;
                        }
                        Some(c) => communities.push(c),
                        None => {
                            e.error(
                                d,
                                format!(
                                    "\"{s}\" is not a standard community: write \"asn:value\", each half 0..=65535, such as \"65001:666\""
                                ),
                            );
                            ok = false;
                        }
                    }
                }
            }
            None => ok = false,
        }
    }
    t.finish(d, &[]);
    ok.then_some(Degrade {
        med,
        prepend,
        communities,
    })
}

/// "65001:666" into its halves.
fn parse_community(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once(':')?;
    let half = |x: &str| {
        if x.is_empty() || !x.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        x.parse::<u16>().ok()
    };
    Some((half(a)?, half(b)?))
}

#[cfg(test)]
mod tests {
    use super::parse_community;

    #[test]
    fn communities() {
        assert_eq!(parse_community("65001:666"), Some((65001, 666)));
        assert_eq!(parse_community("0:0"), Some((0, 0)));
        assert_eq!(parse_community("65535:65535"), Some((65535, 65535)));
        for bad in [
            "65536:1", "1:65536", "1", "1:", ":1", "a:b", "1:2:3", "+1:2", " 1:2",
        ] {
            assert_eq!(parse_community(bad), None, "{bad}");
        }
    }
}
