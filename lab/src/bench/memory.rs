//! A process's memory as the kernel reports it in `/proc/PID/status`: its
//! resident set now and at its peak ([`Rss`], [`peak_rss_kib`]), and any
//! other number of that file ([`status_number`]).

use std::fmt;

use anyhow::{Context, Result, bail};

/// The text of `/proc/PID/status` of process `pid`.
pub fn read_status(pid: u32) -> Result<String> {
    let path = format!("/proc/{pid}/status");
    std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))
}

/// The number of a `Key:   1234 kB` (or plain number) line of a
/// `/proc/PID/status` text; sizes are in KiB.
pub fn status_number(status: &str, key: &str) -> Result<u64> {
    for line in status.lines() {
        if let Some(value) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
            let number = value.split_whitespace().next().unwrap_or("");
            return number
                .parse()
                .with_context(|| format!("{key} in /proc/PID/status: {value:?}"));
        }
    }
    bail!("no {key} in /proc/PID/status")
}

/// `VmHWM` of process `pid` in KiB: the most resident memory it has had
/// since it started (read before the process is stopped).
pub fn peak_rss_kib(pid: u32) -> Result<u64> {
    status_number(&read_status(pid)?, "VmHWM").with_context(|| format!("process {pid}"))
}

/// Resident memory of one process, from `/proc/PID/status`, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// Resident now.
    pub vm_rss: u64,
    /// The most it has been resident since it started.
    pub vm_hwm: u64,
}

impl Rss {
    /// Reads process `pid`'s.
    pub fn of(pid: u32) -> Result<Rss> {
        Rss::parse(&read_status(pid)?).with_context(|| format!("process {pid}"))
    }

    /// From the text of a `/proc/PID/status`.
    pub fn parse(status: &str) -> Result<Rss> {
        Ok(Rss {
            vm_rss: status_number(status, "VmRSS")?,
            vm_hwm: status_number(status, "VmHWM")?,
        })
    }
}

impl fmt::Display for Rss {
    /// `VmRSS 4000 KiB, VmHWM 5120 KiB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VmRSS {} KiB, VmHWM {} KiB", self.vm_rss, self.vm_hwm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_are_read_in_kib() {
        let s = "Name:\tmpwan\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n\
                 Threads:\t3\n";
        assert_eq!(status_number(s, "VmHWM").unwrap(), 5120);
        assert_eq!(status_number(s, "VmRSS").unwrap(), 4000);
        assert_eq!(status_number(s, "Threads").unwrap(), 3);
        assert!(status_number(s, "VmSwap").is_err());
        assert!(status_number("VmRSS:\tmany kB\n", "VmRSS").is_err());
        let rss = Rss::parse(s).unwrap();
        assert_eq!(
            rss,
            Rss {
                vm_rss: 4000,
                vm_hwm: 5120
            }
        );
        assert_eq!(rss.to_string(), "VmRSS 4000 KiB, VmHWM 5120 KiB");
        assert!(Rss::parse("VmRSS:\t1 kB\n").is_err());
    }

    #[test]
    fn this_process_is_read() {
        let me = Rss::of(std::process::id()).unwrap();
        assert!(me.vm_rss > 0 && me.vm_hwm >= me.vm_rss);
        assert!(peak_rss_kib(std::process::id()).unwrap() > 0);
    }
}
