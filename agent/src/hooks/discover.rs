//! Which files in `hooks_dir` are hooks: executable regular files (symlinks
//! followed), not dotfiles and not editor backups, in byte order of name.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One hook to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub path: PathBuf,
    /// The file name, as logged (`hook=`).
    pub name: String,
}

/// Whether a file name may be a hook: dotfiles (editor swap files, `.keep`)
/// and backups ending in `~` are skipped, as run-parts does.
pub fn is_hook_name(name: &OsStr) -> bool {
    let b = name.as_bytes();
    !b.is_empty() && !b.starts_with(b".") && !b.ends_with(b"~")
}

/// Whether the file behind `meta` can be run: a regular file with any
/// execute bit (the agent runs as root, for whom any bit will do).
pub fn is_runnable(meta: &std::fs::Metadata) -> bool {
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

/// The hooks in `dir`, in lexical byte order of file name. A missing `dir`
/// is an error of kind `NotFound`, which callers treat as "no hooks".
/// Blocking, but only on a small local directory read once per event.
pub fn list(dir: &Path) -> io::Result<Vec<Hook>> {
    let mut names: Vec<OsString> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if !is_hook_name(&name) {
            continue;
        }
        // Follows symlinks: a link to a script elsewhere is a hook; a
        // dangling one is skipped like any file we cannot run.
        match std::fs::metadata(entry.path()) {
            Ok(meta) if is_runnable(&meta) => names.push(name),
            Ok(_) => {
                tracing::debug!(file = %name.to_string_lossy(), "hooks: skipping, not an executable file")
            }
            Err(e) => {
                tracing::debug!(file = %name.to_string_lossy(), error = %e, "hooks: skipping")
            }
        }
    }
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names
        .into_iter()
        .map(|n| Hook {
            path: dir.join(&n),
            name: n.to_string_lossy().into_owned(),
        })
        .collect())
}
