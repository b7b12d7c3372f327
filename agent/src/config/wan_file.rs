//! `wan.d/<name>.toml`: one WAN, its interface, probes, tracker overrides
//! and MPTCP endpoint.

use toml::de::DeTable;

use super::cursor::Table;
use super::defaults;
use super::diag::{Diag, Loc};
use super::model::{EndpointFlag, ProbeConfig, TrackerConfig, WanConfig, WanMptcpConfig};
use super::names::check_interface_name;
use super::probe;
use super::tracker;

/// Routing tables the kernel reserves: unspec, default, main, local.
const RESERVED_TABLES: [u32; 4] = [0, 253, 254, 255];

const ENDPOINT_FLAGS: [(&str, EndpointFlag); 4] = [
    ("signal", EndpointFlag::Signal),
    ("subflow", EndpointFlag::Subflow),
    ("backup", EndpointFlag::Backup),
    ("fullmesh", EndpointFlag::Fullmesh),
];

/// The keys of a WAN file's top level, and the hint for finding one of
/// them in a table: TOML puts every key after `[x]` into `x`.
pub(crate) const ROOT_KEYS: [&str; 2] = ["interface", "fwmark"];
pub(crate) const ROOT_HINT: &str =
    "this key belongs at the top of the file, before the first [table] header";

/// A WAN that was read, with where its cross-file keys are.
pub(crate) struct WanFile {
    pub(crate) wan: WanConfig,
    pub(crate) interface: Loc,
    pub(crate) fwmark: Option<Loc>,
    pub(crate) endpoint_id: Option<Loc>,
    pub(crate) endpoint_id6: Option<Loc>,
    pub(crate) table: Option<Loc>,
}

/// The global tracker settings a WAN starts from.
pub(crate) struct Base<'a> {
    pub(crate) tracker: &'a TrackerConfig,
    /// `mpwan.toml` loaded without error, so checks of inherited values
    /// against this WAN (reliability) are meaningful.
    pub(crate) trusted: bool,
}

