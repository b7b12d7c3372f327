//! HTTP(S) through one WAN with reqwest: GET a URL, pass on the expected
//! status. RTT is the time to the response headers (connection, TLS
//! handshake and server time included); the body is not read.
//!
//! - No connection reuse (`pool_max_idle_per_host(0)`, `Connection: close`):
//!   a kept-alive connection would skip the TCP (and TLS) handshake that
//!   new traffic needs, and it stays pinned to the source address and path
//!   it was opened on, so a probe on it can pass while a fresh connection
//!   through the WAN fails. Every probe opens its own connection.
//! - No proxy (`no_proxy()`): proxy variables in the daemon's environment
//!   would send the probe somewhere else entirely.
//! - No redirects and no retries: the first answer is the verdict.
//! - Bound with `interface()` (SO_BINDTODEVICE) and `local_address()`.
//!   reqwest cannot set SO_MARK on its sockets, so the binding's fwmark is
//!   not applied to HTTP probes: the device and source binding (and a
//!   per-WAN `from <source>` rule) must suffice.
//! - Host names in URLs are resolved by the system resolver, not through
//!   the WAN: use IP literals, or the probe also tests the main resolver.
//! - TLS: see `tls.rs` (rustls with ring, the system's CA store).

use std::time::Duration;

use tokio::time::Instant;

use super::error::kind_of_io;
use super::{Binding, ProbeError};
use crate::events::{ErrorKind, Family, Outcome};

/// GETs URLs through one WAN.
#[derive(Debug, Clone)]
pub struct HttpProber {
    client: reqwest::Client,
}

impl HttpProber {
    /// A prober through `binding` for URLs of `family` (which decides
    /// whether the binding's source address applies).
    pub fn new(binding: &Binding, family: Family) -> Result<HttpProber, ProbeError> {
        binding.check_device()?;
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .interface(&binding.device)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .pool_max_idle_per_host(0)
            .tls_backend_preconfigured(super::tls::client_config().map_err(ProbeError::Tls)?)
            .user_agent(concat!("mpwan/", env!("CARGO_PKG_VERSION")));
        if let Some(source) = binding.source_for(family) {
            builder = builder.local_address(source);
        }
        Ok(HttpProber {
            client: builder.build().map_err(ProbeError::Http)?,
        })
    }

    /// GETs `url` and waits at most `timeout` for the response headers;
    /// passes when the status is `expect_status`. Another status is
    /// `Error(BadAnswer)`, a refused connection `Error(Refused)`.
    pub async fn probe(&self, url: &str, expect_status: u16, timeout: Duration) -> Outcome {
        let request = self
            .client
            .get(url)
            .header(reqwest::header::CONNECTION, "close");
        let sent = Instant::now();
        match tokio::time::timeout(timeout, request.send()).await {
            Err(_) => Outcome::Timeout,
            Ok(Ok(response)) => {
                let rtt = Instant::now().saturating_duration_since(sent);
                let status = response.status().as_u16();
                if status == expect_status {
                    Outcome::Reply { rtt }
                } else {
                    tracing::debug!(url, status, expect_status, "HTTP probe: unexpected status");
                    Outcome::Error(ErrorKind::BadAnswer)
                }
            }
            Ok(Err(e)) => {
                tracing::debug!(url, error = %e, "HTTP probe failed");
                Outcome::Error(classify(&e))
            }
        }
    }
}

/// What a failed request means for the probe: the socket error inside it
/// if there is one, a TLS failure as a bad answer.
fn classify(e: &reqwest::Error) -> ErrorKind {
    if e.is_builder() {
        // A URL reqwest cannot use: nothing was sent.
        return ErrorKind::Send;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        if err.is::<rustls::Error>() {
            return ErrorKind::BadAnswer;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.raw_os_error().is_some() {
                return kind_of_io(io);
            }
            // io::Error::source() skips the error it wraps (hyper wraps
            // rustls's error in two of them): descend into it instead.
            if let Some(inner) = io.get_ref() {
                cause = Some(inner);
                continue;
            }
        }
        cause = err.source();
    }
    ErrorKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_for_a_binding() {
        let mut b = Binding::device("wan1");
        b.source = Some("192.0.2.1".parse().unwrap());
        assert!(HttpProber::new(&b, Family::V4).is_ok());
        assert!(HttpProber::new(&Binding::device("bad/name"), Family::V4).is_err());
    }
}
