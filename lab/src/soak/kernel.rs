//! What gw's kernel holds of the agent's making, read with one shell in
//! gw running `ip`: MPTCP endpoints, and the rules and routes carrying
//! mpwan's routing protocol (109). Duplicates are looked for at every
//! poll; gaps (an entry the agent should hold but does not) once the agent
//! has had time to put things right.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, ensure};

use crate::role::Wan;

/// Between the outputs of the commands of [`SCRIPT`].
const SEP: &str = "@@soak@@";

/// The commands, run by `sh -c` in gw.
pub const SCRIPT: &str = "ip mptcp endpoint show; echo @@soak@@; \
     ip -4 rule show; echo @@soak@@; ip -6 rule show; echo @@soak@@; \
     ip -4 route show table all; echo @@soak@@; ip -6 route show table all";

/// mpwan's routing protocol as `ip` shows it without a name for it.
const PROTO: &str = "proto 109";

/// One MPTCP endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: u8,
    pub addr: String,
    pub flags: Vec<String>,
}

/// One reading of the kernel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kernel {
    pub endpoints: Vec<Endpoint>,
    /// Rules with `proto 109`, as `ip` prints them after `v4 ` or `v6 `.
    pub rules: Vec<String>,
    /// Routes with `proto 109`, every table, after `v4 ` or `v6 `.
    pub routes: Vec<String>,
}

/// Parses the output of [`SCRIPT`].
pub fn parse(out: &str) -> Result<Kernel> {
    let parts: Vec<&str> = out.split(SEP).collect();
    ensure!(
        parts.len() == 5,
        "unexpected output of the kernel reading:\n{out}"
    );
    let mut k = Kernel::default();
    for line in parts[0].lines().filter(|l| !l.trim().is_empty()) {
        let id = word_after(line, "id")
            .and_then(|w| w.parse().ok())
            .with_context(|| format!("no endpoint id in {line:?}"))?;
        k.endpoints.push(Endpoint {
            id,
            addr: line
                .split_whitespace()
                .next()
                .map(str::to_string)
                .unwrap_or_default(),
            flags: line
                .split_whitespace()
                .filter(|w| ["signal", "subflow", "backup", "fullmesh"].contains(w))
                .map(|w| w.to_string())
                .collect(),
        });
    }
    let ours = |family: &str, text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains(PROTO))
            .map(|l| {
                format!(
                    "{family} {}",
                    l.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
            .collect()
    };
    k.rules = ours("v4", parts[1]);
    k.rules.extend(ours("v6", parts[2]));
    k.routes = ours("v4", parts[3]);
    k.routes.extend(ours("v6", parts[4]));
    Ok(k)
}

/// The word that follows `keyword` in `line`, as in `id 3` or `table 101`.
fn word_after<'a>(line: &'a str, keyword: &str) -> Option<&'a str> {
    let mut words = line.split_whitespace();
    words.find(|w| *w == keyword)?;
    words.next()
}

/// The table a route line names (`main` when it names none).
fn table_of(route: &str) -> &str {
    word_after(route, "table").unwrap_or("main")
}

