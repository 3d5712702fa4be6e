"""The bundled sample newsroom: three invented outlets on loopback, for `copydesk demo` and end-to-end tests.

Each site in flows/demo_sites/<site>/ gets its own ThreadingHTTPServer on 127.0.0.1 and a free port. Files
are read once at start, with the `{{BASE}}` placeholder replaced by the site's own base URL, and served from
memory with a strong ETag and a fixed Last-Modified, so a second crawl can be answered with 304. Every
request is kept in an in-memory log that tests inspect (robots.txt obeyed, conditional requests sent). This
module stands in for the internet: it must not import Prefect or any of the pipeline's own packages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import TracebackType
from typing import Any, Self, TypedDict
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

PLACEHOLDER = b"{{BASE}}"
# The newest story in the fixtures is dated 2025-06-06. A constant keeps Last-Modified identical across
# restarts, so If-Modified-Since from an earlier run still matches.
LAST_MODIFIED = datetime(2025, 6, 6, 18, 0, tzinfo=UTC)
LOGGED_HEADERS = ("If-None-Match", "If-Modified-Since", "User-Agent")
FEED_NAMES = ("rss.xml", "atom.xml")
SITEMAP_NAME = "sitemap.xml"


class DemoSource(TypedDict):
    """One demo outlet as the sources config describes it."""

    name: str
    homepage: str
    feeds: list[str]
    sitemaps: list[str]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request a demo site answered."""

    site: str
    method: str
    path: str  # the request target as sent, query string included
    headers: dict[str, str]  # only LOGGED_HEADERS that were present
    status: int


@dataclass(frozen=True, slots=True)
class _Resource:
    body: bytes
    content_type: str
    etag: str


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, site: str, on_request: _Recorder) -> None:
        super().__init__((host, 0), _Handler)
        self.site = site
        self.on_request = on_request
        self.resources: dict[str, _Resource] = {}
        self.base_url = f"http://{host}:{self.server_port}"

    def handle_error(self, request: object, client_address: object) -> None:
        # socketserver prints client disconnects (ConnectionResetError, BrokenPipeError) to stderr.
        log.debug("%s: error while serving %r", self.site, client_address, exc_info=True)