/// Reads one WAN file; None when something required is missing or wrong.
pub(crate) fn read(
    d: &mut Diag<'_>,
    root: &DeTable<'_>,
    name: &str,
    base: &Base<'_>,
) -> Option<WanFile> {
    let mut t = Table::root(root);
    let interface = t.required(d, "interface").and_then(|item| {
        let s = item.str(d)?;
        match check_interface_name(s) {
            Ok(()) => Some((s.to_string(), item.loc(d))),
            Err(e) => {
                item.error(d, e);
                None
            }
        }
    });
    let fwmark = t
        .get("fwmark")
        .and_then(|item| Some((item.int(d, 1, u32::MAX)?, item.loc(d))));

    let (tracker, locs) = match t.table(d, "tracker") {
        Some(tt) => tracker::read(d, tt, base.tracker, &[(&ROOT_KEYS, ROOT_HINT)]),
        None => (base.tracker.clone(), tracker::TrackerLocs::default()),
    };
    tracker::check(d, &tracker, &locs, Some("mpwan.toml or the defaults"));

    let (probes, probes_ok) = read_probes(d, &mut t);
    if probes_ok {
        let (v4, v6) = probes
            .iter()
            .map(probe::target_counts)
            .fold((0usize, 0usize), |(a, b), (c, d)| {
                (a.saturating_add(c), b.saturating_add(d))
            });
        let reliability = usize::try_from(tracker.reliability).unwrap_or(usize::MAX);
        // The smallest tracked family decides: each family's rounds count
        // only its own targets.
        let short = [("IPv4", v4), ("IPv6", v6)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .find(|(_, n)| reliability > *n);
        if let Some((family, targets)) = short {
            let message = format!(
                "reliability is {reliability} but this WAN has {targets} {family} probe target(s) \
                 (IPv4 and IPv6 are tracked separately; an icmp probe counts each target, dns and \
                 http one each): no {family} round could ever pass"
            );
            match locs.get("reliability") {
                Some(loc) => d.error_at(loc, message),
                None if base.trusted => d.error(
                    None,
                    "tracker.reliability",
                    format!("{message} (reliability comes from mpwan.toml)"),
                ),
                None => {}
            }
        }
    }

    let mptcp = t.table(d, "mptcp").map(|m| read_mptcp(d, m));
    t.finish(
        d,
        &[
            (&tracker::KEYS, "this key belongs under [tracker]"),
            (&probe::ALL_KEYS, "this key belongs in a [[probe]]"),
            (
                &["id", "id6", "flags", "table"],
                "this key belongs under [mptcp]",
            ),
        ],
    );

    let (interface, interface_loc) = interface?;
    let (mptcp, endpoint_id, endpoint_id6, table) = match mptcp {
        None => (None, None, None, None),
        Some(m) => {
            let (m, id_loc, id6_loc, table_loc) = m?;
            (Some(m), Some(id_loc), id6_loc, table_loc)
        }
    };
    if !probes_ok {
        return None;
    }
    let wan = WanConfig {
        name: name.to_string(),
        interface,
        fwmark: fwmark.as_ref().map(|(v, _)| *v),
        tracker,
        probes,
        mptcp,
    };
    Some(WanFile {
        wan,
        interface: interface_loc,
        fwmark: fwmark.map(|(_, l)| l),
        endpoint_id,
        endpoint_id6,
        table,
    })
}

/// The WAN's probes, and whether every one of them was valid (only then
/// can the targets be counted against `reliability`).
fn read_probes(d: &mut Diag<'_>, t: &mut Table<'_, '_>) -> (Vec<ProbeConfig>, bool) {
    let Some(item) = t.get("probe") else {
        if !d.broken {
            let message =
                "a WAN needs at least one [[probe]] (method = \"icmp\", \"dns\" or \"http\")";
            d.error(None, "probe", message.to_string());
        }
        return (Vec::new(), false);
    };
    let tables = item.tables(d);
    if tables.as_ref().is_some_and(Vec::is_empty) {
        item.error(d, "a WAN needs at least one [[probe]]".to_string());
    }
    let tables = tables.unwrap_or_default();
    let mut ok = !tables.is_empty();
    let mut probes = Vec::new();
    let mut seen = Vec::new();
    for pt in tables {
        match probe::read(d, pt, &mut seen) {
            Some(p) => probes.push(p),
            None => ok = false,
        }
    }
    (probes, ok)
}

/// The endpoint settings and where `id`, `id6` and `table` stand.
type MptcpRead = Option<(WanMptcpConfig, Loc, Option<Loc>, Option<Loc>)>;

fn read_mptcp(d: &mut Diag<'_>, mut t: Table<'_, '_>) -> MptcpRead {
    let id = t
        .required(d, "id")
        .and_then(|item| Some((item.int(d, 1, u8::MAX)?, item.loc(d))));
    let id6 = t.get("id6").and_then(|item| {
        let v: u8 = item.int(d, 1, u8::MAX)?;
        if id.as_ref().is_some_and(|(id, _)| *id == v) {
            item.error(
                d,
                format!("id6 {v} equals id: the IPv4 and IPv6 endpoints need ids of their own"),
            );
            return None;
        }
        Some((v, item.loc(d)))
    });
    let flags = match t.get("flags") {
        None => Some(defaults::ENDPOINT_FLAGS.to_vec()),
        Some(item) => read_flags(d, &item),
    };
    let table = t.get("table").and_then(|item| {
        let v: u32 = item.int(d, 0, u32::MAX)?;
        if RESERVED_TABLES.contains(&v) {
            item.error(
                d,
                format!("table {v} is reserved by the kernel (0 unspec, 253 default, 254 main, 255 local); pick another, such as 101"),
            );
            return None;
        }
        Some((v, item.loc(d)))
    });
    t.finish(d, &[(&ROOT_KEYS, ROOT_HINT)]);
    let (id, id_loc) = id?;
    let (table, table_loc) = match table {
        Some((v, l)) => (Some(v), Some(l)),
        None => (None, None),
    };
    let (id6, id6_loc) = match id6 {
        Some((v, l)) => (Some(v), Some(l)),
        None => (None, None),
    };
    Some((
        WanMptcpConfig {
            id,
            id6,
            flags: flags?,
            table,
        },
        id_loc,
        id6_loc,
        table_loc,
    ))
}

fn read_flags(d: &mut Diag<'_>, item: &super::cursor::Item<'_, '_>) -> Option<Vec<EndpointFlag>> {
    let elements = item.array(d)?;
    let mut flags = Vec::new();
    let mut ok = true;
    for e in elements {
        match e.choice(d, &ENDPOINT_FLAGS) {
            Some(f) if flags.contains(&f) => {
                e.error(d, "flag listed twice".to_string());
                ok = false;
            }
            Some(f) => flags.push(f),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let has = |f| flags.contains(&f);
    if has(EndpointFlag::Signal) && has(EndpointFlag::Fullmesh) {
        item.error(
            d,
            "the kernel refuses an endpoint with both signal and fullmesh".to_string(),
        );
        return None;
    }
    if !has(EndpointFlag::Signal) && !has(EndpointFlag::Subflow) && !has(EndpointFlag::Fullmesh) {
        item.error(
            d,
            "an endpoint needs \"subflow\", \"signal\" or \"fullmesh\", or the kernel never uses it".to_string(),
        );
        return None;
    }
    Some(flags)
}
