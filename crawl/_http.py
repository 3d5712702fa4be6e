"""What the fetcher accepts from a server and what it sends back: bytes from strangers, checked.

URLs (scheme, host syntax, port) are checked before any lookup, redirect targets before they are followed,
validators (ETag, Last-Modified) before they are stored or sent, bodies against max_bytes while they stream,
Retry-After and Content-Length as ASCII numbers only. A problem ends one URL's fetch as a `FetchFailure`
with its `Reason`; nothing here raises anything else for a server's data. No Prefect, no DuckDB, no I/O
beyond reading a response already open.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from extractors.charset import content_type_of
from extractors.robots import MAX_ROBOTS_BYTES

Kind = Literal["article", "feed", "sitemap", "robots", "page"]

Outcome = Literal["ok", "not_modified", "skipped", "failed"]
# Why a URL was not fetched (fetches.reason, seen_urls.reason). A closed set, so stats can group by it.
Reason = Literal[
    "bad_url",  # not http(s), or a host, port or IDNA label that cannot be valid
    "guard",  # the host resolves to a non-public address (SSRF guard)
    "dns",  # the host name does not resolve
    "robots",  # disallowed by robots.txt
    "robots_unreachable",  # robots.txt could not be fetched: the host is disallowed for this run (RFC 9309)
    "crawl_delay",  # robots.txt Crawl-delay over max_crawl_delay, with crawl_delay_over_cap = "skip"
    "redirects",  # too many, a loop, no Location or an invalid one
    "http_status",  # a final 4xx or 5xx answer
    "size",  # a body over max_bytes
    "type",  # a content type this kind of URL should not have
    "empty",  # a 200 with an empty body
    "timeout",  # connect, read or total timeout
    "network",  # refused, reset or broken connections, protocol errors, truncated bodies
    "decoding",  # a body whose Content-Encoding does not decode
    "unexpected",  # an exception nobody foresaw: recorded, and reported as an unexpected error of the run
]
REASONS: tuple[Reason, ...] = Reason.__args__  # type: ignore[attr-defined]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Feeds and sitemaps are served with many content types in the wild; reject only the clearly wrong.
NOT_XML_TYPES = ("image/", "video/", "audio/", "application/pdf", "application/zip")
# An ETag or Last-Modified longer than this is not kept: real ones are under 100 characters, and each is
# stored per URL and sent back on every re-check.
MAX_VALIDATOR_CHARS = 512
# RFC 9110 5.5: a field value is visible ASCII (VCHAR) with spaces and tabs inside; no obs-text, no controls.
_FIELD_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?")
_DIGITS = re.compile(r"[0-9]{1,18}")
_HOST_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")  # underscores are not DNS-legal but served in the wild


class FetchFailure(Exception):
    """Ends one URL's fetch with an outcome, a reason and a message."""

    def __init__(self, outcome: Outcome, message: str, *, reason: Reason, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.reason = reason
        self.status = status

    @classmethod
    def of(cls, exc: BaseException) -> FetchFailure:
        """Any exception raised while handling a URL, as that URL's failure."""
        leaf = exc
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:  # anyio's task groups wrap errors
            leaf = leaf.exceptions[0]
        reason: Reason = "unexpected"
        if isinstance(leaf, httpx.TimeoutException | TimeoutError):
            reason = "timeout"
        elif isinstance(leaf, httpx.DecodingError):
            reason = "decoding"
        elif isinstance(leaf, httpx.TransportError | OSError):
            reason = "network"
        return cls("failed", f"{type(leaf).__name__}: {leaf}", reason=reason)


@dataclass(frozen=True, slots=True)
class Answer:
    """A response's status, the body we kept, and its headers."""

    status_code: int
    body: bytes
    headers: httpx.Headers
    # What an archive record of the exchange needs besides: the request as sent, and the HTTP version.
    request_headers: httpx.Headers = field(default_factory=httpx.Headers)
    http_version: str = "HTTP/1.1"
    # Why the body ends before the server said it would (the connection broke mid-body): a listing's first part.
    cut_short: str | None = None

    @classmethod
    def of(cls, response: httpx.Response, body: bytes) -> Answer:
        return cls(response.status_code, body, response.headers, response.request.headers, response.http_version)

    @property
    def header_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.headers.multi_items())

    @property
    def request_header_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.request_headers.multi_items())

    def _header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return str(value) if value is not None else None

    @property
    def content_type(self) -> str | None:
        return content_type_of(self.headers.get_list("content-type", split_commas=True))

    @property
    def etag(self) -> str | None:
        return field_value(self._header("etag"))

    @property
    def last_modified(self) -> str | None:
        return field_value(self._header("last-modified"))

    @property
    def retry_after(self) -> str | None:
        return self._header("retry-after")