class _Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def __call__(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _SiteServer
    timeout = 15  # idle keep-alive connections give their thread back

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, *, send_body: bool) -> None:
        resource = self.server.resources.get(_resource_key(self.path))
        if resource is None:
            status, body = HTTPStatus.NOT_FOUND, b"404 not found\n"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        else:
            status = HTTPStatus.NOT_MODIFIED if _is_fresh(self.headers, resource) else HTTPStatus.OK
            body = b"" if status == HTTPStatus.NOT_MODIFIED else resource.body
            self.send_response(status)
            self.send_header("ETag", resource.etag)
            self.send_header("Last-Modified", format_datetime(LAST_MODIFIED, usegmt=True))
            if status == HTTPStatus.OK:
                self.send_header("Content-Type", resource.content_type)
        if status != HTTPStatus.NOT_MODIFIED:  # a 304 has no body and so no length to announce
            self.send_header("Content-Length", str(len(body)))
        # Recorded before the response leaves: a client that has its answer finds the request in the log.
        wanted = {name: self.headers[name] for name in LOGGED_HEADERS if name in self.headers}
        self.server.on_request(RequestRecord(self.server.site, self.command, self.path, wanted, int(status)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # BaseHTTPRequestHandler writes every request line to stderr; the request log replaces that.
        log.debug("%s: " + format, self.server.site, *args)


def _resource_key(target: str) -> str:
    """Relative file path for a request target. Lookup is a dict of files read at start, never the
    filesystem, so "..", encoded slashes or absolute paths can only miss (404), never escape the site."""
    path = unquote(urlsplit(target).path)
    if path.endswith("/"):
        path += "index.html"
    return path.removeprefix("/")


def _is_fresh(headers: Message, resource: _Resource) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match wins; If-Modified-Since counts only without it."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or resource.etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # RFC 9110 section 13.1.3: an invalid date is ignored
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return since >= LAST_MODIFIED


def _content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".html"):
        return "text/html; charset=utf-8"
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    if name.endswith(".xml"):
        if "rss" in name:
            return "application/rss+xml"
        if "atom" in name:
            return "application/atom+xml"
        return "application/xml"
    return "application/octet-stream"


def _load_site(root: Traversable, base_url: str) -> dict[str, _Resource]:
    resources: dict[str, _Resource] = {}
    pending: list[tuple[Traversable, str]] = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        for child in folder.iterdir():
            path = prefix + child.name
            if child.is_dir():
                pending.append((child, path + "/"))
                continue
            body = child.read_bytes().replace(PLACEHOLDER, base_url.encode())
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            resources[path] = _Resource(body, _content_type(path), etag)
    return resources


def _sites_root() -> Traversable:
    return files("flows").joinpath("demo_sites")


def demo_site_names() -> set[str]:
    """The source names the demo's sites are crawled under (their folders' names)."""
    return {folder.name for folder in _sites_root().iterdir() if folder.is_dir()}


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is also a valid TOML basic string


@dataclass
class DemoSites:
    """The running demo newsroom, one loopback HTTP server per site. A context manager; or call stop()."""

    _servers: list[_SiteServer]
    _threads: list[threading.Thread]
    _recorder: _Recorder
    _stopped: bool = field(default=False)

    @property
    def base_urls(self) -> dict[str, str]:
        return {server.site: server.base_url for server in self._servers}

    @property
    def sources(self) -> list[DemoSource]:
        sources = []
        for server in self._servers:
            base, names = server.base_url, server.resources
            sources.append(
                DemoSource(
                    name=server.site,
                    homepage=f"{base}/",
                    feeds=[f"{base}/{name}" for name in FEED_NAMES if name in names],
                    sitemaps=[f"{base}/{SITEMAP_NAME}"] if SITEMAP_NAME in names else [],
                )
            )
        return sources

    def sources_toml(self) -> str:
        """The sites as `[[sources]]` tables for the copydesk config file."""
        blocks = []
        for source in self.sources:
            feeds = ", ".join(_toml_string(url) for url in source["feeds"])
            sitemaps = ", ".join(_toml_string(url) for url in source["sitemaps"])
            blocks.append(
                f"[[sources]]\nname = {_toml_string(source['name'])}\n"
                f"homepage = {_toml_string(source['homepage'])}\nfeeds = [{feeds}]\nsitemaps = [{sitemaps}]\n"
            )
        return "\n".join(blocks)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, oldest first (a copy)."""
        return self._recorder.snapshot()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _start_site(folder: Traversable, *, host: str, recorder: _Recorder) -> tuple[_SiteServer, threading.Thread]:
    server = _SiteServer(host, folder.name, recorder)
    try:
        server.resources = _load_site(folder, server.base_url)
    except BaseException:
        server.server_close()  # never started, so shutdown() would wait forever
        raise
    # A short poll interval makes stop() quick: shutdown() waits for the serve loop's next poll.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"demo-{folder.name}", daemon=True
    )
    thread.start()
    return server, thread


def serve_demo_sites(*, host: str = "127.0.0.1") -> DemoSites:
    """Start one HTTP server per bundled demo site, each on a free port of `host`, in background threads."""
    recorder = _Recorder()
    demo = DemoSites([], [], recorder)
    try:
        for folder in sorted((f for f in _sites_root().iterdir() if f.is_dir()), key=lambda f: f.name):
            server, thread = _start_site(folder, host=host, recorder=recorder)
            demo._servers.append(server)
            demo._threads.append(thread)
    except BaseException:
        demo.stop()
        raise
    log.info("demo: serving %d sites on %s", len(demo._servers), host)
    return demo


def load_expected() -> dict[str, Any]:
    """The fixtures' truth: per-article paragraphs and boilerplate, the wire story and the hard negative."""
    expected: dict[str, Any] = json.loads(_sites_root().joinpath("expected.json").read_text(encoding="utf-8"))
    return expected
