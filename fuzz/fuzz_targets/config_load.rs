//! Any text as a configuration directory: the main file, then up to
//! [`MAX_WANS`] WAN files, each introduced by a line `=== <file name>`:
//!
//! ```text
//! [bgp]
//! asn = 65001
//! === wan1.toml
//! interface = "eth1"
//! ```
//!
//! Names that `load` would skip (not `*.toml`) are skipped here too, a
//! name cannot hold `/` (it is one directory entry) and a repeated name
//! is dropped (one directory holds one entry of a name). Bytes that are not
//! UTF-8 become U+FFFD: `load` refuses such a file before any parser sees
//! it. A refusal names at least one problem, each with a message, in one of
//! the files given, on a line that file has; a clean load summarises and
//! serialises.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use mpwan::config::{self, Source};

/// More WAN files reach no new code, only slow every run down.
const MAX_WANS: usize = 3;
/// Introduces a WAN file, at the start of a line.
const MARKER: &str = "\n=== ";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let dir = Path::new("/etc/mpwan");
    let mut parts = text.split(MARKER);
    let main = Source {
        path: dir.join(config::MAIN_FILE),
        text: parts.next().unwrap_or_default().to_string(),
    };
    let mut wans: Vec<Source> = Vec::new();
    for part in parts.take(MAX_WANS) {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        let path = dir.join(config::WAN_DIR).join(name);
        if name.contains('/')
            || name.contains('\0')
            || path.extension().is_none_or(|x| x != "toml")
            || wans.iter().any(|w| w.path == path)
        {
            continue;
        }
        wans.push(Source {
            path,
            text: body.to_string(),
        });
    }
    let texts: Vec<(PathBuf, String)> = std::iter::once(&main)
        .chain(&wans)
        .map(|s| (s.path.clone(), s.text.clone()))
        .collect();
    match config::load_from_sources(dir, main, wans) {
        Ok(cfg) => {
            assert!(!cfg.summary().is_empty());
            serde_json::to_value(&cfg).expect("a loaded configuration serialises");
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "a refusal without an error");
            for e in &errors.0 {
                assert!(!e.message.is_empty(), "an error without a message: {e:?}");
                let Some((_, text)) = texts.iter().find(|(p, _)| *p == e.file) else {
                    panic!("an error about a file not given: {e:?}");
                };
                if let Some(line) = e.line {
                    let lines = text.split('\n').count();
                    assert!((1..=lines).contains(&line), "line {line} of {lines}: {e:?}");
                }
                assert_ne!(e.column, Some(0), "columns count from 1: {e:?}");
                let _ = e.to_string();
            }
        }
    }
});
