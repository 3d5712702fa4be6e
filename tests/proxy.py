"""A forward HTTP proxy on loopback that logs every request it passes on: absolute-form requests and CONNECT.

Stdlib only (ThreadingHTTPServer, http.client, sockets), for tests and for checking a real crawl by hand:

    python -m tests.proxy --log /tmp/proxy.log     # prints its URL; HTTP_PROXY=<that URL> copydesk run ...

A request (GET, or any method with a Content-Length body) is forwarded with its headers (hop-by-hop ones
dropped) and the answer streamed back as it comes, so timeouts, trickles and resets reach the client as they
would directly. CONNECT opens a tunnel and relays
bytes both ways. Each request is logged as it arrives (`Proxy.log`, and a JSON line per request with --log).
"""

from __future__ import annotations

import argparse
import http.client
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}


@dataclass
class Passed:
    """One request the proxy received: its method, target (absolute URL or host:port) and headers."""

    method: str
    target: str
    headers: dict[str, str]
    at: float


@dataclass
class Proxy:
    url: str
    log: list[Passed] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client or upstream that hangs up mid-answer is the client's outcome to see, not ours


def _handler(proxy: Proxy, log_file: Path | None) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _record(self) -> None:
            passed = Passed(self.command, self.path, dict(self.headers), time.time())
            with lock:
                proxy.log.append(passed)
                if log_file is not None:
                    with log_file.open("a", encoding="utf-8") as out:
                        out.write(json.dumps({"ts": passed.at, "method": passed.method, "target": passed.target}))
                        out.write("\n")

        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            self._record()
            parts = urlsplit(self.path)
            if parts.scheme != "http" or not parts.hostname:
                self.send_error(400, "absolute-form http:// URL expected")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            upstream = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                upstream.request(self.command, target, body=body or None, headers=headers)
                answer = upstream.getresponse()
            except (OSError, http.client.HTTPException) as exc:  # no answer at all: say so, as proxies do
                upstream.close()
                self.send_error(502, f"no answer from {parts.netloc}: {exc}")
                return
            try:
                self._relay(answer)
            except (OSError, http.client.HTTPException):
                self.close_connection = True  # the upstream failed mid-answer: so does the client's connection
            finally:
                upstream.close()

        def _relay(self, answer: http.client.HTTPResponse) -> None:
            self.send_response_only(answer.status, answer.reason)
            length = answer.getheader("Content-Length")
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            if length is None:
                self.send_header("Connection", "close")  # the body ends when the connection does
                self.close_connection = True
            self.end_headers()
            while chunk := answer.read1(65536):
                self.wfile.write(chunk)
                self.wfile.flush()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815 (stdlib names)

        def do_CONNECT(self) -> None:  # noqa: N802 (stdlib name)
            self._record()
            host, _, port = self.path.rpartition(":")
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
            except (OSError, ValueError):
                self.send_error(502, f"cannot reach {self.path}")
                return
            self.send_response_only(200, "Connection established")
            self.end_headers()
            self.close_connection = True
            sockets = [self.connection, upstream]
            with upstream:
                while True:
                    ready, _, _ = select.select(sockets, [], [], 30)
                    if not ready:
                        return
                    for sock in ready:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is self.connection else self.connection).sendall(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # requests are in proxy.log

    return Handler


@contextmanager
def serve_proxy(*, port: int = 0, log_file: Path | None = None) -> Iterator[Proxy]:
    """A forward proxy on 127.0.0.1 for the duration of the block."""
    proxy = Proxy("")
    server = _Server(("127.0.0.1", port), _handler(proxy, log_file))
    proxy.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", type=Path, help="append a JSON line per request here")
    args = parser.parse_args()
    with serve_proxy(port=args.port, log_file=args.log) as proxy:
        print(proxy.url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