impl Kernel {
    pub fn endpoint(&self, id: u8) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == id)
    }

    /// Every duplicate: two endpoints with one address (or id), one rule
    /// twice, two routes of mpwan's for one destination in one table.
    pub fn duplicates(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut by_addr: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
        let mut by_id: BTreeMap<u8, u32> = BTreeMap::new();
        for e in &self.endpoints {
            by_addr.entry(&e.addr).or_default().push(e.id);
            *by_id.entry(e.id).or_default() += 1;
        }
        for (addr, ids) in by_addr.iter().filter(|(_, ids)| ids.len() > 1) {
            found.push(format!("MPTCP endpoints {ids:?} share address {addr}"));
        }
        for (id, n) in by_id.iter().filter(|(_, n)| **n > 1) {
            found.push(format!("MPTCP endpoint id {id} listed {n} times"));
        }
        let mut rules: BTreeMap<&str, u32> = BTreeMap::new();
        for r in &self.rules {
            *rules.entry(r).or_default() += 1;
        }
        for (r, n) in rules.iter().filter(|(_, n)| **n > 1) {
            found.push(format!("rule {r:?} {n} times"));
        }
        let mut routes: BTreeMap<(String, &str), Vec<&str>> = BTreeMap::new();
        for r in &self.routes {
            let mut words = r.split_whitespace();
            let family = words.next().unwrap_or("");
            let dst = words.next().unwrap_or("");
            routes
                .entry((format!("{dst} ({family})"), table_of(r)))
                .or_default()
                .push(r);
        }
        for ((dst, table), lines) in routes.iter().filter(|(_, l)| l.len() > 1) {
            found.push(format!(
                "{} routes to {dst} in table {table}: {lines:?}",
                lines.len()
            ));
        }
        found
    }

    /// The rules and routes a WAN with table `table` must have (see
    /// `mpwan_mptcp::route`): per family an `oif` rule, a `from` rule into
    /// its table and one into main, and its table's default route. Returns
    /// what is missing.
    pub fn gaps(&self, wan: Wan, table: u32) -> Vec<String> {
        let mut missing = Vec::new();
        for (family, src, gateway) in [
            ("v4", wan.gw_v4().to_string(), wan.isp_v4().to_string()),
            ("v6", wan.gw_v6().to_string(), wan.isp_v6().to_string()),
        ] {
            let dev = wan.device();
            let rules = [
                format!("from all oif {dev} lookup {table}"),
                format!("from {src} lookup main suppress_prefixlength 0"),
                format!("from {src} lookup {table}"),
            ];
            for want in rules {
                let found = self.rules.iter().any(|r| {
                    r.starts_with(family) && (r.contains(&format!("{want} ")) || r.ends_with(&want))
                });
                if !found {
                    missing.push(format!("{family} rule \"{want}\""));
                }
            }
            let route = format!("{family} default via {gateway} dev {dev} table {table}");
            if !self.routes.iter().any(|r| r.starts_with(&route)) {
                missing.push(format!("route \"{route}\""));
            }
        }
        missing
    }

    /// [`Kernel::gaps`] of every WAN, each named by its WAN; `tables` in
    /// [`Wan::ALL`] order. A WAN for which `routes_gone` holds (carrier
    /// loss takes its table's routes with it, the rules stay) is not
    /// asked for its route.
    pub fn all_gaps(&self, tables: [u32; 2], routes_gone: impl Fn(Wan) -> bool) -> Vec<String> {
        let mut missing = Vec::new();
        for (wan, table) in Wan::ALL.into_iter().zip(tables) {
            let gone = routes_gone(wan);
            missing.extend(
                self.gaps(wan, table)
                    .into_iter()
                    .filter(|g| !(gone && g.starts_with("route")))
                    .map(|g| format!("{wan}: {g}")),
            );
        }
        missing
    }

    /// A short account, for messages.
    pub fn describe(&self) -> String {
        let mut s = String::from("endpoints:");
        for e in &self.endpoints {
            let _ = write!(s, " [{} id {} {}]", e.addr, e.id, e.flags.join(","));
        }
        let _ = write!(s, "\nrules: {:#?}\nroutes: {:#?}", self.rules, self.routes);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "10.1.0.2 id 1 subflow dev wan1 \n10.2.0.2 id 2 subflow backup dev wan2 \n\
        @@soak@@\n0:\tfrom all lookup local\n\
        4200:\tfrom all oif wan1 lookup 101 proto 109\n\
        4210:\tfrom 10.1.0.2 lookup main suppress_prefixlength 0 proto 109\n\
        4220:\tfrom 10.1.0.2 lookup 101 proto 109\n\
        32766:\tfrom all lookup main\n@@soak@@\n\
        4200:\tfrom all oif wan1 lookup 101 proto 109\n\
        4210:\tfrom fd00:1::2 lookup main suppress_prefixlength 0 proto 109\n\
        4220:\tfrom fd00:1::2 lookup 101 proto 109\n\
        @@soak@@\ndefault via 10.1.0.1 dev wan1 table 101 proto 109 \n\
        10.1.0.0/24 dev wan1 table 101 proto 109 scope link \n\
        default via 10.2.0.1 dev wan2 metric 10 \n@@soak@@\n\
        default via fd00:1::1 dev wan1 table 101 proto 109 metric 1024 pref medium\n";

    #[test]
    fn a_complete_reading_has_no_duplicates_and_no_gaps() {
        let k = parse(OUT).unwrap();
        assert_eq!(k.endpoints.len(), 2);
        assert_eq!(k.endpoint(2).unwrap().flags, ["subflow", "backup"]);
        assert_eq!(k.rules.len(), 6);
        assert_eq!(k.routes.len(), 3);
        assert!(k.duplicates().is_empty(), "{:?}", k.duplicates());
        assert!(
            k.gaps(Wan::One, 101).is_empty(),
            "{:?}",
            k.gaps(Wan::One, 101)
        );
        assert_eq!(k.gaps(Wan::Two, 102).len(), 8);
    }

    #[test]
    fn duplicates_and_gaps_are_named() {
        let twice = OUT
            .replace(
                "32766:\tfrom all lookup main\n",
                "32766:\tfrom all lookup main\n4220:\tfrom 10.1.0.2 lookup 101 proto 109\n",
            )
            .replace(
                "10.1.0.0/24 dev",
                "default via 10.1.0.9 dev wan1 table 101 proto 109\n10.1.0.0/24 dev",
            );
        let k = parse(&twice.replace("10.2.0.2 id 2", "10.1.0.2 id 2")).unwrap();
        let d = k.duplicates();
        assert_eq!(d.len(), 3, "{d:?}");
        let gone = OUT.replace("4220:\tfrom fd00:1::2 lookup 101 proto 109\n", "");
        let g = parse(&gone).unwrap().gaps(Wan::One, 101);
        assert_eq!(g, ["v6 rule \"from fd00:1::2 lookup 101\""]);
        let all = parse(&gone).unwrap().all_gaps([101, 102], |_| false);
        assert_eq!(all.len(), 9, "{all:?}");
        assert_eq!(all[0], "wan1: v6 rule \"from fd00:1::2 lookup 101\"");
        assert!(all[1..].iter().all(|g| g.starts_with("wan2: ")), "{all:?}");
        let carrier = parse(&gone)
            .unwrap()
            .all_gaps([101, 102], |w| w == Wan::Two);
        assert_eq!(carrier.len(), 7, "{carrier:?}");
        assert!(!carrier.iter().any(|g| g.contains("route")), "{carrier:?}");
        assert_eq!(word_after("a id 3 b", "id"), Some("3"));
        assert_eq!(word_after("a id", "id"), None);
        assert!(parse("no separators").is_err());
    }
}
