//! The lab's scratch directory (server logs, pid file, the HTTP status
//! file), removed on drop.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<temp dir>/mpwan-<run id>`; fails if it exists, so two labs
    /// never share one.
    pub fn create(run_id: &str) -> Result<TempDir> {
        let path = std::env::temp_dir().join(format!("mpwan-{run_id}"));
        std::fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            eprintln!("mpwan-lab: could not remove {}: {e}", self.path.display());
        }
    }
}
