//! The MPTCP part of the agent: turns WAN-family states and the WAN
//! devices' addresses into slot inputs for the `mpwan-mptcp` reconciler,
//! which keeps the kernel's endpoints in step.
//!
//! ```text
//!  Supervisor ── family_state(wan, family, state) ──┐
//!  LinkHub ── link events (addresses, ifindex) ─────┤ feeder task
//!                                                   ▼
//!                            SlotInput ──> mpwan_mptcp::reconcile::run ──> kernel
//!                                                   │
//!  Supervisor <── watch<Vec<SlotStatus>> ───────────┘ (status: present, flags, subflows)
//! ```
//!
//! A slot is one endpoint: `<wan>/ipv4` (the WAN's `[mptcp] id`) and, when
//! `id6` is set, `<wan>/ipv6`. Each follows its own family's state: up ->
//! present with the configured flags, degraded -> present with `backup`,
//! anything else -> absent. The tracker already applied the hold-down, so a
//! recovered WAN's endpoint comes back only once it has proven itself.

use std::collections::BTreeMap;

use mpwan_mptcp::reconcile::{self, ReconcileParams, SlotInput, SlotSpec, SlotStatus, Usable};
use mpwan_mptcp::{EndpointFlags, Limits, PmClient};
use mpwan_tracker::link::{DeviceChange, DeviceView, LinkEvent};
use mpwan_tracker::{Family, HealthState};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, EndpointFlag};

use super::links::LinkHub;

/// A family state change for the feeder.
#[derive(Debug, Clone)]
struct FamilyState {
    wan: String,
    family: Family,
    state: HealthState,
}

/// The running MPTCP part.
pub struct MptcpPart {
    states: mpsc::UnboundedSender<FamilyState>,
    /// Every change of the slots' status, for `mpwan status`.
    pub status: watch::Receiver<Vec<SlotStatus>>,
    feeder: JoinHandle<()>,
    driver: JoinHandle<()>,
    /// What it was started with (slots and their devices), to tell on
    /// reload whether it must restart.
    slots: Vec<(SlotSpec, String)>,
    limits: Limits,
}

/// The slot key of a WAN's family endpoint.
pub fn slot_key(wan: &str, family: Family) -> String {
    match family {
        Family::V4 => format!("{wan}/ipv4"),
        Family::V6 => format!("{wan}/ipv6"),
    }
}

/// The slots `config` asks for: one per configured endpoint id.
pub fn slots_of(config: &Config) -> Vec<(SlotSpec, String)> {
    let mut slots = Vec::new();
    for wan in config.wans.values() {
        let Some(m) = &wan.mptcp else { continue };
        let flags = m.flags.iter().fold(EndpointFlags::empty(), |f, x| {
            f | match x {
                EndpointFlag::Signal => EndpointFlags::SIGNAL,
                EndpointFlag::Subflow => EndpointFlags::SUBFLOW,
                EndpointFlag::Backup => EndpointFlags::BACKUP,
                EndpointFlag::Fullmesh => EndpointFlags::FULLMESH,
            }
        });
        let ids = [(Family::V4, Some(m.id)), (Family::V6, m.id6)];
        for (family, id) in ids {
            let Some(id) = id else { continue };
            let spec = SlotSpec {
                key: slot_key(&wan.name, family),
                id,
                family: match family {
                    Family::V4 => reconcile::Family::V4,
                    Family::V6 => reconcile::Family::V6,
                },
                base_flags: flags,
            };
            slots.push((spec, wan.interface.clone()));
        }
    }
    slots
}

fn limits_of(config: &Config) -> Limits {
    Limits {
        subflows: u32::from(config.mptcp.subflows),
        add_addr_accepted: u32::from(config.mptcp.add_addr_accepted),
    }
}

impl MptcpPart {
    /// Starts the part, or returns None when `[mptcp] enabled = false` or
    /// no WAN has an endpoint.
    pub fn start(config: &Config, hub: &LinkHub) -> Option<MptcpPart> {
        if !config.mptcp.enabled {
            return None;
        }
        let slots = slots_of(config);
        if slots.is_empty() {
            return None;
        }
        let limits = limits_of(config);
        let params = ReconcileParams {
            limits: Some(limits),
            ..ReconcileParams::default()
        };
        let (inputs, inputs_rx) = mpsc::channel(64);
        let (status_tx, status) = watch::channel(Vec::new());
        let driver_specs: Vec<SlotSpec> = slots.iter().map(|(s, _)| s.clone()).collect();
        let started_with = slots.clone();
        let driver = tokio::spawn(async move {
            if let Err(e) = reconcile::run(driver_specs, params, inputs_rx, status_tx).await {
                // The configuration loader checks ids and counts first.
                tracing::error!(error = %e, "cannot manage MPTCP endpoints");
            }
        });
        let (states, states_rx) = mpsc::unbounded_channel();
        let feeder = tokio::spawn(feed(slots, hub.subscribe(), states_rx, inputs));
        Some(MptcpPart {
            states,
            status,
            feeder,
            driver,
            slots: started_with,
            limits,
        })
    }

