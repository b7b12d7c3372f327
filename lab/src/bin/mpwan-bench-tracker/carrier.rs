//! Carrier loss: from the provider's end of a WAN set down to the agent's
//! `down` for it. Measured on a link whose carrier notices the kernel sends
//! at once (the lab's veths), and on one whose notices it holds back as for
//! a physical port, right after another such change: there the agent's
//! carrier poll, not the notice, must see the loss; and the same with the
//! poll off, to show what it saves. When the kernel's notice reached gw is
//! recorded too.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mpwan_lab::bench::agent::{BenchAgent, STEP, wan_entry};
use mpwan_lab::bench::wall_now;
use mpwan_lab::{AgentConfigOptions, CarrierNotice, ExtraWan, Lab, Role, addr};

use crate::agent::await_down;
use crate::detect::{Detection, Profile, VICTIM, both, options, outage_start, random_phase};
use crate::monitor::LinkMonitor;
use crate::report::ms;

/// A WAN whose carrier is taken away: its provider's end is set down.
struct CarrierVictim {
    /// The WAN's name, which is gw's device.
    name: String,
    isp: Role,
    isp_device: String,
    /// Set for an extra WAN, restored its own way.
    extra: Option<ExtraWan>,
}

impl CarrierVictim {
    fn restore(&self, lab: &Lab) -> Result<()> {
        match self.extra {
            Some(extra) => lab.restore_extra_wan(extra),
            None => lab.restore(VICTIM),
        }
    }
}

/// A veth between isp1 and isp2 whose ends share one index, so that its
/// carrier changes are not urgent for the kernel: setting it down opens
/// the kernel's one-second window for such changes, and a carrier loss
/// within it is reported when the window closes.
struct Arming;

impl Arming {
    const DEV: &'static str = "arm";
    const INDEX: &'static str = "90";

    fn create(lab: &Lab) -> Result<Arming> {
        let isp2 = lab.ns(Role::Isp2).name();
        let (dev, index) = (Self::DEV, Self::INDEX);
        lab.ns(Role::Isp1)
            .run(&[
                "ip", "link", "add", dev, "index", index, "type", "veth", "peer", "name", dev,
                "index", index, "netns", isp2,
            ])
            .context("creating the arming link")?;
        for role in [Role::Isp1, Role::Isp2] {
            lab.ns(role).run(&["ip", "link", "set", dev, "up"])?;
        }
        Ok(Arming)
    }

    /// isp1's end loses its carrier: a change that is not urgent.
    fn fire(&self, lab: &Lab) -> Result<()> {
        lab.ns(Role::Isp2)
            .run(&["ip", "link", "set", Self::DEV, "down"])
            .map(drop)
    }

    fn reset(&self, lab: &Lab) -> Result<()> {
        lab.ns(Role::Isp2)
            .run(&["ip", "link", "set", Self::DEV, "up"])
            .map(drop)
    }
}

/// How long after arming the carrier is taken: time for the kernel to
/// run the arming change's batch, which opens the window.
const ARM_LEAD: Duration = Duration::from_millis(100);

/// How long the kernel may hold a carrier notice back (its window is one
/// second), with room to spare.
const NOTICE_WITHIN: Duration = Duration::from_secs(3);

/// The three series of carrier losses.
pub struct CarrierResults {
    /// On [`VICTIM`], whose carrier notices the kernel sends at once.
    pub at_once: Detection,
    /// On an extra WAN whose notices the kernel holds back, as for a
    /// physical port ([`CarrierNotice::LikeAPort`]), each loss shortly after
    /// another non-urgent change: the agent's carrier poll must see it.
    pub held_back: Detection,
    /// The same with the agent's carrier poll off: what the poll saves.
    pub held_back_no_poll: Detection,
}

/// Carrier losses with the default profile: `runs` of each of the first
/// two kinds of [`CarrierResults`], `runs_no_poll` of the third.
pub fn carrier(
    lab: &Lab,
    mpwan: &Path,
    runs: usize,
    runs_no_poll: usize,
) -> Result<CarrierResults> {
    let port = lab.add_extra_wan_with(PORT_WAN, CarrierNotice::LikeAPort)?;
    let arming = Arming::create(lab)?;
    let mut all = both();
    all.push(port.name());
    let at_once = CarrierVictim {
        name: VICTIM.name().to_string(),
        isp: VICTIM.isp(),
        isp_device: VICTIM.isp_device().to_string(),
        extra: None,
    };
    let like_a_port = CarrierVictim {
        name: port.name(),
        isp: port.isp(),
        isp_device: port.isp_device(),
        extra: Some(port),
    };
    let mut agent = carrier_agent(lab, mpwan, port, "carrier", "")?;
    let a = carrier_series(
        lab,
        &mut agent,
        &all,
        &at_once,
        None,
        runs,
        "notice at once",
    )?;
    let held = Some(&arming);
    let b = carrier_series(lab, &mut agent, &all, &like_a_port, held, runs, "held back")?;
    drop(agent);
    let no_poll = "carrier_poll = \"0s\"\n";
    let mut agent = carrier_agent(lab, mpwan, port, "carrier-no-poll", no_poll)?;
    let label = "held back, poll off";
    let c = carrier_series(
        lab,
        &mut agent,
        &all,
        &like_a_port,
        held,
        runs_no_poll,
        label,
    )?;
    Ok(CarrierResults {
        at_once: a,
        held_back: b,
        held_back_no_poll: c,
    })
}

