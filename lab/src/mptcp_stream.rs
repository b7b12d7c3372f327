//! A long-lived MPTCP stream across the lab: a client in the gateway sends
//! a known byte pattern to a server in the internet namespace, which checks
//! every byte at its offset. A byte lost, repeated or corrupted on the way
//! (a subflow dying, a subflow rebuilt) shows up as a mismatch, so tests
//! can tell "the stream continued intact" from "it merely reconnected".
//! The client connects once and never reconnects: a subflow seen later on
//! the same token belongs to the same connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use socket2::{Domain, Protocol, Socket, Type};

use crate::addr;
use crate::lab::Lab;
use crate::role::Role;

/// IPPROTO_MPTCP.
const IPPROTO_MPTCP: i32 = 262;
/// Bytes per write, and the pause between writes: about 1.6 MB/s, enough
/// to keep every subflow busy without loading the machine.
const CHUNK: usize = 16 * 1024;
const PACE: Duration = Duration::from_millis(10);

/// The byte at `offset` of the stream.
pub fn pattern(offset: u64) -> u8 {
    let x = offset.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x.to_be_bytes()[0] ^ (offset as u8)
}

/// How far the stream got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes the client has written.
    pub sent: u64,
    /// Bytes the server has received and checked.
    pub verified: u64,
    /// The first problem seen (a wrong byte, an error), if any.
    pub error: Option<String>,
}

/// One subflow of the stream's connection, as `ss -tni` shows it in gw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subflow {
    /// Local address and port, e.g. `10.2.0.2%wan2:41234` or `10.1.0.2:5566`.
    pub local: String,
    pub remote: String,
}

/// The running stream; stopped and joined on drop.
pub struct MptcpStream {
    progress: Arc<Mutex<Progress>>,
    stop: Arc<AtomicBool>,
    client_port: u16,
    threads: Vec<JoinHandle<Result<Result<()>>>>,
}

/// An IPv4 MPTCP stream socket.
pub fn mptcp_socket() -> std::io::Result<Socket> {
    Socket::new(
        Domain::IPV4,
        Type::STREAM,
        Some(Protocol::from(IPPROTO_MPTCP)),
    )
}

impl MptcpStream {
    /// Starts the server on the lab's MPTCP address and `port`, connects
    /// the client from gw (through the main table's preferred WAN), and
    /// returns once the first bytes arrived checked.
    pub fn start(lab: &Lab, port: u16) -> Result<MptcpStream> {
        // The server must accept joins on every WAN's subflow.
        lab.ns(Role::Inet).run(&[
            "ip",
            "mptcp",
            "limits",
            "set",
            "subflows",
            "8",
            "add_addr_accepted",
            "8",
        ])?;
        let progress = Arc::new(Mutex::new(Progress::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let server_addr = SocketAddr::V4(SocketAddrV4::new(addr::MPTCP_V4, port));

        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let p = progress.clone();
        let s = stop.clone();
        let server = lab.ns(Role::Inet).spawn_thread("mptcp-server", move || {
            let listener = (|| -> std::io::Result<TcpListener> {
                let sock = mptcp_socket()?;
                sock.set_reuse_address(true)?;
                sock.bind(&server_addr.into())?;
                sock.listen(4)?;
                Ok(sock.into())
            })();
            let listener = match listener {
                Ok(l) => {
                    let _ = ready_tx.send(Ok(()));
                    l
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return Err(e).context("MPTCP listener");
                }
            };
            let (conn, _) = listener.accept().context("accepting the MPTCP client")?;
            serve(conn, &p, &s)
        })?;
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => bail!("the MPTCP server could not listen on {server_addr}: {e}"),
            Err(_) => bail!("the MPTCP server did not start"),
        }

        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let p = progress.clone();
        let s = stop.clone();
        let client = lab.ns(Role::Gw).spawn_thread("mptcp-client", move || {
            let conn = (|| -> std::io::Result<TcpStream> {
                let sock = mptcp_socket()?;
                sock.connect_timeout(&server_addr.into(), Duration::from_secs(10))?;
                Ok(sock.into())
            })();
            let conn = match conn {
                Ok(c) => c,
                Err(e) => {
                    let _ = port_tx.send(Err(e.to_string()));
                    return Err(e).context("connecting the MPTCP client");
                }
            };
            let _ = port_tx.send(
                conn.local_addr()
                    .map(|a| a.port())
                    .map_err(|e| e.to_string()),
            );
            send(conn, &p, &s)
        })?;
        let client_port = match port_rx.recv_timeout(Duration::from_secs(15)) {
            Ok(Ok(port)) => port,
            Ok(Err(e)) => bail!("the MPTCP client could not connect to {server_addr}: {e}"),
            Err(_) => bail!("the MPTCP client did not connect"),
        };
        let stream = MptcpStream {
            progress,
            stop,
            client_port,
            threads: vec![server, client],
        };
        stream.wait_verified(1, Duration::from_secs(15))?;
        Ok(stream)
    }

    pub fn progress(&self) -> Progress {
        self.progress.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Waits until at least `more` bytes beyond what is verified now have
    /// been checked; fails at once on a corrupted stream.
    pub fn wait_verified(&self, more: u64, within: Duration) -> Result<Progress> {
        let target = self.progress().verified.saturating_add(more);
        crate::wait::until("the MPTCP stream to move on", within, || {
            let p = self.progress();
            if let Some(e) = &p.error {
                return Err(anyhow::Error::new(crate::wait::Hopeless(format!(
                    "the MPTCP stream broke: {e}"
                ))));
            }
            if p.verified >= target {
                Ok(p)
            } else {
                bail!("{} of {target} bytes verified", p.verified)
            }
        })
    }

    /// The connection's token on the client side (`ss -Mni` in gw).
    pub fn token(&self, lab: &Lab) -> Result<String> {
        let out = lab.ns(Role::Gw).run(&["ss", "-Mni"])?;
        let mut lines = out.lines();
        while let Some(line) = lines.next() {
            if line.contains(&format!(":{} ", self.client_port))
                && let Some(info) = lines.next()
                && let Some(t) = info
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("token:"))
            {
                return Ok(t.to_string());
            }
        }
        bail!(
            "no MPTCP socket on local port {} in:\n{out}",
            self.client_port
        )
    }

    /// The TCP subflows of the connection with `token`, client side.
    pub fn subflows(&self, lab: &Lab, token: &str) -> Result<Vec<Subflow>> {
        let out = lab
            .ns(Role::Gw)
            .run(&["ss", "-tniH", "state", "established"])?;
        let mut subflows = Vec::new();
        let mut lines = out.lines().peekable();
        while let Some(line) = lines.next() {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // -H with a state filter: Recv-Q Send-Q Local Peer
            let (Some(local), Some(remote)) = (cols.get(2), cols.get(3)) else {
                continue;
            };
            let info = lines.peek().copied().unwrap_or("");
            let ours = info.contains("tcp-ulp-mptcp") && info.contains(&format!("/{token}("));
            if ours {
                subflows.push(Subflow {
                    local: local.to_string(),
                    remote: remote.to_string(),
                });
            }
        }
        Ok(subflows)
    }

    /// Stops both ends and reports the first error either saw.
    pub fn stop(mut self) -> Result<Progress> {
        self.halt()
    }

    fn halt(&mut self) -> Result<Progress> {
        self.stop.store(true, Ordering::SeqCst);
        for t in std::mem::take(&mut self.threads) {
            match t.join() {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) | Ok(Err(e)) => self.note(format!("{e:#}")),
                Err(_) => self.note("a stream thread panicked".into()),
            }
        }
        let p = self.progress();
        match &p.error {
            Some(e) => bail!("{e}"),
            None => Ok(p),
        }
    }

