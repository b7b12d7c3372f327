//! What each subcommand does. JSON goes to stdout and nothing else does;
//! messages and errors go to stderr. Exit codes: 0 ok, 1 runtime failure,
//! 2 bad usage or bad configuration.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{Cli, Command};
use crate::config;
use crate::control::client;
use crate::control::{Request, Response};
use crate::daemon;
use crate::status::{Status, render_table};

/// The socket the CLI talks to when neither `--socket` nor a loadable
/// configuration names one.
pub const DEFAULT_SOCKET: &str = "/run/mpwan/mpwan.sock";

/// How long `mpwan restart` and `mpwan stop` wait for the daemon to come
/// back or go away; a restart re-reads the configuration and re-binds.
const SETTLE: Duration = Duration::from_secs(30);

pub const OK: u8 = 0;
pub const FAILURE: u8 = 1;
pub const BAD_INPUT: u8 = 2;

pub fn run(cli: &Cli) -> ExitCode {
    let code = match &cli.command {
        Command::Agent => agent(cli),
        Command::Check => check(cli),
        Command::Status { json } => status(cli, *json),
        Command::Reload => reload(cli),
        Command::Restart => restart(cli),
        Command::Stop => stop(cli),
    };
    ExitCode::from(code)
}

fn print_config_errors(errors: &config::ConfigErrors) {
    for e in &errors.0 {
        eprintln!("{e}");
    }
    let n = errors.0.len();
    eprintln!(
        "{n} error{} in the configuration",
        if n == 1 { "" } else { "s" }
    );
}

fn agent(cli: &Cli) -> u8 {
    let dir = cli.config_dir();
    let reexec = match daemon::Reexec::capture() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("{e:#}");
            return FAILURE;
        }
    };
    let mut config = match config::load(&dir) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors.0 {
                tracing::error!("{e}");
            }
            tracing::error!(
                errors = errors.0.len(),
                "not starting: the configuration in {} has errors",
                dir.display()
            );
            return BAD_INPUT;
        }
    };
    if let Some(socket) = &cli.socket {
        config.agent.control_socket = socket.clone();
    }
    match daemon::run(config, reexec) {
        Ok(()) => OK,
        Err(e) => {
            tracing::error!("{e:#}");
            FAILURE
        }
    }
}

fn check(cli: &Cli) -> u8 {
    match config::load(&cli.config_dir()) {
        Ok(c) => {
            print!("{}", c.summary());
            OK
        }
        Err(errors) => {
            print_config_errors(&errors);
            BAD_INPUT
        }
    }
}

/// The control socket: `--socket`, else the configuration's, else the
/// default (with a warning when the configuration could not be read).
fn socket_path(cli: &Cli) -> PathBuf {
    if let Some(s) = &cli.socket {
        return s.clone();
    }
    let dir = cli.config_dir();
    match config::load(&dir) {
        Ok(c) => c.agent.control_socket,
        Err(_) => {
            eprintln!(
                "warning: the configuration in {} does not load (see `mpwan check`); using {DEFAULT_SOCKET}",
                dir.display()
            );
            PathBuf::from(DEFAULT_SOCKET)
        }
    }
}

fn ask(socket: &Path, req: &Request) -> Result<Response, u8> {
    // Every way of not getting an answer is a runtime failure (exit 1).
    client::request(socket, req).map_err(|e| {
        eprintln!("mpwan: {e}");
        FAILURE
    })
}

fn fetch_status(socket: &Path) -> Result<Status, u8> {
    match ask(socket, &Request::Status)? {
        Response::Status(s) => Ok(*s),
        other => {
            eprintln!("mpwan: unexpected answer to status: {other:?}");
            Err(FAILURE)
        }
    }
}

fn status(cli: &Cli, json: bool) -> u8 {
    let socket = socket_path(cli);
    let s = match fetch_status(&socket) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if json {
        match serde_json::to_string_pretty(&s) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("mpwan: {e}");
                return FAILURE;
            }
        }
    } else {
        print!("{}", render_table(&s));
    }
    OK
}

/// Prints the outcome of a request that changes something.
fn report(resp: Response) -> u8 {
    match resp {
        Response::Done { message } => {
            eprintln!("{message}");
            OK
        }
        Response::ConfigRejected { errors } => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "{} error{}: the new configuration was rejected; the agent keeps running the old one",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            BAD_INPUT
        }
        Response::Failed { message } => {
            eprintln!("mpwan: {message}");
            FAILURE
        }
        Response::Status(_) => {
            eprintln!("mpwan: the agent answered with a status instead of a result");
            FAILURE
        }
    }
}

fn reload(cli: &Cli) -> u8 {
    match ask(&socket_path(cli), &Request::Reload) {
        Ok(resp) => report(resp),
        Err(code) => code,
    }
}

fn restart(cli: &Cli) -> u8 {
    let socket = socket_path(cli);
    let before = match fetch_status(&socket) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match ask(&socket, &Request::Restart) {
        Ok(resp @ Response::Done { .. }) => {
            let _ = report(resp);
        }
        Ok(other) => return report(other),
        Err(code) => return code,
    }
    // The new image answers with a new instance id and the same pid.
    let back = wait_until(SETTLE, || {
        client::request(&socket, &Request::Status)
            .ok()
            .and_then(|r| match r {
                Response::Status(s) if s.instance != before.instance => Some(*s),
                _ => None,
            })
    });
    match back {
        Some(s) => {
            eprintln!("restarted in place: pid {}, started {}", s.pid, s.started);
            OK
        }
        None => {
            eprintln!(
                "mpwan: the agent did not come back on {} within {}s",
                socket.display(),
                SETTLE.as_secs()
            );
            FAILURE
        }
    }
}

fn stop(cli: &Cli) -> u8 {
    let socket = socket_path(cli);
    match ask(&socket, &Request::Stop) {
        Ok(resp @ Response::Done { .. }) => {
            let _ = report(resp);
        }
        Ok(other) => return report(other),
        Err(code) => return code,
    }
    if wait_until(SETTLE, || (!client::is_listening(&socket)).then_some(())).is_some() {
        OK
    } else {
        eprintln!("mpwan: the agent still answers on {}", socket.display());
        FAILURE
    }
}

/// Polls `f` every 50 ms until it gives a value or `limit` passes. The CLI
/// waits for another process, so there is no event to wait on.
#[allow(clippy::disallowed_methods)] // the CLI's own wait, not a decision core
fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
