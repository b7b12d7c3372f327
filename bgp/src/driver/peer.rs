//! The task that runs one peer: the session's driver loop.

use std::collections::HashMap;
use std::net::IpAddr;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::{Instant, sleep_until};
use tracing::{debug, info, warn};

use super::conn::{ConnIo, IoEvent};
use super::error::DriverError;
use super::transport::TransportConfig;
use crate::session::{
    Action, ConnId, DownReason, Event, MessageCounts, NegotiatedSession, Session, SessionConfig,
    SessionStatus, StopKind,
};
use crate::wire::{Family, Message};

/// How many unread I/O reports may queue before readers wait.
const IO_QUEUE: usize = 64;

/// How long the task waits for its writers when it ends (each gives up
/// on its own after a few seconds; this bounds the whole).
const FINAL_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// What the agent tells a peer task.
#[derive(Debug)]
pub enum PeerCommand {
    /// Bring the session up again after a `Stop` (it starts by itself).
    Start,
    /// Take the session down, as `Event::Stop`.
    Stop(StopKind),
    /// Encode with the established session's codec and send (UPDATEs of
    /// the announcer). Dropped when no session is established.
    Send(Vec<Message>),
    /// Already-encoded messages (from `UpdatePacker`), sent as they are on
    /// the established session. Dropped when none is.
    SendRaw(Vec<u8>),
    /// The announcer wrote its whole table of this family.
    RoutesReady(Family),
    /// A connection the listener accepted from this peer's address.
    Inbound(TcpStream),
    /// Reply with a status snapshot.
    Status(oneshot::Sender<SessionStatus>),
}

/// What a peer task tells the agent, so it can drive its announcer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerEvent {
    /// The session is up: announce on it, then send `RoutesReady` per
    /// family.
    Established(NegotiatedSession),
    /// The session went down: stop announcing.
    Down {
        /// Why.
        reason: DownReason,
        /// The peer keeps our routes as stale.
        peer_keeps_routes: bool,
        /// We keep the peer's routes as stale.
        routes_retained: bool,
    },
    /// The peer's routes changed (ask for `Status` to see the counts).
    /// Dropped when the queue is full: the agent must not rely on getting
    /// one per change.
    RibChanged,
    /// The peer asked for our routes of this family again.
    RouteRefresh(Family),
}

/// One peer's driver: the session and the sockets it speaks through.
struct PeerDriver {
    /// The sans-IO session.
    session: Session,
    /// Port, source address, MD5 and GTSM.
    transport: TransportConfig,
    /// The live connections by id.
    conns: HashMap<ConnId, ConnIo>,
    /// The next connection number.
    next_conn: u64,
    /// The outbound connect under way, if any.
    connecting: Option<AbortHandle>,
    /// The reader and writer tasks and the connect attempt; all aborted
    /// when the driver is dropped.
    tasks: JoinSet<()>,
    /// Where I/O tasks report.
    io_tx: mpsc::Sender<IoEvent>,
    /// Connect results: the attempt number and the stream.
    connect_tx: mpsc::Sender<(u64, Result<TcpStream, DriverError>)>,
    /// The number of the current connect attempt; results of older ones
    /// are dropped.
    attempt: u64,
    /// Where the agent hears about the session.
    events_out: mpsc::Sender<PeerEvent>,
    /// Messages and GR events, added to each status snapshot.
    counts: MessageCounts,
    /// ROUTE-REFRESH requests not yet handed to the agent for want of
    /// room in `events_out`, one per family: a burst of requests must not
    /// stop this task (its `Status` answers included), and repeated
    /// requests of one family need one answer.
    refresh_wanted: Vec<Family>,
}

/// Runs one peer until `commands` closes: starts the session, connects,
/// accepts what the listener hands over, and reports to `events_out`.
/// When `commands` closes the session is stopped with a Hard Reset unless
/// it was stopped already (send `Stop(Graceful)` first for a restart).
/// Events are sent with backpressure (except `RibChanged`, dropped when
/// the queue is full, and `RouteRefresh`, held back and merged per family
/// while it is): the agent must keep receiving `events_out`, or the peer
/// task (its keepalives included) waits.
/// Fails at once on an invalid `cfg` or `transport`; socket errors later
/// on are reported to the session as failed or closed connections.
pub async fn run_peer(
    cfg: SessionConfig,
    transport: TransportConfig,
    commands: mpsc::Receiver<PeerCommand>,
    events_out: mpsc::Sender<PeerEvent>,
) -> Result<(), DriverError> {
    transport.validate()?;
    let session = Session::new(cfg)?;
    let (io_tx, io_rx) = mpsc::channel(IO_QUEUE);
    let (connect_tx, connect_rx) = mpsc::channel(4);
    let mut driver = PeerDriver {
        session,
        transport,
        conns: HashMap::new(),
        next_conn: 0,
        connecting: None,
        tasks: JoinSet::new(),
        io_tx,
        connect_tx,
        attempt: 0,
        events_out,
        counts: MessageCounts::default(),
        refresh_wanted: Vec::new(),
    };
    driver.run(commands, io_rx, connect_rx).await;
    Ok(())
}

