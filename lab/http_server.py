"""The lab's HTTP probe target (run by mpwan-lab inside the inet namespace).

    http_server.py STATUS_FILE PORT ADDRESS...

Answers GET /generate_204 with the status code held in STATUS_FILE, read on
every request so the lab can change it while the server runs, and 404 to
every other path. Listens on each ADDRESS (IPv4 or IPv6) at PORT. Logs one
line per request to stderr.
"""

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROBE_PATH = "/generate_204"
STATUS_FILE = None  # set by main()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        status = self.probe_status() if self.path == PROBE_PATH else 404
        # 1xx, 204 and 304 carry no body (RFC 9110); give the others one
        # that says what they are.
        body = b"" if status < 200 or status in (204, 304) else f"{status}\n".encode()
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def probe_status(self):
        try:
            with open(STATUS_FILE, encoding="ascii") as f:
                return int(f.read().strip())
        except (OSError, ValueError) as e:
            # A lab bug, not a WAN fault: make it loud in the log.
            self.log_message("cannot read status file %s: %s", STATUS_FILE, e)
            return 500

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))
        sys.stderr.flush()


class Server4(ThreadingHTTPServer):
    address_family = socket.AF_INET
    daemon_threads = True


class Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


def main():
    global STATUS_FILE
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    STATUS_FILE = sys.argv[1]
    port = int(sys.argv[2])
    servers = [
        (Server6 if ":" in address else Server4)((address, port), Handler)
        for address in sys.argv[3:]
    ]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stderr.write("listening on %s port %d\n" % (", ".join(sys.argv[3:]), port))
    sys.stderr.flush()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
