//! A process's peak resident set size, as the kernel keeps it.

use anyhow::{Context, Result};

/// `VmHWM` of process `pid` in KiB: the most resident memory it has had
/// since it started (read before the process is stopped).
pub fn peak_rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    vm_hwm(&text).with_context(|| format!("no VmHWM in {path}"))
}

/// The `VmHWM:  1234 kB` line of a `/proc/PID/status` text.
fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_read_in_kib() {
        let s = "Name:\tmpwan\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(vm_hwm(s), Some(5120));
        assert_eq!(vm_hwm("Name:\tx\n"), None);
        let me = peak_rss_kib(std::process::id()).unwrap();
        assert!(me > 0);
    }
}