def field_value(value: str | None) -> str | None:
    """`value` if it can be sent back as a header (visible ASCII, RFC 9110 5.5) and is not absurdly long, else None.

    For validators (ETag, Last-Modified): a server's bytes, stored per URL and sent back on the next run.
    httpx refuses to send a non-ASCII value (UnicodeEncodeError), so one bad value would fail every re-check.
    """
    if value is None:
        return None
    value = value.strip(" \t")
    if len(value) > MAX_VALIDATOR_CHARS or not _FIELD_VALUE.fullmatch(value):
        return None
    return value


# Compressed codings copydesk does not decode: httpx (without the optional brotli and zstandard packages) decodes
# gzip and deflate, the ones copydesk's Accept-Encoding asks for, and passes any other coding through as it came,
# so a server answering "br" anyway would hand the extractor compressed bytes as HTML. A coding that names no
# compression ("utf-8", "none": misconfigured servers) is passed through as browsers do, the body being plain.
_UNDECODED = frozenset("br zstd compress x-compress dcb dcz aes128gcm exi pack200-gzip bzip2 x-bzip2 lzma xz".split())
# RFC 9110 8.4.1.3: a recipient SHOULD treat "x-gzip" as "gzip"; httpx does not, so it is decoded here.
_X_GZIP = "x-gzip"


# The sitemap protocol lets a sitemap be 50 MB uncompressed (sitemaps.org): under a 10 MB max_bytes meant for
# pages, a large plain sitemap was skipped whole while its gzipped copy was read.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024


def body_cap(kind: Kind, max_bytes: int) -> int:
    """The most bytes a response of this kind is read to: max_bytes, for a sitemap the protocol's own limit, and
    for robots.txt the 500 KiB a crawler must parse (RFC 9309 2.5), past which it is cut, not refused."""
    if kind == "robots":
        return MAX_ROBOTS_BYTES
    return max(max_bytes, SITEMAP_MAX_BYTES) if kind == "sitemap" else max_bytes


class BodyCutShort(Exception):
    """The connection broke mid-body (`cause`): what came of the body before it (decoded) is `body`."""

    def __init__(self, body: bytes, cause: httpx.TransportError) -> None:
        super().__init__(str(cause))
        self.body, self.cause = body, cause