    /// Whether `config` asks for the same slots and limits this part runs.
    pub fn serves(&self, config: &Config) -> bool {
        config.mptcp.enabled && slots_of(config) == self.slots && limits_of(config) == self.limits
    }

    /// Ends the part after a reload and deletes the endpoints of slots the
    /// new configuration `next` no longer has (a WAN removed, or MPTCP
    /// turned off): ids it still uses the next part adopts, and ids that
    /// were never ours stay untouched.
    pub fn retire(self, next: &Config) {
        let keep: Vec<u8> = if next.mptcp.enabled {
            slots_of(next).iter().map(|(s, _)| s.id).collect()
        } else {
            Vec::new()
        };
        let gone: Vec<u8> = self
            .slots
            .iter()
            .map(|(s, _)| s.id)
            .filter(|id| !keep.contains(id))
            .collect();
        drop(self);
        if gone.is_empty() {
            return;
        }
        tokio::spawn(async move {
            let client = match PmClient::new() {
                Ok((client, connection)) => {
                    tokio::spawn(connection);
                    client
                }
                Err(e) => {
                    tracing::warn!(error = %e, ?gone, "cannot remove the endpoints of removed WANs");
                    return;
                }
            };
            for id in gone {
                match client.del_endpoint(id).await {
                    Ok(true) => tracing::info!(id, "MPTCP endpoint of a removed WAN deleted"),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(id, error = %e, "cannot delete the MPTCP endpoint of a removed WAN")
                    }
                }
            }
        });
    }

    /// A WAN family changed state.
    pub fn family_state(&self, wan: &str, family: Family, state: HealthState) {
        let _ = self.states.send(FamilyState {
            wan: wan.to_string(),
            family,
            state,
        });
    }
}

impl Drop for MptcpPart {
    /// Stops feeding; endpoints stay in the kernel as they are (a restart
    /// adopts them, a stop leaves the routing the operator had).
    fn drop(&mut self) {
        self.feeder.abort();
        self.driver.abort();
    }
}

/// One slot as the feeder follows it.
struct Fed {
    device: String,
    family: Family,
    /// None until the family's state is first decided (not `init`): until
    /// then the reconciler leaves the kernel's endpoint as it is, so a
    /// restarted agent does not tear down live subflows while its tracker
    /// is still starting.
    usable: Option<Usable>,
}

/// Keeps every slot's input current: its family's state, its device's
/// index and address of that family.
async fn feed(
    slots: Vec<(SlotSpec, String)>,
    mut links: mpsc::Receiver<LinkEvent>,
    mut states: mpsc::UnboundedReceiver<FamilyState>,
    inputs: mpsc::Sender<SlotInput>,
) {
    let mut fed: BTreeMap<String, Fed> = slots
        .into_iter()
        .map(|(spec, device)| {
            let family = match spec.family {
                reconcile::Family::V4 => Family::V4,
                reconcile::Family::V6 => Family::V6,
            };
            let slot = Fed {
                device,
                family,
                usable: None,
            };
            (spec.key, slot)
        })
        .collect();
    let mut devices: BTreeMap<String, DeviceView> = fed
        .values()
        .map(|s| (s.device.clone(), DeviceView::default()))
        .collect();
    loop {
        let changed: Vec<String> = tokio::select! {
            ev = links.recv() => {
                let Some(ev) = ev else { return };
                let mut touched = Vec::new();
                for (name, view) in devices.iter_mut() {
                    if view.apply(name, &ev) != DeviceChange::None {
                        touched.push(name.clone());
                    }
                }
                fed.iter()
                    .filter(|(_, s)| touched.contains(&s.device))
                    .map(|(k, _)| k.clone())
                    .collect()
            }
            st = states.recv() => {
                let Some(st) = st else { return };
                let key = slot_key(&st.wan, st.family);
                match fed.get_mut(&key) {
                    Some(slot) => {
                        slot.usable = match st.state {
                            HealthState::Up => Some(Usable::Up),
                            HealthState::Degraded => Some(Usable::Degraded),
                            HealthState::Down => Some(Usable::Absent),
                            HealthState::Init => slot.usable,
                        };
                        vec![key]
                    }
                    None => Vec::new(),
                }
            }
        };
        for key in changed {
            let Some(slot) = fed.get(&key) else { continue };
            let Some(usable) = slot.usable else { continue };
            let view = devices.get(&slot.device).cloned().unwrap_or_default();
            let input = SlotInput {
                key,
                usable,
                addr: view.source(slot.family),
                ifindex: view.ifindex,
            };
            if inputs.send(input).await.is_err() {
                return;
            }
        }
    }
}
