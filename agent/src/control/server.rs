//! The daemon side of the control socket: accepts connections, checks the
//! caller's uid, reads one request line and hands it to the supervisor.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};

use super::protocol::{MAX_LINE, Request, Response};

/// A request waiting for the supervisor's answer.
#[derive(Debug)]
pub struct Pending {
    pub request: Request,
    pub reply: oneshot::Sender<Response>,
    /// Fires once the answer has been written, so the supervisor can stop or
    /// re-execute only after the client got its answer.
    pub written: oneshot::Receiver<()>,
}

/// Serves the socket until the supervisor drops its receiver.
pub async fn serve(listener: UnixListener, to_supervisor: mpsc::Sender<Pending>) {
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!(error = %e, "control socket: accept failed");
                // Running out of descriptors is the usual cause; do not spin.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let tx = to_supervisor.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(stream, tx).await {
                tracing::debug!(error = %e, "control connection ended");
            }
        });
    }
}

async fn handle(stream: UnixStream, tx: mpsc::Sender<Pending>) -> std::io::Result<()> {
    // Mode 0600 already keeps other users out; the uid check also refuses
    // them when someone loosened the mode or passed the descriptor on.
    let cred = stream.peer_cred()?;
    let me = nix::unistd::geteuid().as_raw();
    let (read, mut write) = stream.into_split();
    if cred.uid() != me && cred.uid() != 0 {
        tracing::warn!(
            uid = cred.uid(),
            "control socket: refused a connection from another user"
        );
        let answer = Response::Failed {
            message: "permission denied: not the agent's user".into(),
        };
        return write_line(&mut write, &answer).await;
    }
    let mut line = String::new();
    let mut reader = BufReader::new(read).take(MAX_LINE as u64);
    reader.read_line(&mut line).await?;
    let answer = match serde_json::from_str::<Request>(&line) {
        Ok(request) => {
            let (reply, answer) = oneshot::channel();
            let (ack, written) = oneshot::channel();
            let pending = Pending {
                request,
                reply,
                written,
            };
            if tx.send(pending).await.is_err() {
                drop(ack);
                Response::Failed {
                    message: "the agent is shutting down".into(),
                }
            } else {
                let answer = answer.await.unwrap_or(Response::Failed {
                    message: "the agent is shutting down".into(),
                });
                let result = write_line(&mut write, &answer).await;
                let _ = ack.send(());
                return result;
            }
        }
        Err(e) => Response::Failed {
            message: format!("bad request: {e}"),
        },
    };
    write_line(&mut write, &answer).await
}

async fn write_line(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    answer: &Response,
) -> std::io::Result<()> {
    let mut out = serde_json::to_vec(answer).map_err(std::io::Error::other)?;
    out.push(b'\n');
    write.write_all(&out).await?;
    write.shutdown().await
}