async def read_capped(response: httpx.Response, max_bytes: int, *, cut: bool = False, partial: bool = False) -> bytes:
    """The decoded body, refusing more than max_bytes while streaming (and before, by Content-Length); with `cut`,
    its first max_bytes instead. With `partial`, a connection that breaks mid-body raises BodyCutShort with what
    came before it (a feed's or a sitemap's first entries are worth reading); else httpx's error.

    gzip, x-gzip and deflate are inflated here, a bounded step at a time, never by httpx: its decoders inflate
    each network read whole, so a few KB of "gzip, gzip" became gigabytes in one zlib call on the event loop
    before any cap was checked (and every other fetch of the run waited for it).
    """
    declared = _content_length(response)
    if declared is not None and declared > max_bytes and not cut:
        message = f"body of {declared:,} bytes exceeds max_bytes={max_bytes:,}"
        raise FetchFailure("skipped", message, reason="size", status=response.status_code)
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",") if c.strip()]
    if any(c in _UNDECODED for c in codings):
        message = (
            f"Content-Encoding {response.headers['content-encoding']!r}: copydesk decodes gzip and deflate only "
            "(and asks for those)"
        )
        raise FetchFailure("failed", message, reason="decoding", status=response.status_code)
    layers = [_Inflater(c) for c in reversed(codings) if c in _COMPRESSED]
    if len(layers) > MAX_CODINGS:
        message = f"Content-Encoding stacks {len(layers)} compressions; copydesk decodes at most {MAX_CODINGS}"
        raise FetchFailure("failed", message, reason="decoding", status=response.status_code)
    # One buffer: a list of pieces held a bytes object per piece (a body of a million 2-byte gzip members took 50x
    # its size in memory).
    body = bytearray()

    def room() -> int:
        return max_bytes - len(body)

    def keep(pieces: Iterator[bytes]) -> bool:
        """Whether there is room for more."""
        for piece in pieces:
            if len(piece) > room() and not cut:
                raise _too_big(response, max_bytes)
            body.extend(piece[: room()])
            if cut and room() <= 0:
                return False
        return True

    received, pieces, wire_cap = 0, 0, 2 * max_bytes + WIRE_SLACK if layers else None
    try:
        async for raw in response.aiter_raw():
            received += len(raw)
            pieces += 1
            if pieces % _PIECES_PER_TURN == 0:
                # Chunks already read parse without waiting on the network, so nothing else ran meanwhile: a body
                # of 1-byte chunks held every other fetch of the run for seconds at a time (a review, 2026-12-07).
                await asyncio.sleep(0)
                if pieces >= MAX_PIECES and received < pieces * _MIN_MEAN_PIECE:
                    message = (
                        f"body sent in {pieces:,} pieces of {received / pieces:.1f} bytes on average: "
                        "a server trickling its answer"
                    )
                    raise FetchFailure("skipped", message, reason="size", status=response.status_code)
            if wire_cap is not None and received > wire_cap:
                # Compressed bytes that inflate to (almost) nothing, such as endless empty gzip members: the cap on
                # inflated bytes is never reached, and they were read and inflated until total_timeout.
                if layers[0].stage == "dropping":
                    break  # what follows the end of the stream is no page: the page is whole
                if cut:
                    return bytes(body)
                message = (
                    f"compressed body exceeds max_bytes={max_bytes:,} twice over: {received:,} bytes on the wire "
                    f"inflated to only {len(body):,}"
                )
                raise FetchFailure("skipped", message, reason="size", status=response.status_code)
            if not keep(_inflated(layers, raw, room)):
                return bytes(body)
        keep(_inflated(layers, b"", room, final=True))
    except zlib.error as exc:
        gzip_alias = " (gzip)" if _X_GZIP in codings else ""
        message = f"DecodingError: Content-Encoding {response.headers['content-encoding']!r}{gzip_alias}: {exc}"
        raise FetchFailure("failed", message, reason="decoding", status=response.status_code) from None
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        if partial and body:
            raise BodyCutShort(bytes(body), exc) from exc
        raise
    return bytes(body)


_COMPRESSED = frozenset({"gzip", _X_GZIP, "deflate"})
# Pieces (chunks, or network reads) of one body read before other fetches get a turn, and the most of them a body
# may come in when they average under _MIN_MEAN_PIECE bytes. A server writing a line per chunk sends ~25-100 bytes
# a piece (a generated sitemap of 30,000 URLs is 120,000 chunks); only a trickle sends a byte or two.
_PIECES_PER_TURN = 1_000
MAX_PIECES = 100_000
_MIN_MEAN_PIECE = 8
# Compressed bytes read for a body of at most max_bytes: twice that, plus this. Real compression makes fewer bytes
# than it inflates to; gzip members written a few bytes at a time (a server flushing each write) make ~20 more each.
WIRE_SLACK = 64 * 1024


# RFC 1952 2.2: a gzip body may be several members one after another (what `cat a.gz b.gz` or a server compressing
# as it streams makes); each starts with these two bytes.
_GZIP_MAGIC = b"\x1f\x8b"
# An empty final block (fixed Huffman codes): appended where a deflate stream stopped, it ends the stream only at
# a block boundary, where a server that flushes each write (a sync flush) and closes without finishing left it.
_EMPTY_FINAL_BLOCK = b"\x03\x00"
# The empty stored block a sync or full flush writes: the last deflate bytes where a flushed stream stopped.
_FLUSH_MARK = b"\x00\x00\xff\xff"
_TRAILING_SPACE = b" \t\r\n"
# A gzip header's file name and comment are unbounded; no server sends one this long. Also the most bytes kept to
# read a deflate stream again as raw (see _Inflater.retry).
_MAX_HEADER = 64 * 1024
_Stage = Literal["header", "body", "trailer", "after", "dropping"]


