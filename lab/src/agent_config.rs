//! An mpwan configuration directory for the lab's topology, in DESIGN.md's
//! format, for tests and the demo to run the agent on gw with
//! `--config DIR`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

use crate::addr;
use crate::role::Wan;
use crate::soak::truth::Timers;

/// What [`write_agent_config`] puts in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfigOptions {
    /// The body of `[tracker]` in mpwan.toml, as TOML lines. The default
    /// holds timings fast enough for tests: [`Timers::LAB`], from which
    /// the soak derives its bounds.
    pub tracker: String,
    /// Probe the three IPv6 targets too, not only the IPv4 ones.
    pub icmp_v6: bool,
    /// Add a DNS probe (`example.com` at 203.0.113.53) to each WAN.
    pub dns_probe: bool,
    /// Add an HTTP probe (`http://203.0.113.80/generate_204`, expecting
    /// 204) to each WAN.
    pub http_probe: bool,
    /// `[mptcp] enabled`. Each WAN file names its endpoint either way:
    /// `wan1` id 1, `wan2` id 2, flag `subflow`.
    pub mptcp: bool,
    /// A `[bgp]` section towards the peer, if set.
    pub bgp: Option<BgpOptions>,
    /// Appended to mpwan.toml as it is (`[[bgp.announce]]` tables, say).
    pub extra: String,
    /// Extra lines of `[agent]` (`hook_timeout = "1s"`, say).
    pub agent: String,
}

impl Default for AgentConfigOptions {
    fn default() -> Self {
        AgentConfigOptions {
            tracker: Timers::LAB.tracker_toml(),
            icmp_v6: true,
            dns_probe: false,
            http_probe: false,
            mptcp: true,
            bgp: None,
            extra: String::new(),
            agent: String::new(),
        }
    }
}

/// The agent's BGP speaker on gw (AS 65001, router id 10.99.0.1) and its
/// one neighbour, the peer namespace (10.99.0.2, AS 65000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BgpOptions {
    /// `[bgp] listen_port` (0: the agent does not listen).
    pub listen_port: u16,
    /// The port the peer's daemon listens on.
    pub peer_port: u16,
}

impl Default for BgpOptions {
    fn default() -> Self {
        BgpOptions {
            listen_port: 0,
            peer_port: 179,
        }
    }
}

/// Where the written configuration puts the agent's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPaths {
    /// The directory to pass as `--config`.
    pub config_dir: PathBuf,
    pub control_socket: PathBuf,
    /// Created empty.
    pub state_dir: PathBuf,
    /// Created empty: put hook scripts here.
    pub hooks_dir: PathBuf,
}

