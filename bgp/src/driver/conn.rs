//! One TCP connection's I/O: a reader task that forwards raw bytes to the
//! peer task (framing needs the session's codec, so it happens there) and
//! a writer task that drains a queue of encoded messages.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::session::ConnId;

/// How long a closing connection may take to get its last bytes (a
/// NOTIFICATION) out before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// The largest read at once; a BGP message is at most 65535 bytes.
const READ_CHUNK: usize = 16 * 1024;

/// What the I/O tasks report to the peer task.
#[derive(Debug)]
pub(crate) enum IoEvent {
    /// Bytes arrived on the connection.
    Data(ConnId, Vec<u8>),
    /// The peer closed, the connection reset, or a write failed.
    Closed(ConnId),
}

/// What the writer task is asked to do.
enum WriteCmd {
    /// Write these bytes.
    Bytes(Vec<u8>),
    /// Flush, send FIN, and end.
    Close,
}

/// The peer task's handle on one live connection.
pub(crate) struct ConnIo {
    /// The writer's queue (unbounded: the session and the announcer pace
    /// themselves, and a stalled peer is caught by its hold timer).
    writer: mpsc::UnboundedSender<WriteCmd>,
    /// Stops the reader when the session closes the connection.
    reader: AbortHandle,
    /// Bytes received and not yet framed.
    pub buf: Vec<u8>,
}

impl ConnIo {
    /// Starts the reader and writer of `stream` in `tasks`.
    /// A write that makes no progress for `send_hold` closes the
    /// connection (RFC 9687).
    pub fn start(
        id: ConnId,
        stream: TcpStream,
        events: mpsc::Sender<IoEvent>,
        tasks: &mut JoinSet<()>,
        send_hold: Duration,
    ) -> ConnIo {
        let peer = stream.peer_addr().ok();
        let (rd, wr) = stream.into_split();
        let (tx, rx) = mpsc::unbounded_channel();
        let reader = tasks.spawn(read_loop(id, rd, events.clone()));
        let writer = Writer {
            id,
            peer,
            send_hold,
        };
        tasks.spawn(writer.run(wr, rx, events));
        ConnIo {
            writer: tx,
            reader,
            buf: Vec::new(),
        }
    }

    /// Queues encoded messages.
    pub fn write(&self, bytes: Vec<u8>) {
        // A send error means the writer ended after a failed write, which
        // it has reported as `Closed` already.
        let _ = self.writer.send(WriteCmd::Bytes(bytes));
    }

    /// Closes after what is queued has gone out; stops reading now.
    pub fn close(self) {
        self.reader.abort();
        let _ = self.writer.send(WriteCmd::Close);
    }
}

async fn read_loop(id: ConnId, mut rd: OwnedReadHalf, events: mpsc::Sender<IoEvent>) {
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        match rd.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let data = chunk.get(..n).unwrap_or_default().to_vec();
                // The channel is bounded: a slow session slows the reads,
                // and TCP pushes back on the peer.
                if events.send(IoEvent::Data(id, data)).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = events.send(IoEvent::Closed(id)).await;
}

/// The writer task's fixed part.
struct Writer {
    id: ConnId,
    /// For the log line of an expired send hold timer.
    peer: Option<std::net::SocketAddr>,
    send_hold: Duration,
}

impl Writer {
    async fn run(
        self,
        mut wr: OwnedWriteHalf,
        mut rx: mpsc::UnboundedReceiver<WriteCmd>,
        events: mpsc::Sender<IoEvent>,
    ) {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                WriteCmd::Bytes(b) => {
                    if !self.write(&mut wr, &b).await {
                        let _ = events.send(IoEvent::Closed(self.id)).await;
                        return;
                    }
                }
                WriteCmd::Close => {
                    let _ = tokio::time::timeout(CLOSE_GRACE, wr.shutdown()).await;
                    return;
                }
            }
        }
        // The peer task dropped the queue without Close: it is ending.
    }

    /// Writes all of `bytes`; false when the connection failed or made no
    /// progress for the send hold time (the peer stopped reading).
    async fn write(&self, wr: &mut OwnedWriteHalf, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        while !rest.is_empty() {
            match tokio::time::timeout(self.send_hold, wr.write(rest)).await {
                Ok(Ok(n)) if n > 0 => rest = rest.get(n..).unwrap_or_default(),
                Ok(_) => return false,
                Err(_) => {
                    tracing::warn!(
                        peer = ?self.peer,
                        send_hold = ?self.send_hold,
                        "send hold timer expired: the peer read nothing for that long; \
                         closing the connection (RFC 9687)"
                    );
                    return false;
                }
            }
        }
        true
    }
}
