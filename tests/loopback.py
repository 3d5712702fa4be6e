"""A tiny route table served by a real ThreadingHTTPServer on 127.0.0.1, for fetch tests.

A route answers with (status, headers, body), or with a `Raw` response written byte for byte, for servers
that misbehave below what BaseHTTPRequestHandler lets us send (non-ASCII header bytes, bodies that trickle
or never end).
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[["Request"], "tuple[int, dict[str, str], bytes] | Raw | HangUp"]


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float
    client_port: int = 0  # tells connections apart


@dataclass
class Raw:
    """A response sent as given: `head` (status line and header lines, any bytes) then the body chunks.

    `pause` seconds pass before each chunk (a trickling server); an endless iterable is an endless body.
    The connection is closed afterwards. A client that hangs up ends the writing.
    """

    head: list[bytes]
    chunks: Iterable[bytes] = ()
    pause: float = 0.0


@dataclass(frozen=True)
class HangUp:
    """No response: the connection is closed as soon as the request is read, or reset (a TCP RST) with `reset`."""

    reset: bool = False


@dataclass
class Site:
    base: str
    routes: dict[str, Route]
    log: list[Request] = field(default_factory=list)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path.split("?")[0] == path]


async def fetch_all(
    fetcher: Any, urls: Sequence[str], *, kind: str, validators: dict[str, Any] | None = None
) -> list[Any]:
    """`fetcher.fetch` for each URL at once (a crawl.fetch.Fetcher), results in the order of `urls`."""
    validators = validators or {}
    return list(await asyncio.gather(*(fetcher.fetch(u, kind=kind, validators=validators.get(u)) for u in urls)))


def page(body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> Route:
    data = body.encode() if isinstance(body, str) else body
    return lambda request: (status, {"Content-Type": content_type}, data)


def html(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


def gzipped(body: bytes) -> Route:
    return lambda r: (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(body))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up on purpose (a capped body, a timeout) is what these tests are about.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def serve(routes: dict[str, Route], *, host: str = "127.0.0.1", port: int = 0) -> Iterator[Site]:
    site = Site(base="", routes=routes)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            site.log.append(Request(self.path, dict(self.headers), time.monotonic(), self.client_address[1]))
            route = site.routes.get(self.path.split("?")[0])
            answer = (404, {"Content-Type": "text/plain"}, b"not found") if route is None else route(site.log[-1])
            if isinstance(answer, Raw):
                self._send_raw(answer)
                return
            if isinstance(answer, HangUp):
                self.close_connection = True
                if answer.reset:  # linger 0: close() sends RST, not FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                return
            status, headers, body = answer
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_raw(self, answer: Raw) -> None:
            self.close_connection = True
            head = answer.head + [b"Connection: close"]  # so the client opens a new connection for its next request
            try:
                self.wfile.write(b"\r\n".join(head) + b"\r\n\r\n")
                for chunk in answer.chunks:
                    if answer.pause:
                        time.sleep(answer.pause)
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass  # the client hung up: what a capped or timed-out fetch does

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean; requests are in site.log

    server = _Server((host, port), Handler)
    site.base = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