impl PeerDriver {
    async fn run(
        &mut self,
        mut commands: mpsc::Receiver<PeerCommand>,
        mut io_rx: mpsc::Receiver<IoEvent>,
        mut connect_rx: mpsc::Receiver<(u64, Result<TcpStream, DriverError>)>,
    ) {
        let peer = self.session.config().peer_addr;
        info!(%peer, "peer task started");
        self.feed(Event::Start).await;
        loop {
            // Reap finished I/O tasks so the set does not grow.
            while self.tasks.try_join_next().is_some() {}
            let deadline = self.session.next_deadline().map(Instant::from_std);
            let events_out = self.events_out.clone();
            tokio::select! {
                Ok(permit) = events_out.reserve(), if !self.refresh_wanted.is_empty() => {
                    let family = self.refresh_wanted.remove(0);
                    permit.send(PeerEvent::RouteRefresh(family));
                }
                () = sleep_until_opt(deadline) => self.feed(Event::Tick).await,
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd).await,
                    None => break,
                },
                Some(io) = io_rx.recv() => self.io(io).await,
                Some((attempt, res)) = connect_rx.recv() => self.connected(attempt, res).await,
            }
        }
        if self.session.state() != crate::session::State::Idle {
            self.feed(Event::Stop(StopKind::HardReset)).await;
        }
        // Let the writers get the NOTIFICATIONs out (each gives up after
        // a few seconds), then end.
        for (_, c) in self.conns.drain() {
            c.close();
        }
        if let Some(c) = self.connecting.take() {
            c.abort();
        }
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(FINAL_GRACE, drain).await;
        info!(%peer, "peer task ended");
    }

    async fn command(&mut self, cmd: PeerCommand) {
        match cmd {
            PeerCommand::Start => self.feed(Event::Start).await,
            PeerCommand::Stop(kind) => self.feed(Event::Stop(kind)).await,
            PeerCommand::RoutesReady(family) => self.feed(Event::RoutesReady(family)).await,
            PeerCommand::Send(msgs) => {
                let Some(conn) = self.session.negotiated().map(|n| n.conn) else {
                    debug!("no established session: messages dropped");
                    return;
                };
                for m in msgs {
                    self.send(conn, &m);
                }
            }
            PeerCommand::SendRaw(bytes) => {
                let conn = self.session.negotiated().map(|n| n.conn);
                match conn.and_then(|c| self.conns.get(&c)) {
                    Some(io) => {
                        self.counts.sent_raw(&bytes);
                        io.write(bytes);
                    }
                    None => debug!("no established session: frames dropped"),
                }
            }
            PeerCommand::Inbound(stream) => self.inbound(stream).await,
            PeerCommand::Status(reply) => {
                let mut status = self.session.status(Instant::now().into_std());
                status.messages = self.counts;
                let _ = reply.send(status);
            }
        }
    }

    async fn inbound(&mut self, stream: TcpStream) {
        let peer = self.session.config().peer_addr;
        if let Err(e) = self.transport.adopt(&stream, peer) {
            warn!(%peer, error = %e, "inbound connection refused");
            return;
        }
        let id = self.new_conn(stream);
        self.feed(Event::TcpConnected {
            conn: id,
            outbound: false,
        })
        .await;
    }

    async fn connected(&mut self, attempt: u64, res: Result<TcpStream, DriverError>) {
        if attempt != self.attempt || self.connecting.is_none() {
            return;
        }
        self.connecting = None;
        match res {
            Ok(stream) => {
                let id = self.new_conn(stream);
                self.feed(Event::TcpConnected {
                    conn: id,
                    outbound: true,
                })
                .await;
            }
            Err(e) => {
                debug!(peer = %self.session.config().peer_addr, error = %e, "connect failed");
                self.feed(Event::TcpFailed).await;
            }
        }
    }

    fn new_conn(&mut self, stream: TcpStream) -> ConnId {
        self.next_conn = self.next_conn.wrapping_add(1);
        let id = ConnId(self.next_conn);
        let send_hold = (self.transport).send_hold(self.session.config().hold_time);
        let io = ConnIo::start(id, stream, self.io_tx.clone(), &mut self.tasks, send_hold);
        self.conns.insert(id, io);
        id
    }

    async fn io(&mut self, io: IoEvent) {
        match io {
            IoEvent::Closed(id) => {
                if let Some(c) = self.conns.remove(&id) {
                    c.close();
                    self.feed(Event::TcpClosed(id)).await;
                }
            }
            IoEvent::Data(id, data) => {
                let Some(c) = self.conns.get_mut(&id) else {
                    return;
                };
                c.buf.extend_from_slice(&data);
                self.frames(id).await;
            }
        }
    }

    /// Decodes and feeds every whole frame buffered on `id`, one at a
    /// time: the codec can change with each message handled.
    async fn frames(&mut self, id: ConnId) {
        loop {
            let codec = self.session.codec(id);
            let Some(c) = self.conns.get_mut(&id) else {
                return;
            };
            let event = match Message::frame_len(&c.buf, &codec) {
                Ok(None) => return,
                Ok(Some(len)) if len > c.buf.len() => return,
                Ok(Some(len)) => {
                    let frame: Vec<u8> = c.buf.drain(..len).collect();
                    self.counts.received_frame(&frame);
                    match Message::decode(&frame, &codec) {
                        Ok(m) => {
                            self.counts.received(&m);
                            Event::Message(id, m)
                        }
                        Err(e) => Event::DecodeError(id, e),
                    }
                }
                Err(e) => {
                    // A bad header: nothing after it can be framed.
                    c.buf.clear();
                    Event::DecodeError(id, e)
                }
            };
            self.feed(event).await;
        }
    }

    /// Feeds one event and performs the actions in order.
    async fn feed(&mut self, event: Event) {
        let now = Instant::now().into_std();
        let actions = self.session.handle(event, now);
        for a in actions {
            self.perform(a).await;
        }
    }

    async fn perform(&mut self, action: Action) {
        let peer = self.session.config().peer_addr;
        match action {
            Action::Connect => self.connect(),
            Action::AbortConnect => {
                if let Some(c) = self.connecting.take() {
                    c.abort();
                }
            }
            Action::Send(conn, msg) => self.send(conn, &msg),
            Action::Close(conn) => {
                if let Some(c) = self.conns.remove(&conn) {
                    c.close();
                }
            }
            Action::Established(n) => {
                info!(%peer, conn = %n.conn, "established");
                self.counts.established = self.counts.established.saturating_add(1);
                self.emit(PeerEvent::Established(n)).await;
            }
            Action::Down {
                reason,
                peer_keeps_routes,
                routes_retained,
            } => {
                info!(%peer, %reason, "down");
                if routes_retained {
                    self.counts.peer_restarts = self.counts.peer_restarts.saturating_add(1);
                }
                self.emit(PeerEvent::Down {
                    reason,
                    peer_keeps_routes,
                    routes_retained,
                })
                .await;
            }
            // A hint, not news: the agent reads the counts with `Status`.
            // Waiting for room here deadlocked with an agent waiting for
            // this task's `Status` answer while a peer flooded UPDATEs (one
            // hint each); when the queue is full, the agent has events to
            // look at already.
            Action::RibChanged => {
                let _ = self.events_out.try_send(PeerEvent::RibChanged);
            }
            Action::RouteRefresh(f) => {
                if !self.refresh_wanted.contains(&f) {
                    self.refresh_wanted.push(f);
                }
                while let Some(&family) = self.refresh_wanted.first() {
                    if self
                        .events_out
                        .try_send(PeerEvent::RouteRefresh(family))
                        .is_err()
                    {
                        break; // full: the run loop hands it over later
                    }
                    self.refresh_wanted.remove(0);
                }
            }
        }
    }

    fn connect(&mut self) {
        if let Some(c) = self.connecting.take() {
            c.abort();
        }
        self.attempt = self.attempt.wrapping_add(1);
        let attempt = self.attempt;
        let transport = self.transport.clone();
        let peer: IpAddr = self.session.config().peer_addr;
        let tx = self.connect_tx.clone();
        self.connecting = Some(self.tasks.spawn(async move {
            let res = transport.connect(peer).await;
            let _ = tx.send((attempt, res)).await;
        }));
    }

    fn send(&mut self, conn: ConnId, msg: &Message) {
        let Some(io) = self.conns.get(&conn) else {
            return;
        };
        let mut buf = Vec::new();
        match msg.encode(&self.session.codec(conn), &mut buf) {
            Ok(()) => {
                self.counts.sent(msg);
                io.write(buf);
            }
            Err(e) => {
                warn!(peer = %self.session.config().peer_addr, error = %e, "message not encodable, dropped")
            }
        }
    }

    async fn emit(&self, event: PeerEvent) {
        // The agent going away is not the peer's problem: keep running.
        let _ = self.events_out.send(event).await;
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => sleep_until(d).await,
        None => std::future::pending().await,
    }
}