class _Inflater:
    """One gzip or deflate layer, read as browsers read it: the deflate data is inflated raw, and its wrapper (gzip's
    header and CRC trailer; deflate's zlib header and checksum, or none: some servers send raw deflate, told apart by
    the first two bytes) is read here.

    So a stream is whole when its deflate data ends (its final block), with or without the trailer broken output
    filters leave off (the part of it that came is checked), or when it stops at a block boundary where a server
    flushed and closed; one that stops inside a block was cut short: the HTTP message was whole (its length, or
    the connection's close, said so) but not the page in it. After a gzip member, a next one is inflated too; other
    bytes after the end are dropped as they come (zlib would keep them all: a few bytes of gzip and then gigabytes
    of anything were held in memory, uncounted).
    """

    def __init__(self, coding: str) -> None:
        self.gzip = coding != "deflate"
        self.stage: _Stage = "header"
        self.buffer = b""  # wrapper bytes not yet whole: a header, a trailer, a next member's first bytes
        self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
        self.trailer = 0  # the wrapper's bytes after the deflate data: 8 for gzip, 4 for zlib, 0 raw
        self.check = self._start  # gzip's CRC-32 or zlib's Adler-32 of what was inflated
        self.size = 0
        self.deflated = False  # whether any deflate byte came after the header
        self.filled = False  # the last step gave all it was allowed: zlib may hold more output
        self.last = b""  # the last deflate bytes given (_FLUSH_MARK where a flushed stream stopped)
        # Deflate read as zlib-wrapped: the bytes given so far, to read again as raw deflate if zlib's reading fails
        # before it gives any output (raw deflate whose first bytes look like a zlib header: 1 in ~500).
        self.retry: bytes | None = None

    @property
    def _start(self) -> int:
        return 0 if self.gzip else 1  # CRC-32 starts at 0, Adler-32 at 1

    def inflate(self, data: bytes, limit: int) -> bytes:
        """Inflate `data` (b"": what was given before and not read yet, see pending) to at most `limit` bytes."""
        if self.stage == "body":
            if not data:
                return self._inflate(self.obj.unconsumed_tail, limit)
            if self.retry is not None:
                self.retry = self.retry + data if len(self.retry) < _MAX_HEADER else None
            return self._inflate(self._noted(data), limit)
        if self.stage == "dropping":
            return b""
        self.buffer += data
        return self._wrapper(limit)

    def pending(self) -> bool:
        """Whether inflate(b"", limit) has more to read of what was given."""
        if self.stage == "body":
            return bool(self.obj.unconsumed_tail) or self.filled
        if self.stage == "header":
            return bool(self.buffer) and self._header_length() is not None
        if self.stage == "trailer":
            return len(self.buffer) >= self.trailer
        return self.stage == "after" and len(self.buffer) >= len(_GZIP_MAGIC)

    def flush(self) -> bytes:
        """The end of the body: what is left, or zlib.error if the stream was cut short or its check is wrong."""
        if self.stage == "header" and self.buffer:
            raise zlib.error(f"a compressed stream of {len(self.buffer)} byte(s), cut short in its header")
        out = b""
        if self.stage == "body":
            out = self._counted(self.obj.flush())
            if self.obj.eof:
                self.stage, self.buffer = "trailer", self.obj.unused_data
            elif not self.deflated or not self._at_block_boundary():
                raise zlib.error("the compressed stream ends inside a block (the body was cut short)")
        # What came of the trailer is checked (whole ones were, as they came), unless it is whitespace: a page
        # whose output filter left the trailer off, and a newline after it (PHP's text after "?>").
        if self.stage == "trailer" and self.buffer.strip(_TRAILING_SPACE):
            self._check_trailer(self.buffer[: self.trailer])
        return out

    def _at_block_boundary(self) -> bool:
        """Whether the deflate data stopped where a sync (or full) flush leaves it: after an empty stored block
        (its last bytes), at a block boundary (an empty final block appended ends the stream there)."""
        if self.last != _FLUSH_MARK:
            return False
        probe = self.obj.copy()
        try:
            probe.decompress(_EMPTY_FINAL_BLOCK)
        except zlib.error:
            return False
        return probe.eof

    def _inflate(self, data: bytes, limit: int) -> bytes:
        try:
            out = self.obj.decompress(data, limit)
        except zlib.error:
            if self.retry is None:
                raise
            data, self.trailer, self.retry = self.retry, 0, None
            self.obj, self.check, self.size = zlib.decompressobj(-zlib.MAX_WBITS), self._start, 0
            out = self.obj.decompress(data, limit)
        if out:
            self.retry = None
        self.filled = len(out) >= limit
        out = self._counted(out)
        if self.obj.eof:  # the trailer and what follows it are read on the next call (pending)
            self.stage, self.buffer, self.filled = "trailer", self.obj.unused_data, False
        return out

    def _counted(self, out: bytes) -> bytes:
        if out:
            self.check = zlib.crc32(out, self.check) if self.gzip else zlib.adler32(out, self.check)
            self.size += len(out)
        return out

    def _wrapper(self, limit: int) -> bytes:
        """Read the wrapper bytes the buffer holds, and inflate on where the deflate data (re)starts."""
        if self.stage == "trailer":
            if len(self.buffer) < self.trailer:
                return b""
            self._check_trailer(self.buffer[: self.trailer])
            self.stage, self.buffer = "after", self.buffer[self.trailer :]
        if self.stage == "after":
            if not self.gzip or self.buffer[: len(_GZIP_MAGIC)] != _GZIP_MAGIC[: len(self.buffer)]:
                self.stage, self.buffer = "dropping", b""
                return b""
            if len(self.buffer) < len(_GZIP_MAGIC):
                return b""
            self.stage, self.obj, self.size = "header", zlib.decompressobj(-zlib.MAX_WBITS), 0
            self.deflated, self.last = False, b""
            self.check = self._start
        length = self._header_length()
        if length is None:
            if len(self.buffer) > _MAX_HEADER:
                raise zlib.error(f"a gzip header of more than {_MAX_HEADER:,} bytes")
            return b""
        if self.gzip:
            self.trailer = 8
        elif length:  # zlib-wrapped: its Adler-32 follows the deflate data
            self.trailer, self.retry = 4, self.buffer
        data, self.buffer, self.stage = self.buffer[length:], b"", "body"
        return self._inflate(self._noted(data), limit) if data else b""

    def _noted(self, data: bytes) -> bytes:
        self.deflated = True
        self.last = (self.last + data[-len(_FLUSH_MARK) :])[-len(_FLUSH_MARK) :]
        return data

    def _header_length(self) -> int | None:
        """The length of the wrapper's header at the start of the buffer, or None until it is all there."""
        head = self.buffer
        if not self.gzip:
            if len(head) < 2:
                return None
            # A zlib header (RFC 1950); one asking for a preset dictionary is read as raw deflate, the only reading
            # left (no server has the dictionary to give).
            zlib_header = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0 and not head[1] & 0x20
            return 2 if zlib_header else 0
        if head[: len(_GZIP_MAGIC)] != _GZIP_MAGIC[: len(head)] or (len(head) > 2 and head[2] != 8):
            raise zlib.error("not a gzip stream (no gzip header)")
        if len(head) < 10:
            return None
        flags, at = head[3], 10
        if flags & 0x04:  # FEXTRA: a length, then that many bytes
            if len(head) < at + 2:
                return None
            at += 2 + int.from_bytes(head[at : at + 2], "little")
        for flag in (0x08, 0x10):  # FNAME, FCOMMENT: zero-terminated
            if flags & flag:
                end = head.find(b"\0", at)
                if end < 0:
                    return None
                at = end + 1
        at += 2 if flags & 0x02 else 0  # FHCRC
        return at if len(head) >= at else None

    def _check_trailer(self, came: bytes) -> None:
        """Compare the trailer's bytes that came (all of it, or the start a cut body left) with the data's."""
        if self.gzip:
            expected = (self.check & 0xFFFFFFFF).to_bytes(4, "little") + (self.size & 0xFFFFFFFF).to_bytes(4, "little")
            what = "the gzip trailer's CRC or length"
        else:
            expected, what = (self.check & 0xFFFFFFFF).to_bytes(4, "big"), "the zlib trailer's Adler-32"
        if came != expected[: len(came)]:
            raise zlib.error(f"incorrect data check ({what})")


