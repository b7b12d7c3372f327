//! Putting the files together: the main file first (its tracker settings
//! are the base of every WAN), then each WAN file, then the checks between
//! WAN files; every error of every file is collected and sorted by file and
//! line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::bgp::Announcements;
use super::diag::Diag;
use super::error::{ConfigError, ConfigErrors};
use super::model::Config;
use super::names::check_wan_name;
use super::{Source, cross, main_file, sections, wan_file};

/// Reads `mpwan.toml`: its `[[bgp.announce]]` sections one at a time where
/// the file splits cleanly (see `sections.rs`), else the whole text at once.
fn read_main<'s>(src: &'s Source, names: &[String]) -> (Diag<'s>, main_file::MainFile) {
    read_split(src, names).unwrap_or_else(|| read_whole(src, names))
}

/// The section-at-a-time read; None when the file does not split, a part
/// has a syntax error (reported as the whole parse sees it), or [bgp] holds
/// an `announce` key besides the sections (only the whole parse can tell
/// what the two mean together).
fn read_split<'s>(src: &'s Source, names: &[String]) -> Option<(Diag<'s>, main_file::MainFile)> {
    let split = sections::split(&src.text)?;
    let (root, syntax) = toml::de::DeTable::parse_recoverable(&split.rest);
    if !syntax.is_empty() {
        return None;
    }
    // The split found a `[bgp]` header in the rest, so `bgp` is a table.
    if let Some(toml::de::DeValue::Table(bgp)) = root.get_ref().get("bgp").map(|b| b.get_ref())
        && bgp.contains_key("announce")
    {
        return None;
    }
    let mut d = Diag::new(&src.path, &src.text);
    let mut from = Announcements::Sections {
        text: &src.text,
        ranges: &split.sections,
        broken: false,
    };
    let m = main_file::read(&mut d, root.get_ref(), names, &mut from);
    matches!(from, Announcements::Sections { broken: false, .. }).then_some((d, m))
}

/// Whether the section-at-a-time read of `text` as `mpwan.toml` (where it
/// splits) gives exactly the errors and settings of the whole read.
pub(crate) fn split_agrees(text: &str, names: &[String]) -> bool {
    let src = Source {
        path: PathBuf::from(super::MAIN_FILE),
        text: text.to_string(),
    };
    let Some((d, m)) = read_split(&src, names) else {
        return true;
    };
    let (wd, wm) = read_whole(&src, names);
    d.errors == wd.errors && m == wm
}

