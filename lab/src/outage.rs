//! Outages of one WAN, made inside its provider's namespace the way this
//! kernel allows (it has no netem): nftables drop rules for a black hole or
//! random loss, and the provider's end of the link set down for carrier
//! loss. Each call replaces the previous outage of its kind, so they are
//! idempotent.

use std::fmt::Write as _;

use anyhow::{Context, Result, ensure};

use crate::role::Wan;

/// The one table the lab owns in a provider's namespace.
const TABLE: &str = "inet mpwan_lab";

/// Resolution of the random drop: parts per ten thousand.
const SCALE: u32 = 10_000;

/// What the provider does to traffic on its link to gw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Filter {
    /// Drops every packet to or from gw: forwarded, and addressed to or sent
    /// by the provider itself.
    Blackhole,
    /// Loses this percentage (0..=100) of round trips through the provider.
    Loss(u8),
}

/// The `nft -f -` script that installs `filter` (or, with `None`, removes
/// the lab's table) for the provider's interface `dev`, in one transaction.
pub fn nft_script(dev: &str, filter: Option<Filter>) -> Result<String> {
    // Declaring the table first makes the delete valid even when it does
    // not exist yet.
    let mut s = format!("table {TABLE} {{}}\ndelete table {TABLE}\n");
    let Some(filter) = filter else { return Ok(s) };
    let (inbound, outbound) = match filter {
        Filter::Blackhole => (
            format!("iifname \"{dev}\" drop"),
            format!("oifname \"{dev}\" drop"),
        ),
        Filter::Loss(percent) => {
            let p = per_direction(percent)?;
            (
                format!("iifname \"{dev}\" numgen random mod {SCALE} < {p} drop"),
                format!("oifname \"{dev}\" numgen random mod {SCALE} < {p} drop"),
            )
        }
    };
    // Random loss spares neighbour discovery, as ARP is spared (the inet
    // family never sees it): a lost solicitation would turn loss into
    // seconds-long black holes while the neighbour entry fails.
    let spare_nd = match filter {
        Filter::Loss(_) => {
            "meta l4proto ipv6-icmp icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n    "
        }
        Filter::Blackhole => "",
    };
    let _ = write!(
        s,
        "table {TABLE} {{\n\
         \x20 chain input {{\n    type filter hook input priority 0; policy accept;\n    {spare_nd}{inbound}\n  }}\n\
         \x20 chain forward {{\n    type filter hook forward priority 0; policy accept;\n    {spare_nd}{inbound}\n    {outbound}\n  }}\n\
         \x20 chain output {{\n    type filter hook output priority 0; policy accept;\n    {spare_nd}{outbound}\n  }}\n\
         }}\n"
    );
    Ok(s)
}

/// The drop threshold, in parts per [`SCALE`], for each direction so that
/// a round trip (two independent chances of being dropped) is lost with
/// probability `percent`: `1 - (1 - p)^2 = percent / 100`.
fn per_direction(percent: u8) -> Result<u32> {
    ensure!(percent <= 100, "loss of {percent}% is more than 100%");
    let delivered = 1.0 - f64::from(percent) / 100.0;
    let p = 1.0 - delivered.sqrt();
    // In 0..=1, so the product fits; `as` saturates in any case.
    Ok((p * f64::from(SCALE)).round() as u32)
}

/// The message naming an outage step that failed.
fn context(wan: Wan, what: &str) -> String {
    format!("{what} on {wan} (in {})", wan.isp())
}

/// Reads `ip -o link show <dev>` and tells whether it has lost its
/// carrier: up but without LOWER_UP (`ip` shows NO-CARRIER).
pub fn no_carrier(link_line: &str) -> Result<bool> {
    let flags = link_line
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(flags, _)| flags)
        .with_context(|| format!("no flags in {link_line:?}"))?;
    Ok(flags.split(',').any(|f| f == "NO-CARRIER"))
}

impl crate::Lab {
    /// Drops every packet between gw and `wan`'s provider, both ways:
    /// forwarded, and addressed to or sent by the provider. Replaces a loss
    /// on `wan`.
    pub fn blackhole(&self, wan: Wan) -> Result<()> {
        self.filter(wan, Some(Filter::Blackhole))
            .with_context(|| context(wan, "black hole"))
    }

