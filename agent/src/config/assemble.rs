//! Putting the files together: the main file first (its tracker settings
//! are the base of every WAN), then each WAN file, then the checks between
//! WAN files; every error of every file is collected and sorted by file and
//! line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diag::Diag;
use super::error::{ConfigError, ConfigErrors};
use super::model::Config;
use super::names::check_wan_name;
use super::{Source, cross, main_file, wan_file};

/// The WAN name of a file: its stem, checked.
fn wan_name(path: &Path) -> Result<String, String> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    check_wan_name(&stem)?;
    Ok(stem)
}

pub(crate) fn assemble(
    dir: &Path,
    main: Result<Source, ConfigError>,
    wans: Vec<Result<Source, ConfigError>>,
    dir_errors: Vec<ConfigError>,
) -> Result<Config, ConfigErrors> {
    // Files in the order their errors are printed.
    let mut order: Vec<PathBuf> = Vec::new();
    let mut errors = dir_errors;

    // Every WAN with a valid name counts for `when`, even one whose file
    // has errors, so one broken file does not cascade into the others.
    let mut names: Vec<String> = Vec::new();
    for w in &wans {
        let path = match w {
            Ok(s) => &s.path,
            Err(e) => &e.file,
        };
        if let Ok(n) = wan_name(path)
            && !names.contains(&n)
        {
            names.push(n);
        }
    }
    names.sort();

    let (main_file, trusted) = match &main {
        Ok(src) => {
            order.push(src.path.clone());
            let mut d = Diag::new(&src.path, &src.text);
            let (root, syntax) = toml::de::DeTable::parse_recoverable(&src.text);
            d.syntax(&syntax);
            let m = main_file::read(&mut d, root.get_ref(), &names);
            let trusted = d.errors.is_empty();
            errors.append(&mut d.errors);
            (m, trusted)
        }
        Err(e) => {
            order.push(e.file.clone());
            errors.push(e.clone());
            let empty = toml::de::DeTable::new();
            let mut d = Diag::new(&e.file, "");
            (main_file::read(&mut d, &empty, &names), false)
        }
    };

    let base = wan_file::Base {
        tracker: &main_file.tracker,
        trusted,
    };
    let mut loaded: Vec<(PathBuf, wan_file::WanFile)> = Vec::new();
    let mut seen_names: Vec<(String, PathBuf)> = Vec::new();
    for w in &wans {
        let src = match w {
            Ok(src) => src,
            Err(e) => {
                order.push(e.file.clone());
                errors.push(e.clone());
                continue;
            }
        };
        order.push(src.path.clone());
        let mut d = Diag::new(&src.path, &src.text);
        let name = match wan_name(&src.path) {
            Ok(n) => {
                if let Some((_, first)) = seen_names.iter().find(|(s, _)| *s == n) {
                    let message = format!("WAN name {n} is already taken by {}", first.display());
                    d.error(None, "", message);
                    None
                } else {
                    seen_names.push((n.clone(), src.path.clone()));
                    Some(n)
                }
            }
            Err(message) => {
                d.error(None, "", message);
                None
            }
        };
        let (root, syntax) = toml::de::DeTable::parse_recoverable(&src.text);
        d.syntax(&syntax);
        let read = wan_file::read(&mut d, root.get_ref(), name.as_deref().unwrap_or(""), &base);
        if read.is_none() && d.errors.is_empty() {
            // Every path that drops a WAN records why; this guards against a
            // silent drop should one ever not.
            d.error(None, "", "could not be loaded".to_string());
        }
        // Files with syntax errors take no part in cross-file checks: their
        // tree is only the parser's best guess.
        let usable = !d.broken && name.is_some();
        errors.append(&mut d.errors);
        if let (Some(wf), true) = (read, usable) {
            loaded.push((src.path.clone(), wf));
        }
    }

    let views: Vec<cross::Loaded<'_>> = loaded
        .iter()
        .map(|(path, file)| cross::Loaded { path, file })
        .collect();
    cross::check(&views, &mut errors);

    if !errors.is_empty() {
        let rank = |e: &ConfigError| {
            order
                .iter()
                .position(|p| *p == e.file)
                .unwrap_or(usize::MAX)
        };
        errors.sort_by_key(|e| (rank(e), e.line.unwrap_or(0), e.column.unwrap_or(0)));
        return Err(ConfigErrors(errors));
    }
    let mut wans = BTreeMap::new();
    for (_, wf) in loaded {
        wans.insert(wf.wan.name.clone(), wf.wan);
    }
    Ok(Config {
        dir: dir.to_path_buf(),
        agent: main_file.agent,
        tracker: main_file.tracker,
        mptcp: main_file.mptcp,
        bgp: main_file.bgp,
        wans,
    })
}
