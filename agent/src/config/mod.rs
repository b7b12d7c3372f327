//! Configuration: `mpwan.toml` and `wan.d/<name>.toml`, loaded strictly.
//!
//! [`load`] reads a directory, [`load_from_sources`] takes the texts
//! directly (tests). Both return the effective [`Config`] with every default
//! filled in, or every error of every file at once ([`ConfigErrors`]), each
//! naming its file, line, column and dotted key.
//!
//! How it is built: each file is parsed with toml's recoverable, spanned
//! parser and walked by hand with a cursor per table (`cursor.rs`) that
//! records the keys it consumed and reports the rest as unknown; each file
//! has its reader (`main_file.rs`, `wan_file.rs`, with `tracker.rs`,
//! `bgp.rs`, `probe.rs`); checks between WAN files run last (`cross.rs`);
//! `assemble.rs` runs them in that order and collects the errors. The
//! `[[bgp.announce]]` entries of `mpwan.toml` are parsed one section at a
//! time where the file splits cleanly (`sections.rs`), so that 100 000 of
//! them cost megabytes rather than the whole file's tree; the result is the
//! same, which a fuzz target (`config_split`) checks.

mod assemble;
mod bgp;
mod cross;
mod cursor;
pub mod defaults;
mod diag;
mod duration;
mod error;
mod main_file;
pub mod model;
mod names;
mod prefix;
mod probe;
mod sections;
mod summary;
mod tracker;
mod wan_file;

use std::path::{Path, PathBuf};

pub use duration::{DurationError, parse_duration};
pub use error::{ConfigError, ConfigErrors};
pub use model::*;
pub use names::{check_interface_name, check_wan_name};
pub use prefix::PrefixError;

/// The main file's name inside the configuration directory.
pub const MAIN_FILE: &str = "mpwan.toml";
/// The directory of WAN files inside the configuration directory.
pub const WAN_DIR: &str = "wan.d";

/// One file's text and the path to name in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

/// Loads `dir/mpwan.toml` and every `dir/wan.d/*.toml` (in name order;
/// other files there are ignored, a missing or empty `wan.d` means no
/// WANs).
pub fn load(dir: &Path) -> Result<Config, ConfigErrors> {
    let main = read_source(&dir.join(MAIN_FILE), true);
    let wan_dir = dir.join(WAN_DIR);
    let mut wans = Vec::new();
    let mut dir_errors = Vec::new();
    match std::fs::read_dir(&wan_dir) {
        Ok(entries) => {
            let mut paths = Vec::new();
            for entry in entries {
                match entry {
                    Ok(e) => paths.push(e.path()),
                    Err(e) => dir_errors.push(file_error(&wan_dir, format!("cannot list: {e}"))),
                }
            }
            paths.retain(|p| p.extension().is_some_and(|x| x == "toml"));
            paths.sort();
            wans = paths.iter().map(|p| read_source(p, false)).collect();
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => dir_errors.push(file_error(
            &wan_dir,
            format!("cannot read the directory: {e}"),
        )),
    }
    assemble::assemble(dir, main, wans, dir_errors)
}

/// Like [`load`], from texts instead of files: `main` is `mpwan.toml`, each
/// of `wans` a WAN file whose path's stem is the WAN's name. `dir` becomes
/// [`Config::dir`].
pub fn load_from_sources(
    dir: &Path,
    main: Source,
    wans: Vec<Source>,
) -> Result<Config, ConfigErrors> {
    assemble::assemble(
        dir,
        Ok(main),
        wans.into_iter().map(Ok).collect(),
        Vec::new(),
    )
}

/// Whether `text`, read as `mpwan.toml` one `[[bgp.announce]]` section at a
/// time (where it splits cleanly, the way [`load`] reads large files), gives
/// exactly the errors and settings of reading it whole; `wans` are the WAN
/// names. For the `config_split` fuzz target, not an API.
#[doc(hidden)]
pub fn split_read_agrees(text: &str, wans: &[String]) -> bool {
    assemble::split_agrees(text, wans)
}

fn file_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        key: None,
        message,
    }
}

fn read_source(path: &Path, is_main: bool) -> Result<Source, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let message = if e.kind() == std::io::ErrorKind::NotFound && is_main {
            format!(
                "not found: {MAIN_FILE} is required (it may be empty: every setting has a default)"
            )
        } else {
            format!("cannot read: {e}")
        };
        file_error(path, message)
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        file_error(path, format!("not valid UTF-8 (at byte {at})"))
    })?;
    Ok(Source {
        path: path.to_path_buf(),
        text,
    })
}
