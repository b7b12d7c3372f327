//! The driver: one rtnetlink socket subscribed to link and address changes,
//! and the dumps that (re)build what it knows.

use std::collections::VecDeque;
use std::time::Duration;

use futures_channel::mpsc::UnboundedReceiver;
use futures_util::{StreamExt, TryStreamExt};
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{AsyncSocket, SocketAddr};
use rtnetlink::{Handle, MulticastGroup};
use tokio::task::JoinHandle;

use super::decode::{self, Address, Change, LinkState};
use super::poll::CarrierPoll;
use super::table::LinkTable;
use super::{LinkError, LinkEvent};

/// Receive buffer of the netlink socket. The kernel does not wait for us:
/// when the buffer is full, messages are lost (and we must dump again).
/// The default (about 200 KiB) holds a few hundred link messages; a
/// router bringing many VLANs or tunnels up at once can send more. The
/// kernel caps it at net.core.rmem_max.
const RECEIVE_BUFFER: usize = 1 << 20;

/// Streams link and address events of the network namespace it was
/// created in. Create it inside a tokio runtime; it spawns the netlink
/// connection's task and aborts it when dropped.
#[derive(Debug)]
pub struct LinkWatcher {
    /// Sends the dumps.
    handle: Handle,
    /// Multicast messages, in kernel order; unbounded, so a slow consumer
    /// never makes the connection task drop any.
    messages: UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>,
    /// The netlink-proto connection task.
    connection: JoinHandle<()>,
    /// What is known, to report changes only.
    table: LinkTable,
    /// Events made but not yet taken by [`LinkWatcher::next`].
    pending: VecDeque<LinkEvent>,
    /// A dump is due: at start, and after the kernel dropped messages.
    /// Cleared only once a dump completed, so a `next` cancelled mid-dump
    /// starts it again.
    resync_due: bool,
    /// Devices whose carrier is also polled, if any.
    poll: Option<CarrierPoll>,
}

impl LinkWatcher {
    /// Subscribes to link and IPv4/IPv6 address changes, then dumps links
    /// and addresses: the first events describe what is present.
    /// Subscribing before dumping means no change is missed in between;
    /// changes made during the dump are reported after it, in order, so
    /// the events end on the current state.
    pub async fn new() -> Result<LinkWatcher, LinkError> {
        let groups = [
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
        ];
        let (mut connection, handle, messages) =
            rtnetlink::new_multicast_connection(&groups).map_err(LinkError::Socket)?;
        connection
            .socket_mut()
            .socket_mut()
            .set_rx_buf_sz(RECEIVE_BUFFER)
            .map_err(LinkError::Socket)?;
        let connection = tokio::spawn(connection);
        let mut watcher = LinkWatcher {
            handle,
            messages,
            connection,
            table: LinkTable::default(),
            pending: VecDeque::new(),
            resync_due: true,
            poll: None,
        };
        watcher.resync().await?;
        Ok(watcher)
    }

    /// The next event. Cancel-safe: an event is taken only when returned.
    /// A carrier change reaches the caller as soon as the kernel sends it:
    /// nothing here waits or batches.
    pub async fn next(&mut self) -> Result<LinkEvent, LinkError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            if self.resync_due {
                self.resync().await?;
                continue;
            }
            let woke = match &mut self.poll {
                None => Woke::Message(self.messages.next().await),
                Some(poll) => tokio::select! {
                    m = self.messages.next() => Woke::Message(m),
                    () = poll.tick() => Woke::Poll,
                },
            };
            let message = match woke {
                Woke::Message(Some((message, _))) => message,
                Woke::Message(None) => return Err(LinkError::Closed),
                Woke::Poll => {
                    self.poll_now().await;
                    continue;
                }
            };
            match message.payload {
                NetlinkPayload::InnerMessage(m) => {
                    if let Some(change) = decode::decode(&m) {
                        let mut out = Vec::new();
                        self.table.apply(change, &mut out);
                        self.pending.extend(out);
                    }
                }
                NetlinkPayload::Overrun(_) => {
                    tracing::warn!("rtnetlink messages lost (receive buffer full): dumping again");
                    self.resync_due = true;
                }
                _ => {}
            }
        }
    }

    /// Also asks the kernel for the carrier of `devices` every `every`
    /// (`None`: stop), for a carrier loss within about `every` even when
    /// the kernel's own notification comes up to a second late. Costs one
    /// small netlink request per device per interval; the changes it finds
    /// come as the same [`LinkEvent::Link`] events, reported once.
    pub fn poll_carrier(&mut self, devices: Vec<String>, every: Option<Duration>) {
        self.poll = every
            .filter(|e| !e.is_zero())
            .map(|e| CarrierPoll::new(devices, e));
    }

    async fn poll_now(&mut self) {
        let Some(poll) = &self.poll else { return };
        let states = poll.poll(&self.handle).await;
        let mut out = Vec::new();
        for state in states {
            self.table.apply(Change::Link(state), &mut out);
        }
        self.pending.extend(out);
    }

    /// Dumps links and addresses and queues the differences to what is
    /// known.
    async fn resync(&mut self) -> Result<(), LinkError> {
        let mut links: Vec<LinkState> = Vec::new();
        let mut dump = self.handle.link().get().execute();
        while let Some(m) = dump.try_next().await.map_err(|source| LinkError::Dump {
            what: "links",
            source,
        })? {
            links.extend(decode::link_state(&m));
        }
        let mut addrs: Vec<Address> = Vec::new();
        let mut dump = self.handle.address().get().execute();
        while let Some(m) = dump.try_next().await.map_err(|source| LinkError::Dump {
            what: "addresses",
            source,
        })? {
            addrs.extend(decode::address(&m));
        }
        let mut out = Vec::new();
        self.table.resync(links, addrs, &mut out);
        self.pending.extend(out);
        self.resync_due = false;
        Ok(())
    }
}

impl Drop for LinkWatcher {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

/// What woke [`LinkWatcher::next`].
enum Woke {
    Message(Option<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>),
    Poll,
}
