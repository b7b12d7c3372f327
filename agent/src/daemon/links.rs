//! One rtnetlink link watcher for the whole agent, fanned out to every WAN
//! task. A WAN that starts later (a reload) first gets the current state of
//! every link and address, then the changes, as if it had watched from the
//! start.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use mpwan_tracker::link::{LinkEvent, LinkWatcher};
use tokio::sync::mpsc;

/// Room for link events a WAN task has not taken yet. Link events are rare
/// (carrier and address changes); a full queue means the task is stuck,
/// and its event is dropped with a warning rather than stalling the rest.
pub const WAN_LINK_QUEUE: usize = 256;

/// Hands out link-event feeds.
#[derive(Debug, Clone)]
pub struct LinkHub {
    commands: mpsc::UnboundedSender<Command>,
}

enum Command {
    /// A new subscriber.
    Subscribe(mpsc::Sender<LinkEvent>),
    /// Poll the carrier of these devices every period (zero: do not).
    Poll(Vec<String>, Duration),
}

impl LinkHub {
    /// Starts the watcher task. Without rtnetlink (no permission, say) the
    /// WANs are still probed; only carrier loss goes unseen, and that is
    /// logged.
    pub fn spawn() -> LinkHub {
        let (commands, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx));
        LinkHub { commands }
    }

    /// A new feed: the current state, then every change.
    pub fn subscribe(&self) -> mpsc::Receiver<LinkEvent> {
        let (tx, rx) = mpsc::channel(WAN_LINK_QUEUE);
        let _ = self.commands.send(Command::Subscribe(tx));
        rx
    }

    /// Also reads the carrier of `devices` every `every` (zero: never), so
    /// that carrier loss is seen within `every` and not up to a second
    /// late, as the kernel's own notice can be.
    pub fn poll_carrier(&self, devices: Vec<String>, every: Duration) {
        let _ = self.commands.send(Command::Poll(devices, every));
    }
}

/// What is present now, to replay to a new subscriber.
#[derive(Default)]
struct Present {
    links: BTreeMap<u32, LinkEvent>,
    addrs: BTreeMap<(u32, IpAddr), LinkEvent>,
}

impl Present {
    fn apply(&mut self, ev: &LinkEvent) {
        match ev {
            LinkEvent::Link { ifindex, .. } => {
                self.links.insert(*ifindex, ev.clone());
            }
            LinkEvent::LinkRemoved { ifindex, .. } => {
                self.links.remove(ifindex);
                self.addrs.retain(|(i, _), _| i != ifindex);
            }
            LinkEvent::AddressAdded { ifindex, addr, .. } => {
                self.addrs.insert((*ifindex, *addr), ev.clone());
            }
            LinkEvent::AddressRemoved { ifindex, addr, .. } => {
                self.addrs.remove(&(*ifindex, *addr));
            }
        }
    }

    fn replay(&self) -> impl Iterator<Item = &LinkEvent> {
        self.links.values().chain(self.addrs.values())
    }
}

async fn run(mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut watcher = match LinkWatcher::new().await {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::error!(error = %e, "cannot watch links over rtnetlink: carrier loss will not be seen, probes still run");
            None
        }
    };
    let mut present = Present::default();
    let mut subscribers: Vec<mpsc::Sender<LinkEvent>> = Vec::new();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => return,
                Some(Command::Subscribe(sub)) => {
                    for ev in present.replay() {
                        let _ = sub.try_send(ev.clone());
                    }
                    subscribers.push(sub);
                }
                Some(Command::Poll(devices, every)) => {
                    if let Some(w) = &mut watcher {
                        w.poll_carrier(devices, Some(every));
                    }
                }
            },
            ev = next(&mut watcher) => match ev {
                Ok(ev) => {
                    present.apply(&ev);
                    subscribers.retain(|s| match s.try_send(ev.clone()) {
                        Ok(()) => true,
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            tracing::warn!(event = ?ev, "a WAN task is not taking link events; one dropped");
                            true
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => false,
                    });
                }
                Err(e) => {
                    tracing::error!(error = %e, "the link watcher failed; carrier loss will not be seen");
                    watcher = None;
                }
            },
        }
    }
}

async fn next(
    watcher: &mut Option<LinkWatcher>,
) -> Result<LinkEvent, mpwan_tracker::link::LinkError> {
    match watcher {
        Some(w) => w.next().await,
        None => std::future::pending().await,
    }
}
