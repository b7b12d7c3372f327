//! Any text as `mpwan.toml`: where it splits into `[[bgp.announce]]`
//! sections (the way large files are read, one section at a time), the
//! errors and settings must be exactly those of reading the text whole.
//! The WANs `wan1` and `wan2` exist, so `when` lists can be right or wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let wans = ["wan1".to_string(), "wan2".to_string()];
    assert!(
        mpwan::config::split_read_agrees(&text, &wans),
        "split and whole reads differ"
    );
});
