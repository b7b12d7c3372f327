//! HTTP(S) probes in namespaces against a python3 http.server: the
//! expected status passes and another fails, a closed port is refused, a
//! black hole times out, every probe opens a fresh connection from the
//! bound source, HTTPS with an untrusted certificate is a bad answer, and
//! the request leaves through its bound device.

mod probe_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mpwan_lab::NetNs;
use mpwan_tracker::probe::{ErrorKind, Family, HttpProber, Outcome};
use probe_support::*;
use tokio::time::Instant;

const TIMEOUT: Duration = Duration::from_millis(2000);

/// Answers every GET with 204, or 500 once the file `argv[2]` exists;
/// logs "<client address> <client port> <path> <status>" per request.
/// Keep-alive (HTTP/1.1) on the server side, so only the client can be
/// the reason a connection is not reused. With `argv[3]` (a PEM file
/// holding key and certificate) it speaks HTTPS.
const SERVER: &str = r#"
import http.server, os, socket, ssl, sys
port, fail_file = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        code = 500 if os.path.exists(fail_file) else 204
        print(self.client_address[0], self.client_address[1], self.path, code, flush=True)
        self.send_response(code)
        if code != 204:
            self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
srv = S(("::", port), H)
if len(sys.argv) > 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
"#;

struct Server {
    _proc: Proc,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(ns: &NetNs, port: u16, tls: bool) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("server.py");
        std::fs::write(&script, SERVER).unwrap();
        let fail = dir.path().join("fail");
        let port = port.to_string();
        let mut args = vec![
            "python3".to_string(),
            script.display().to_string(),
            port,
            fail.display().to_string(),
        ];
        if tls {
            let pem = dir.path().join("server.pem");
            self_signed(&pem);
            args.push(pem.display().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let log = dir.path().join("server.log");
        let proc = Proc::spawn(ns, &args, &log);
        let start = Instant::now();
        while !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("ready")
        {
            assert!(start.elapsed() < DEADLINE, "HTTP server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { _proc: proc, dir }
    }

    fn fail_from_now_on(&self) {
        std::fs::write(self.dir.path().join("fail"), "").unwrap();
    }

    /// (client address, client port) of every request so far.
    fn requests(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(self.dir.path().join("server.log"))
            .unwrap()
            .lines()
            .filter(|l| *l != "ready")
            .map(|l| {
                let mut f = l.split_whitespace();
                (f.next().unwrap().to_string(), f.next().unwrap().to_string())
            })
            .collect()
    }
}

/// A key and self-signed certificate for 10.77.0.2 in one PEM file.
fn self_signed(pem: &Path) {
    let dir = pem.parent().unwrap();
    let (key, cert): (PathBuf, PathBuf) = (dir.join("key.pem"), dir.join("cert.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=10.77.0.2"])
        .args(["-addext", "subjectAltName=IP:10.77.0.2"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl req failed");
    let both = std::fs::read_to_string(&key).unwrap() + &std::fs::read_to_string(&cert).unwrap();
    std::fs::write(pem, both).unwrap();
}

#[test]
fn the_expected_status_passes_and_another_fails() {
    if mpwan_lab::skip_without_netns("the_expected_status_passes") {
        return;
    }
    let lab = Lab::new();
    let server = Server::start(&lab.far, 8080, false);
    let p4 = HttpProber::new(&lab.binding(Some(NEAR_V4)), Family::V4).unwrap();
    let p6 = HttpProber::new(&lab.binding(Some(NEAR_V6)), Family::V6).unwrap();
    let url4 = "http://10.77.0.2:8080/generate_204";
    let url6 = "http://[fd77::2]:8080/generate_204";
    lab.run(async {
        for (what, p, url) in [("v4", &p4, url4), ("v6", &p6, url6)] {
            let Outcome::Reply { rtt } = p.probe(url, 204, TIMEOUT).await else {
                panic!("{what}: no 204");
            };
            println!("HTTP {what} rtt {rtt:?}");
        }
        // Passing means the expected status, not any success.
        assert_eq!(
            p4.probe(url4, 200, TIMEOUT).await,
            Outcome::Error(ErrorKind::BadAnswer)
        );
    });
    server.fail_from_now_on();
    lab.run(async {
        assert_eq!(
            p4.probe(url4, 204, TIMEOUT).await,
            Outcome::Error(ErrorKind::BadAnswer)
        );
        assert_eq!(
            p6.probe(url6, 204, TIMEOUT).await,
            Outcome::Error(ErrorKind::BadAnswer)
        );
    });
}

#[test]
fn every_probe_opens_a_fresh_connection_from_the_bound_source() {
    if mpwan_lab::skip_without_netns("every_probe_opens_a_fresh_connection") {
        return;
    }
    let lab = Lab::new();
    let server = Server::start(&lab.far, 8080, false);
    let p4 = HttpProber::new(&lab.binding(Some(NEAR_V4)), Family::V4).unwrap();
    lab.run(async {
        for _ in 0..3 {
            let o = p4
                .probe("http://10.77.0.2:8080/generate_204", 204, TIMEOUT)
                .await;
            assert!(matches!(o, Outcome::Reply { .. }), "{o:?}");
        }
    });
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let ports: HashSet<&String> = requests.iter().map(|(_, port)| port).collect();
    assert_eq!(ports.len(), 3, "one connection per probe: {requests:?}");
    for (addr, _) in &requests {
        assert_eq!(addr, "::ffff:10.77.0.1", "the bound source");
    }
}

#[test]
fn a_closed_port_is_refused_and_a_black_hole_times_out() {
    if mpwan_lab::skip_without_netns("a_closed_port_is_refused") {
        return;
    }
    let lab = Lab::new();
    let p4 = HttpProber::new(&lab.binding(Some(NEAR_V4)), Family::V4).unwrap();
    lab.run(async {
        let o = p4
            .probe("http://10.77.0.2:8081/generate_204", 204, TIMEOUT)
            .await;
        assert_eq!(o, Outcome::Error(ErrorKind::Refused));
    });
    blackhole(&lab.far);
    lab.run(async {
        let timeout = Duration::from_millis(500);
        let start = Instant::now();
        let o = p4
            .probe("http://10.77.0.2:8081/generate_204", 204, timeout)
            .await;
        assert_eq!(o, Outcome::Timeout);
        assert!(start.elapsed() >= timeout);
    });
}

#[test]
fn an_untrusted_certificate_is_a_bad_answer() {
    if mpwan_lab::skip_without_netns("an_untrusted_certificate_is_a_bad_answer") {
        return;
    }
    let lab = Lab::new();
    let server = Server::start(&lab.far, 8443, true);
    let p4 = HttpProber::new(&lab.binding(Some(NEAR_V4)), Family::V4).unwrap();
    lab.run(async {
        let o = p4
            .probe("https://10.77.0.2:8443/generate_204", 204, TIMEOUT)
            .await;
        assert_eq!(o, Outcome::Error(ErrorKind::BadAnswer));
    });
    // The TLS handshake failed before any request was made.
    assert!(server.requests().is_empty());
}

#[test]
fn the_request_leaves_through_its_device() {
    if mpwan_lab::skip_without_netns("the_request_leaves_through_its_device") {
        return;
    }
    let lab = TwoWans::new();
    // Only ISP A serves; through ISP B the connection is refused.
    let server = Server::start(&lab.isp_a, 8080, false);
    let wan0 = HttpProber::new(&binding(&lab.gw, "wan0", Some("10.77.0.1")), Family::V4).unwrap();
    let wan0_v6 = HttpProber::new(&binding(&lab.gw, "wan0", Some("fd77::1")), Family::V6).unwrap();
    let wan1 = HttpProber::new(&binding(&lab.gw, "wan1", None), Family::V4).unwrap();
    run_in(&lab.gw, async {
        let o = wan0.probe("http://10.99.0.1:8080/", 204, TIMEOUT).await;
        assert!(matches!(o, Outcome::Reply { .. }), "wan0: {o:?}");
        let o = wan0_v6.probe("http://[fd99::1]:8080/", 204, TIMEOUT).await;
        assert!(matches!(o, Outcome::Reply { .. }), "wan0 v6: {o:?}");
        let o = wan1.probe("http://10.99.0.1:8080/", 204, TIMEOUT).await;
        assert_eq!(o, Outcome::Error(ErrorKind::Refused), "wan1");
    });
    let sources: Vec<String> = server.requests().into_iter().map(|(a, _)| a).collect();
    assert_eq!(sources, ["::ffff:10.77.0.1", "fd77::1"]);
}