/// An agent with the default profile on both WANs and `port`, with
/// `agent_lines` in `[agent]`.
fn carrier_agent(
    lab: &Lab,
    mpwan: &Path,
    port: ExtraWan,
    name: &str,
    agent_lines: &str,
) -> Result<BenchAgent> {
    let opts = AgentConfigOptions {
        agent: agent_lines.to_string(),
        ..options(&Profile::DEFAULT)
    };
    let paths = lab.write_agent_config(&lab.dir().join(name), &opts)?;
    let wan_file = paths
        .config_dir
        .join("wan.d")
        .join(format!("{}.toml", port.name()));
    std::fs::write(&wan_file, extra_wan_file(port))
        .with_context(|| format!("writing {}", wan_file.display()))?;
    BenchAgent::start(lab, mpwan, &paths, name, None)
}

/// The extra WAN whose carrier notices are held back.
const PORT_WAN: u8 = 5;

/// An extra WAN's file with the probes of the regular ones: three IPv4
/// and three IPv6 ICMP targets, DNS, HTTP.
fn extra_wan_file(wan: ExtraWan) -> String {
    let targets: Vec<String> = addr::ICMP_V4
        .iter()
        .map(|a| format!("\"{a}\""))
        .chain(addr::ICMP_V6.iter().map(|a| format!("\"{a}\"")))
        .collect();
    format!(
        "interface = \"{}\"\n\n[[probe]]\nmethod = \"icmp\"\ntargets = [{}]\n\n\
         [[probe]]\nmethod = \"dns\"\nserver = \"{}\"\nname = \"{}\"\n\n\
         [[probe]]\nmethod = \"http\"\nurl = \"{}\"\nexpect_status = 204\n\n\
         [mptcp]\nid = {}\nflags = [\"subflow\"]\n",
        wan.device(),
        targets.join(", "),
        addr::DNS_V4,
        addr::DNS_NAME,
        addr::http_url_v4(),
        wan.mptcp_id()
    )
}

fn carrier_series(
    lab: &Lab,
    agent: &mut BenchAgent,
    all: &[String],
    victim: &CarrierVictim,
    arming: Option<&Arming>,
    runs: usize,
    label: &str,
) -> Result<Detection> {
    let (dev, gw_dev) = (victim.isp_device.as_str(), victim.name.as_str());
    let mut isp_side = LinkMonitor::start(lab, victim.isp, dev)?;
    let mut gw_side = LinkMonitor::start(lab, Role::Gw, gw_dev)?;
    let isp = lab.ns(victim.isp);
    let mut d = Detection::default();
    for run in 1..=runs {
        agent.wait_up(all)?;
        std::thread::sleep(random_phase(Profile::DEFAULT.interval));
        agent.skip_log()?;
        isp_side.skip()?;
        gw_side.skip()?;
        if let Some(arming) = arming {
            arming.fire(lab)?;
            std::thread::sleep(ARM_LEAD);
        }
        let before = wall_now();
        isp.run(&["ip", "link", "set", dev, "down"])?;
        let returned = wall_now();
        let change = isp_side.next(dev, STEP, |c| !c.up)?;
        let start = outage_start(before, change.at, returned, "the link-down notice")?;
        let down = await_down(agent, &victim.name)?;
        check_carrier_reason(agent, &victim.name)?;
        let took = d.since(start, down.at)?;
        let notice = gw_side.next(gw_dev, NOTICE_WITHIN, |c| !c.carrier)?;
        let notice_after = notice.at.duration_since(start).unwrap_or_default();
        eprintln!(
            "  carrier loss, {label}, run {run}/{runs}: {} (the kernel's notice in gw after {})",
            ms(took),
            ms(notice_after)
        );
        d.samples.push(took);
        d.notices.push(notice_after);
        d.commands
            .push(returned.duration_since(before).unwrap_or_default());
        victim.restore(lab)?;
        if let Some(arming) = arming {
            arming.reset(lab)?;
        }
    }
    Ok(d)
}

/// The WAN must be down for its carrier, not for failed probe rounds:
/// otherwise this measured something else.
fn check_carrier_reason(agent: &BenchAgent, name: &str) -> Result<()> {
    let s = agent.status()?;
    let wan = wan_entry(&s, name)?;
    let families = wan["families"].as_array().context("no families")?;
    for f in families {
        if f["reason"] != "carrier lost" {
            bail!("{name} is down for another reason: {f}");
        }
    }
    Ok(())
}