    /// Loses `percent` (0..=100) of round trips between gw and the
    /// internet through `wan`: each direction drops
    /// `1 - sqrt(1 - percent/100)` of its packets at random
    /// (`numgen random`), so a ping sees `percent`% loss. Replaces a black
    /// hole on `wan`.
    pub fn loss(&self, wan: Wan, percent: u8) -> Result<()> {
        self.filter(wan, Some(Filter::Loss(percent)))
            .with_context(|| context(wan, &format!("{percent}% loss")))
    }

    /// Sets the provider's end of `wan` down, and returns once gw's end
    /// shows NO-CARRIER.
    pub fn carrier_down(&self, wan: Wan) -> Result<()> {
        let isp = self.ns(wan.isp());
        isp.run(&["ip", "link", "set", wan.isp_device(), "down"])
            .with_context(|| context(wan, "carrier loss"))?;
        self.wait_carrier(wan, false)
    }

    /// Ends every outage of `wan`: removes the drop rules, sets the link up
    /// with its addresses and gw's default routes for it, and returns once
    /// gw reaches the first IPv4 and IPv6 targets through `wan` again.
    pub fn restore(&self, wan: Wan) -> Result<()> {
        self.filter(wan, None)
            .with_context(|| context(wan, "removing the drop rules"))?;
        self.topo
            .rewire_wan(wan)
            .with_context(|| context(wan, "setting the link up"))?;
        self.wait_carrier(wan, true)?;
        self.wait_wan_answers(wan)
            .with_context(|| context(wan, "restoring"))
    }

    /// Whether gw's end of `wan` has lost its carrier (NO-CARRIER).
    pub fn no_carrier(&self, wan: Wan) -> Result<bool> {
        let line = self
            .ns(crate::Role::Gw)
            .run(&["ip", "-o", "link", "show", wan.device()])?;
        no_carrier(&line)
    }

    fn wait_carrier(&self, wan: Wan, carrier: bool) -> Result<()> {
        let what = format!(
            "{} {} carrier",
            wan.device(),
            if carrier { "regaining" } else { "losing" }
        );
        crate::wait::until(&what, crate::wait::DEADLINE, || {
            let lost = self.no_carrier(wan)?;
            ensure!(lost != carrier, "not yet");
            Ok(())
        })
    }

    fn filter(&self, wan: Wan, filter: Option<Filter>) -> Result<()> {
        let script = nft_script(wan.isp_device(), filter)?;
        self.ns(wan.isp())
            .run_with_input(&["nft", "-f", "-"], &script)
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_split_between_directions() {
        assert_eq!(per_direction(0).unwrap(), 0);
        assert_eq!(per_direction(100).unwrap(), SCALE);
        // 1 - sqrt(0.5) = 0.29289...
        assert_eq!(per_direction(50).unwrap(), 2929);
        assert!(per_direction(101).is_err());
        for pct in 0..=100u8 {
            let p = f64::from(per_direction(pct).unwrap()) / f64::from(SCALE);
            let round_trip = 1.0 - (1.0 - p) * (1.0 - p);
            assert!(
                (round_trip * 100.0 - f64::from(pct)).abs() < 0.02,
                "{pct}: {round_trip}"
            );
        }
    }

    #[test]
    fn scripts_replace_the_whole_table() {
        let restore = nft_script("gw", None).unwrap();
        assert_eq!(
            restore,
            "table inet mpwan_lab {}\ndelete table inet mpwan_lab\n"
        );
        let bh = nft_script("gw", Some(Filter::Blackhole)).unwrap();
        assert!(bh.starts_with(&restore), "{bh}");
        assert_eq!(bh.matches("iifname \"gw\" drop").count(), 2, "{bh}");
        assert_eq!(bh.matches("oifname \"gw\" drop").count(), 2, "{bh}");
        let loss = nft_script("gw", Some(Filter::Loss(50))).unwrap();
        assert_eq!(
            loss.matches("numgen random mod 10000 < 2929 drop").count(),
            4,
            "{loss}"
        );
        assert!(nft_script("gw", Some(Filter::Loss(101))).is_err());
    }

    #[test]
    fn carrier_is_read_from_the_link_flags() {
        let down = "3: wan1@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 state DOWN";
        let up = "3: wan1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP";
        assert!(no_carrier(down).unwrap());
        assert!(!no_carrier(up).unwrap());
        assert!(no_carrier("garbage").is_err());
    }
}
