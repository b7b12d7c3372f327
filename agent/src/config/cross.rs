//! Checks between WAN files: what must be unique across WANs, and the
//! kernel's limit on MPTCP endpoints. Run only on files that parsed.

use std::fmt::Display;
use std::path::Path;

use super::diag::{Loc, make_error};
use super::error::ConfigError;
use super::wan_file::WanFile;

/// The kernel keeps at most 8 MPTCP endpoints per network namespace.
const MAX_ENDPOINTS: usize = 8;

/// One WAN file that loaded, and its path.
pub(crate) struct Loaded<'a> {
    pub(crate) path: &'a Path,
    pub(crate) file: &'a WanFile,
}

pub(crate) fn check(wans: &[Loaded<'_>], errors: &mut Vec<ConfigError>) {
    unique(wans, errors, "interface", |w| {
        Some((w.wan.interface.clone(), &w.interface))
    });
    endpoint_ids(wans, errors);
    unique(wans, errors, "routing table", |w| {
        Some((w.wan.mptcp.as_ref()?.table?, w.table.as_ref()?))
    });
    unique(wans, errors, "fwmark", |w| {
        Some((w.wan.fwmark?, w.fwmark.as_ref()?))
    });

    let mut endpoints = 0usize;
    for (w, loc) in wans.iter().flat_map(|w| {
        [&w.file.endpoint_id, &w.file.endpoint_id6]
            .into_iter()
            .flatten()
            .map(move |loc| (w, loc))
    }) {
        endpoints = endpoints.saturating_add(1);
        if endpoints > MAX_ENDPOINTS {
            let message = format!(
                "the kernel holds at most {MAX_ENDPOINTS} MPTCP endpoints per namespace; WAN {} would be number {endpoints}",
                w.file.wan.name
            );
            errors.push(make_error(w.path, loc, message));
        }
    }
}

/// Endpoint ids (`id` and `id6` alike) must be unique across all WANs: the
/// kernel knows endpoints by id alone.
fn endpoint_ids(wans: &[Loaded<'_>], errors: &mut Vec<ConfigError>) {
    let mut seen: Vec<(u8, &str, &Path)> = Vec::new();
    for w in wans {
        let Some(m) = &w.file.wan.mptcp else { continue };
        let ids = [
            (Some(m.id), &w.file.endpoint_id),
            (m.id6, &w.file.endpoint_id6),
        ];
        for (id, loc) in ids {
            let (Some(id), Some(loc)) = (id, loc) else {
                continue;
            };
            if let Some((_, name, path)) = seen.iter().find(|(s, _, _)| *s == id) {
                let message = format!(
                    "MPTCP endpoint id {id} is already used by WAN {name} ({})",
                    path.display()
                );
                errors.push(make_error(w.path, loc, message));
                continue;
            }
            seen.push((id, &w.file.wan.name, w.path));
        }
    }
}

/// Reports every WAN whose `value` an earlier WAN (in file order) already has.
fn unique<'w, T, F>(wans: &[Loaded<'w>], errors: &mut Vec<ConfigError>, what: &str, value: F)
where
    T: PartialEq + Display,
    F: Fn(&'w WanFile) -> Option<(T, &'w Loc)>,
{
    let mut seen: Vec<(T, &Loaded<'w>)> = Vec::new();
    for w in wans {
        let Some((v, loc)) = value(w.file) else {
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == v) {
            let message = format!(
                "{what} {v} is already used by WAN {} ({})",
                first.file.wan.name,
                first.path.display()
            );
            errors.push(make_error(w.path, loc, message));
            continue;
        }
        seen.push((v, w));
    }
}
