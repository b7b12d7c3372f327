//! A hook's stdout and stderr, read line by line into the log, tagged with
//! the hook's file name and the WAN.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};

/// Longest line logged as one; longer ones are logged in pieces so a hook
/// printing without newlines cannot make the agent buffer without bound.
pub const MAX_LINE: usize = 4096;

/// Which of the hook's outputs a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Logs every line of `pipe` until it closes. Both streams log at info:
/// a hook's stderr is often `set -x` tracing, not an error; the exit
/// status says whether the hook failed.
pub async fn log_lines<R: AsyncRead + Unpin>(
    pipe: Option<R>,
    hook: &str,
    wan: &str,
    stream: Stream,
) {
    let Some(pipe) = pipe else { return };
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    loop {
        match read_line_capped(&mut reader, &mut line, MAX_LINE).await {
            Ok(false) => return,
            Ok(true) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches('\r');
                if !text.is_empty() {
                    tracing::info!(hook = %hook, wan = %wan, stream = stream.as_str(), "{text}");
                }
            }
            Err(e) => {
                tracing::warn!(hook = %hook, wan = %wan, stream = stream.as_str(), error = %e, "hook output: read failed");
                return;
            }
        }
    }
}

/// Reads one line (without its newline) into `line`, at most `max` bytes of
/// it; the rest of a longer line comes with the next call. Returns false at
/// the end of input with nothing read.
pub async fn read_line_capped<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<bool> {
    line.clear();
    let max = max.max(1);
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(!line.is_empty());
        }
        let room = max.saturating_sub(line.len());
        let window = &buf[..buf.len().min(room)];
        if let Some(i) = window.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&window[..i]);
            reader.consume(i.saturating_add(1));
            return Ok(true);
        }
        let n = window.len();
        line.extend_from_slice(window);
        reader.consume(n);
        if line.len() >= max {
            return Ok(true);
        }
    }
}