# Compressed codings a response may stack ("gzip, gzip"): curl decodes at most 5 (CVE-2023-23916); no server
# compresses twice for a reason, and each layer costs a zlib stream and a step of every read.
MAX_CODINGS = 5


def _inflated(layers: list[_Inflater], data: bytes, room: Callable[[], int], *, final: bool = False) -> Iterator[bytes]:
    """`data` through the layers (outermost coding first), each step inflating at most room() + 1 bytes, room()
    asked again at every step; the caller stops at the first piece past its cap, so no step holds more."""
    if not layers:
        if data:
            yield data
        return
    layer, inner = layers[0], layers[1:]
    out = layer.inflate(data, max(room(), 0) + 1)
    while True:
        yield from _inflated(inner, out, room)
        if not layer.pending():
            break
        out = layer.inflate(b"", max(room(), 0) + 1)
    if final:
        yield from _inflated(inner, layer.flush(), room, final=True)


def _too_big(response: httpx.Response, max_bytes: int) -> FetchFailure:
    return FetchFailure("skipped", f"body exceeds max_bytes={max_bytes:,}", reason="size", status=response.status_code)


def _content_length(response: httpx.Response) -> int | None:
    declared = response.headers.get("content-length", "").strip()
    return int(declared) if _DIGITS.fullmatch(declared) else None  # str.isdigit() takes "²", int() does not


