//! Logs go to stderr through `tracing`: plain text without colour or
//! timestamps when stderr is not a terminal (a service manager adds its
//! own), or one JSON object per line with `--log-format json`.

use std::io::IsTerminal;

use crate::cli::LogFormat;

pub fn init(format: LogFormat, level: tracing::Level) {
    let tty = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text if tty => builder.with_ansi(true).try_init(),
        LogFormat::Text => builder.with_ansi(false).without_time().try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