    fn note(&self, e: String) {
        if let Ok(mut p) = self.progress.lock()
            && p.error.is_none()
        {
            p.error = Some(e);
        }
    }
}

impl Drop for MptcpStream {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

/// Whether a read or write that failed with `e` is tried again: the
/// socket timeouts (which let the threads see `stop`), and EINTR, seen
/// once in the soak (the server's read, just as a subflow went with its
/// WAN's carrier).
fn retry(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock
            | std::io::ErrorKind::TimedOut
            | std::io::ErrorKind::Interrupted
    )
}

fn serve(mut conn: TcpStream, p: &Mutex<Progress>, stop: &AtomicBool) -> Result<()> {
    conn.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut buf = vec![0u8; CHUNK];
    let mut offset: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        let n = match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if retry(&e) => continue,
            Err(e) => return Err(e).context("server read"),
        };
        for (i, b) in buf[..n].iter().enumerate() {
            let at = offset.saturating_add(i as u64);
            if *b != pattern(at) {
                let msg = format!("byte {at} is {b:#04x}, expected {:#04x}", pattern(at));
                if let Ok(mut g) = p.lock() {
                    g.error.get_or_insert(msg.clone());
                }
                bail!(msg);
            }
        }
        offset = offset.saturating_add(n as u64);
        if let Ok(mut g) = p.lock() {
            g.verified = offset;
        }
    }
    Ok(())
}

fn send(mut conn: TcpStream, p: &Mutex<Progress>, stop: &AtomicBool) -> Result<()> {
    conn.set_write_timeout(Some(Duration::from_millis(500)))?;
    let mut offset: u64 = 0;
    let mut chunk = vec![0u8; CHUNK];
    while !stop.load(Ordering::SeqCst) {
        for (i, b) in chunk.iter_mut().enumerate() {
            *b = pattern(offset.saturating_add(i as u64));
        }
        let mut done = 0;
        while done < chunk.len() && !stop.load(Ordering::SeqCst) {
            match conn.write(&chunk[done..]) {
                Ok(n) => done = done.saturating_add(n),
                Err(e) if retry(&e) => {}
                Err(e) => return Err(e).context("client write"),
            }
        }
        offset = offset.saturating_add(done as u64);
        if let Ok(mut g) = p.lock() {
            g.sent = offset;
        }
        std::thread::sleep(PACE);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_not_periodic_in_a_chunk() {
        let a: Vec<u8> = (0..256).map(pattern).collect();
        let b: Vec<u8> = (256..512).map(pattern).collect();
        assert_ne!(a, b);
        assert_eq!(pattern(12345), pattern(12345));
    }
}