# A connection goes back to the pool only once its response has been read to the end. Unread, a 304 (empty
# body) or a small error page closed it: every conditional re-check of a second run opened a new connection.
DRAIN_LIMIT = 64 * 1024


async def drain(response: httpx.Response) -> None:
    """Read and drop a body we do not keep, so the connection can be reused.

    Only a 304 (no body) or a body that declares a small Content-Length: an unknown or large one closes the
    connection instead, and reading the body never turns the status we already have into a failure.
    """
    declared = _content_length(response)
    if response.status_code != 304 and not (declared is not None and declared <= DRAIN_LIMIT):
        return
    try:
        async for _ in response.aiter_raw():
            pass
    except httpx.HTTPError:
        return  # the body is dropped either way; httpx closes the connection it could not finish reading


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from stored validators; one an older run stored unchecked is dropped."""
    headers = {}
    etag, last_modified = field_value(etag), field_value(last_modified)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def checked_url(url: str) -> httpx.URL:
    """The URL as httpx will request it, or a bad_url failure: scheme, host syntax and port checked first."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise FetchFailure("skipped", f"invalid URL {url!r}: {exc}", reason="bad_url") from None
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise FetchFailure("skipped", f"not an http(s) URL with a host: {url!r}", reason="bad_url")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchFailure("skipped", f"port {parsed.port} of {url!r} is outside 1-65535", reason="bad_url")
    problem = _host_problem(parsed.raw_host.decode("ascii"))
    if problem:
        raise FetchFailure("skipped", f"invalid host in {url!r}: {problem}", reason="bad_url")
    return parsed


