"""A tiny route table served by a real ThreadingHTTPServer on 127.0.0.1, for fetch tests."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[["Request"], tuple[int, dict[str, str], bytes]]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float
    client_port: int = 0  # tells connections apart


@dataclass
class Site:
    base: str
    routes: dict[str, Route]
    log: list[Request] = field(default_factory=list)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path.split("?")[0] == path]


def page(body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> Route:
    data = body.encode() if isinstance(body, str) else body
    return lambda request: (status, {"Content-Type": content_type}, data)


def html(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


def gzipped(body: bytes) -> Route:
    return lambda r: (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(body))


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[Site]:
    site = Site(base="", routes=routes)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            site.log.append(Request(self.path, dict(self.headers), time.monotonic(), self.client_address[1]))
            route = site.routes.get(self.path.split("?")[0])
            if route is None:
                status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
            else:
                status, headers, body = route(site.log[-1])
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean; requests are in site.log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