/// A Unix socket path must fit `sun_path` (108 bytes with the final NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Writes `dir/mpwan.toml` and `dir/wan.d/{wan1,wan2}.toml` for the lab,
/// with the agent's socket, state and hooks under `dir`.
pub fn write_agent_config(dir: &Path, opts: &AgentConfigOptions) -> Result<AgentPaths> {
    let paths = AgentPaths {
        config_dir: dir.to_path_buf(),
        control_socket: dir.join("mpwan.sock"),
        state_dir: dir.join("state"),
        hooks_dir: dir.join("hooks.d"),
    };
    let socket_len = paths.control_socket.as_os_str().len();
    ensure!(
        socket_len <= MAX_SOCKET_PATH,
        "{} is {socket_len} bytes, longer than a Unix socket path may be ({MAX_SOCKET_PATH})",
        paths.control_socket.display()
    );
    for d in [&paths.state_dir, &paths.hooks_dir, &dir.join("wan.d")] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    write(&dir.join("mpwan.toml"), &main_file(&paths, opts)?)?;
    for wan in Wan::ALL {
        write(
            &dir.join("wan.d").join(format!("{}.toml", wan.name())),
            &wan_file(wan, opts),
        )?;
    }
    Ok(paths)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn main_file(paths: &AgentPaths, opts: &AgentConfigOptions) -> Result<String> {
    let mut s = String::from("# Written by mpwan-lab for its namespaces.\n\n[agent]\n");
    for (key, path) in [
        ("control_socket", &paths.control_socket),
        ("state_dir", &paths.state_dir),
        ("hooks_dir", &paths.hooks_dir),
    ] {
        let path = path
            .to_str()
            .with_context(|| format!("{} is not UTF-8", path.display()))?;
        let _ = writeln!(s, "{key} = {}", toml_str(path));
    }
    s.push_str(&opts.agent);
    ensure_newline(&mut s);
    let _ = write!(s, "\n[tracker]\n{}", opts.tracker);
    ensure_newline(&mut s);
    let _ = write!(s, "\n[mptcp]\nenabled = {}\n", opts.mptcp);
    if let Some(bgp) = &opts.bgp {
        let _ = write!(
            s,
            "\n[bgp]\nasn = {}\nrouter_id = \"{}\"\nlisten_port = {}\n\n\
             [[bgp.neighbor]]\naddress = \"{}\"\nasn = {}\nport = {}\n",
            addr::GW_ASN,
            addr::BGP_GW_V4,
            bgp.listen_port,
            addr::BGP_PEER_V4,
            addr::PEER_ASN,
            bgp.peer_port,
        );
    }
    if !opts.extra.is_empty() {
        s.push('\n');
        s += &opts.extra;
        ensure_newline(&mut s);
    }
    Ok(s)
}

fn wan_file(wan: Wan, opts: &AgentConfigOptions) -> String {
    let mut targets: Vec<String> = addr::ICMP_V4.iter().map(|a| format!("\"{a}\"")).collect();
    if opts.icmp_v6 {
        targets.extend(addr::ICMP_V6.iter().map(|a| format!("\"{a}\"")));
    }
    let mut s = format!(
        "# Written by mpwan-lab: {} through {}.\n\ninterface = \"{}\"\n\n\
         [[probe]]\nmethod = \"icmp\"\ntargets = [{}]\n",
        wan.name(),
        wan.isp(),
        wan.device(),
        targets.join(", ")
    );
    if opts.dns_probe {
        let _ = write!(
            s,
            "\n[[probe]]\nmethod = \"dns\"\nserver = \"{}\"\nname = \"{}\"\n",
            addr::DNS_V4,
            addr::DNS_NAME
        );
    }
    if opts.http_probe {
        let _ = write!(
            s,
            "\n[[probe]]\nmethod = \"http\"\nurl = \"{}\"\nexpect_status = 204\n",
            addr::http_url_v4()
        );
    }
    let _ = write!(
        s,
        "\n[mptcp]\nid = {}\nflags = [\"subflow\"]\n",
        wan.mptcp_id()
    );
    s
}

fn ensure_newline(s: &mut String) {
    if !s.ends_with('\n') {
        s.push('\n');
    }
}

/// A TOML basic string holding `s`.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mpwan-lab-{name}-{}", crate::run_id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn parse(path: &Path) -> toml::Table {
        let text = std::fs::read_to_string(path).unwrap();
        text.parse()
            .unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
    }

    #[test]
    fn config_holds_the_topology() {
        let dir = scratch("config");
        let opts = AgentConfigOptions {
            dns_probe: true,
            http_probe: true,
            bgp: Some(BgpOptions {
                listen_port: 1179,
                peer_port: 179,
            }),
            extra: "[[bgp.announce]]\nprefix = \"192.0.2.0/24\"\nwhen = \"any\"".to_string(),
            ..Default::default()
        };
        let paths = write_agent_config(&dir, &opts).unwrap();
        assert!(paths.hooks_dir.is_dir() && paths.state_dir.is_dir());

        let main = parse(&dir.join("mpwan.toml"));
        let agent = main["agent"].as_table().unwrap();
        assert_eq!(
            agent["control_socket"].as_str(),
            paths.control_socket.to_str()
        );
        assert_eq!(main["tracker"]["interval"].as_str(), Some("250ms"));
        assert_eq!(main["mptcp"]["enabled"].as_bool(), Some(true));
        let bgp = main["bgp"].as_table().unwrap();
        assert_eq!(bgp["asn"].as_integer(), Some(65001));
        assert_eq!(bgp["router_id"].as_str(), Some("10.99.0.1"));
        assert_eq!(bgp["listen_port"].as_integer(), Some(1179));
        let neighbor = &bgp["neighbor"].as_array().unwrap()[0];
        assert_eq!(neighbor["address"].as_str(), Some("10.99.0.2"));
        assert_eq!(neighbor["asn"].as_integer(), Some(65000));
        assert_eq!(bgp["announce"].as_array().unwrap().len(), 1);

        for (wan, dev, id) in [("wan1", "wan1", 1), ("wan2", "wan2", 2)] {
            let w = parse(&dir.join("wan.d").join(format!("{wan}.toml")));
            assert_eq!(w["interface"].as_str(), Some(dev));
            assert_eq!(w["mptcp"]["id"].as_integer(), Some(id));
            let probes = w["probe"].as_array().unwrap();
            let methods: Vec<_> = probes
                .iter()
                .map(|p| p["method"].as_str().unwrap())
                .collect();
            assert_eq!(methods, ["icmp", "dns", "http"]);
            assert_eq!(probes[0]["targets"].as_array().unwrap().len(), 6);
            assert_eq!(probes[1]["server"].as_str(), Some("203.0.113.53"));
            assert_eq!(
                probes[2]["url"].as_str(),
                Some("http://203.0.113.80/generate_204")
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn minimal_config_has_no_optional_sections() {
        let dir = scratch("minimal");
        let opts = AgentConfigOptions {
            icmp_v6: false,
            mptcp: false,
            ..Default::default()
        };
        write_agent_config(&dir, &opts).unwrap();
        let main = parse(&dir.join("mpwan.toml"));
        assert!(!main.contains_key("bgp"));
        assert_eq!(main["mptcp"]["enabled"].as_bool(), Some(false));
        let w = parse(&dir.join("wan.d/wan1.toml"));
        let probes = w["probe"].as_array().unwrap();
        assert_eq!(probes.len(), 1);
        assert_eq!(probes[0]["targets"].as_array().unwrap().len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn long_socket_paths_and_odd_characters_are_handled() {
        let long = std::env::temp_dir().join("x".repeat(120));
        assert!(write_agent_config(&long, &AgentConfigOptions::default()).is_err());
        assert!(!long.exists());
        assert_eq!(toml_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }
}