def _host_problem(host: str) -> str | None:
    """Why `host` (httpx's ASCII form: IDNA already applied) cannot be resolved, or None."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass  # not an IP literal: a DNS name, checked below
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253:
        return f"{len(name)} characters, over the 253 a DNS name may have"
    bad = next((label for label in name.split(".") if not _HOST_LABEL.fullmatch(label)), None)
    if bad is not None:
        return f"label {bad[:70]!r} is not 1-63 letters, digits, hyphens or underscores"
    return None


def redirect_target(current: str, response: Answer) -> str:
    """Where a redirect points, as an absolute URL; a missing or invalid Location ends the URL's fetch, and so do
    two that differ (Chrome refuses them too). Two equal ones are one: httpx joins them, and the joined
    "/real/x, /real/x" was requested."""
    status = response.status_code
    locations = list(dict.fromkeys(v.strip() for v in response.headers.get_list("location") if v.strip()))
    if not locations:
        raise FetchFailure("failed", f"redirect {status} without Location", reason="redirects", status=status)
    if len(locations) > 1:
        shown = ", ".join(repr(v[:200]) for v in locations[:3])
        raise FetchFailure(
            "failed", f"redirect {status} with conflicting Locations {shown}", reason="redirects", status=status
        )
    location = locations[0]
    try:
        target = urljoin(current, str(location).strip())
        parts = urlsplit(target)
        if "@" in parts.netloc:  # never sent (httpx would, as Basic auth) nor written to `fetches`
            target = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        checked_url(target)
    except (FetchFailure, ValueError) as exc:
        message = f"redirect {status} to an invalid Location {location[:200]!r}: {exc}"
        raise FetchFailure("failed", message, reason="redirects", status=status) from None
    return target


def refresh_target(current: str, response: Answer) -> str | None:
    """Where a page sends the browser at once with a Refresh header or `<meta http-equiv="refresh">` (a delay of
    REFRESH_NOW seconds at most, to another address), as an absolute URL; None for a page to read as it is.

    Search engines take such a page for a redirect; read as the article it stored "Redirecting..." as the
    story. A refresh the browser does not act on as markup (in a comment, a <script>, or a <noscript> for browsers
    without JavaScript), one with no address ("0; url="), and one to an address that is no http(s) URL are no way
    on: the page stays the page.
    """
    if response.status_code != 200:
        return None
    start = response.body[:_REFRESH_WINDOW]
    end = _HEAD_END.search(start)
    head = _UNREAD.sub(b"", start[: end.start()] if end else start)
    values = [response.headers.get("refresh") or ""]
    values += list(_meta_refreshes(head))
    for value in values:
        match = _REFRESH_VALUE.match(unescape(value))
        if match is None or float(match[1]) > REFRESH_NOW:
            continue
        address = _REFRESH_URL.sub("", match[2] or "").strip().strip("'\"").strip()
        if not address:  # "0" or "0; url=": this page again
            continue
        try:
            target: str = urljoin(current, address)
            checked_url(target)
        except (FetchFailure, ValueError):
            continue
        if target.split("#")[0] != current.split("#")[0]:
            return target
    return None


# A refresh this soon (seconds) is a redirect; later ones are a live page reloading itself.
REFRESH_NOW = 5
_REFRESH_WINDOW = 64 * 1024
_HEAD_END = re.compile(rb"</head\b|<body\b", re.IGNORECASE)
# What the browser does not act on as markup: comments (a template's old refresh left in "<!-- -->"), <script>
# (a refresh a script may write, on some condition) and <noscript> (a refresh for browsers without JavaScript).
_UNREAD = re.compile(rb"<!--.*?(?:-->|$)|<(script|noscript)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_META_START = re.compile(rb"<meta\b", re.IGNORECASE)
_REFRESH_EQUIV = re.compile(rb"""\bhttp-equiv\s*=\s*["']?\s*refresh\b""", re.IGNORECASE)
_CONTENT_START = re.compile(rb"""\bcontent\s*=\s*(["'])""", re.IGNORECASE)
_CONTENT_MAX = 4096


def _meta_refreshes(head: bytes) -> Iterator[str]:
    """The content of each <meta http-equiv="refresh"> in head, a value read up to _CONTENT_MAX bytes. Each tag is
    read once, from its "<meta" to the ">" after its content's closing quote (a ">" inside the value, as in
    "url=/next?a=1>2", is the value's): a pattern that scanned from every "<meta" to a ">" that never came took
    5 s of the run's event loop for a hostile head of 10,900 "<meta " (a review, 2026-12)."""
    end = 0
    while (start := _META_START.search(head, end)) is not None:
        close = head.find(b">", start.end())
        close = len(head) if close == -1 else close
        value = None
        content = _CONTENT_START.search(head, start.end(), close)
        if content is not None:
            stop = head.find(content[1], content.end(), content.end() + _CONTENT_MAX + 1)
            if stop != -1:
                value = head[content.end() : stop]
                after = head.find(b">", stop)
                close = len(head) if after == -1 else after
        if value is not None and _REFRESH_EQUIV.search(head, start.end(), close):
            yield value.decode("latin-1")
        end = max(close, start.end())


_REFRESH_VALUE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*(?:[;,]\s*(.*))?$", re.IGNORECASE | re.DOTALL)
_REFRESH_URL = re.compile(r"^\s*url\s*=\s*", re.IGNORECASE)


def whole_range(content_range: str | None, length: int) -> bool:
    """Whether a 206's Content-Range covers the whole resource, its `length` bytes ("bytes 0-N/N+1")."""
    match = _CONTENT_RANGE.fullmatch((content_range or "").strip())
    if match is None:
        return False
    first, last, total = int(match[1]), int(match[2]), match[3]
    return first == 0 and last + 1 == length and (total == "*" or int(total) == length)


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


def content_type_problem(kind: Kind, content_type: str | None) -> str | None:
    """Why a 200 response is not what this kind of URL should return, or None if it is fine."""
    if content_type is None or kind == "robots":
        return None
    mime = content_type.split(";")[0].strip().lower()
    if kind in ("article", "page") and mime not in HTML_TYPES:
        return f"content type {mime!r} is not HTML"
    if kind in ("feed", "sitemap") and mime.startswith(NOT_XML_TYPES):
        return f"content type {mime!r} is not XML"
    return None


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when it is neither."""
    if not value:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