fn read_whole<'s>(src: &'s Source, names: &[String]) -> (Diag<'s>, main_file::MainFile) {
    let mut d = Diag::new(&src.path, &src.text);
    let (root, syntax) = toml::de::DeTable::parse_recoverable(&src.text);
    d.syntax(&syntax);
    let m = main_file::read(&mut d, root.get_ref(), names, &mut Announcements::InTable);
    (d, m)
}

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
            let (mut d, m) = read_main(src, &names);
            let trusted = d.errors.is_empty();
            errors.append(&mut d.errors);
            (m, trusted)
        }
        Err(e) => {
            order.push(e.file.clone());
            errors.push(e.clone());
            let empty = toml::de::DeTable::new();
            let mut d = Diag::new(&e.file, "");
            let m = main_file::read(&mut d, &empty, &names, &mut Announcements::InTable);
            (m, false)
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "[bgp]\nasn = 65001\nrouter_id = \"192.0.2.1\"\n\
                        [[bgp.neighbor]]\naddress = \"192.0.2.254\"\nasn = 65000\n";

    fn source(text: &str) -> Source {
        Source {
            path: PathBuf::from("/etc/mpwan/mpwan.toml"),
            text: text.to_string(),
        }
    }

    fn names() -> Vec<String> {
        vec!["wan1".to_string(), "wan2".to_string()]
    }

    /// Errors and the `[bgp]` read, to compare the two ways.
    type Outcome = (Vec<ConfigError>, Option<crate::config::BgpConfig>);

    fn outcome((d, m): (Diag<'_>, main_file::MainFile)) -> Outcome {
        (d.errors, m.bgp)
    }

    /// The section-at-a-time read of `text`, checked against the whole
    /// parse; None when the text does not split.
    fn split_matches_whole(text: &str) -> Option<Outcome> {
        let src = source(text);
        let split = read_split(&src, &names()).map(outcome);
        let whole = outcome(read_whole(&src, &names()));
        if let Some(split) = &split {
            assert_eq!(*split, whole, "split and whole reads differ for:\n{text}");
        }
        assert!(split_agrees(text, &names()));
        split
    }

    #[test]
    fn sections_read_as_the_whole_file_does() {
        let text = format!(
            "# the gateway\n{HEAD}\n[[bgp.announce]] # first\nprefix = \"10.0.0.0/8\"\n\
             on_down = \"degrade\"\n[bgp.announce.degrade]\nmed = 100\ncommunities = [\n  \"65001:1\",\n]\n\
             \n[agent]\nhooks_dir = \"/etc/hooks\"\n\n  [[bgp.announce]]\nprefix = '2001:db8::/32'\n\
             when = [\"wan2\",\n \"wan1\"]\n[[bgp.announce]]\nprefix = \"192.0.2.0/24\"\nwhen = \"all\"\n\
             degrade.med = 7\n[tracker]\ninterval = \"2s\"\n"
        );
        let (errors, bgp) = split_matches_whole(&text).expect("splits");
        assert_eq!(errors, []);
        let bgp = bgp.expect("[bgp] read");
        let prefixes: Vec<String> = bgp.announce.iter().map(|a| a.prefix.to_string()).collect();
        assert_eq!(prefixes, ["10.0.0.0/8", "2001:db8::/32", "192.0.2.0/24"]);
        assert_eq!(bgp.announce[0].degrade.med, Some(100));
        assert_eq!(bgp.announce[2].degrade.med, Some(7));

        // Entries first, [bgp] after them.
        let text = format!("[[bgp.announce]]\nprefix = \"10.0.0.0/8\"\n\n{HEAD}");
        let (errors, bgp) = split_matches_whole(&text).expect("splits");
        assert_eq!(errors, []);
        assert_eq!(bgp.expect("[bgp] read").announce.len(), 1);
    }

    #[test]
    fn header_keys_with_escapes_split_as_the_whole_file_reads() {
        let text = format!("{HEAD}[[\"b\\u0067p\".'announce']]\nprefix = \"10.0.0.0/8\"\n");
        let (errors, bgp) = split_matches_whole(&text).expect("splits");
        assert_eq!(errors, []);
        assert_eq!(bgp.expect("[bgp] read").announce.len(), 1);
    }

    #[test]
    fn errors_in_sections_have_the_whole_files_lines_and_keys() {
        let text = format!(
            "{HEAD}[[bgp.announce]]\nprefix = \"10.0.0.1/8\"\nwhenn = \"any\"\n\
             [[bgp.announce]]\nprefix = \"10.1.0.0/16\"\nwhen = [\"wan1\"]\non_down = \"degrade\"\n\
             [agent]\nhook_timeout = 5\n[[bgp.announce]]\nprefix = \"10.1.0.0/16\"\n\
             [[bgp.announce]]\n[bgp.announce.degrade]\nprepend = 99\n"
        );
        let (mut errors, _) = split_matches_whole(&text).expect("splits");
        errors.sort_by_key(|e| (e.line, e.column));
        let found: Vec<(Option<usize>, Option<String>)> =
            errors.iter().map(|e| (e.line, e.key.clone())).collect();
        assert_eq!(
            found,
            [
                (Some(8), Some("bgp.announce[0].prefix".to_string())),
                (Some(9), Some("bgp.announce[0].whenn".to_string())),
                (Some(13), Some("bgp.announce[1].on_down".to_string())),
                (Some(15), Some("agent.hook_timeout".to_string())),
                (Some(17), Some("bgp.announce[2].prefix".to_string())),
                (Some(18), Some("bgp.announce[3].prefix".to_string())),
                (
                    Some(20),
                    Some("bgp.announce[3].degrade.prepend".to_string())
                ),
            ],
            "{errors:#?}"
        );
        assert!(
            errors[4]
                .message
                .contains("bgp.announce[1].prefix (line 11)")
        );
    }

    #[test]
    fn what_does_not_split_cleanly_is_read_whole() {
        // Texts with errors, which the whole read reports.
        let bad = [
            // Syntax errors, in a section and outside.
            format!("{HEAD}[[bgp.announce]]\nprefix = \"10.0.0.0/8\n"),
            format!("{HEAD}x = = 1\n[[bgp.announce]]\nprefix = \"10.0.0.0/8\"\n"),
            // Entries given both ways.
            "[bgp]\nasn = 1\nrouter_id = \"192.0.2.1\"\nannounce = []\n\
             [[bgp.announce]]\nprefix = \"10.0.0.0/8\"\n"
                .to_string(),
            // No [bgp] of its own: the whole parse reports what is missing.
            "[[bgp.announce]]\nprefix = \"10.0.0.0/8\"\n".to_string(),
        ];
        for text in &bad {
            assert_eq!(split_matches_whole(text), None, "{text}");
            let src = source(text);
            let (d, _) = read_main(&src, &names());
            assert!(!d.errors.is_empty(), "{text}");
        }

        // A degrade table away from its entry: valid TOML, and the whole
        // read attaches the table to its entry.
        let text = format!(
            "{HEAD}[[bgp.announce]]\nprefix = \"10.0.0.0/8\"\n[agent]\n[bgp.announce.degrade]\nmed = 1\n"
        );
        assert_eq!(split_matches_whole(&text), None, "{text}");
        let src = source(&text);
        let (d, m) = read_main(&src, &names());
        assert_eq!(d.errors, []);
        let bgp = m.bgp.expect("[bgp] read");
        assert_eq!(bgp.announce.len(), 1);
        assert_eq!(bgp.announce[0].degrade.med, Some(1));
    }

    #[test]
    fn many_sections_read_as_the_whole_file_does() {
        let mut text = HEAD.to_string();
        for i in 0..3000u32 {
            let when = match i % 4 {
                0 => "\"any\"",
                1 => "\"all\"",
                2 => "[\"wan1\"]",
                _ => "[\"wan9\"]",
            };
            text.push_str(&format!(
                "[[bgp.announce]]\nprefix = \"10.{}.{}.0/24\"\nwhen = {when}\n",
                i / 256 % 3,
                i % 256
            ));
            if i % 7 == 0 {
                text.push_str("[bgp.announce.degrade]\nmed = 5\n");
            }
        }
        let (errors, _) = split_matches_whole(&text).expect("splits");
        // A quarter name an unknown WAN, and 10.x repeats after 768 entries.
        assert!(errors.len() > 750, "{}", errors.len());
    }
}
