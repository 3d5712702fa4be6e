"""crawl._http.read_capped on any body, coding stack and network chunking: what arrives is what was sent, or a
refusal at max_bytes (or, cut, its first max_bytes), never more held than the cap allows."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawl import _http
from crawl._http import MAX_CODINGS, FetchFailure, read_capped


class Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def encoded(data: bytes, coding: str) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(data)
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)  # deflate as some servers send it, without the zlib wrapper
    return zlib.compress(data) if coding == "deflate" else raw.compress(data) + raw.flush()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


def read(body: bytes, codings: list[str], cuts: list[int], max_bytes: int, *, cut: bool = False) -> bytes:
    wire = body
    for coding in codings:  # applied in the order listed, as Content-Encoding says
        wire = encoded(wire, coding)
    header = ", ".join("deflate" if c == "raw deflate" else c for c in codings)
    response = httpx.Response(
        200, headers={"Content-Encoding": header} if header else {}, stream=Chunks(split(wire, cuts))
    )
    return asyncio.run(read_capped(response, max_bytes, cut=cut))


CODINGS = st.lists(st.sampled_from(["gzip", "x-gzip", "deflate", "raw deflate"]), max_size=3)
BODIES = st.binary(max_size=3000) | st.builds(lambda n: b"\0" * n, st.integers(0, 200_000))  # compressible


@settings(max_examples=150, deadline=None)
@given(BODIES, CODINGS, st.lists(st.integers(0, 10**6), max_size=8), st.integers(0, 5000))
def test_a_body_arrives_whole_or_is_refused_at_its_cap(
    body: bytes, codings: list[str], cuts: list[int], extra: int
) -> None:
    assert read(body, codings, cuts, len(body) + extra) == body
    if body:
        with pytest.raises(FetchFailure, match="exceeds max_bytes"):
            read(body, codings, cuts, len(body) - 1)
        assert read(body, codings, cuts, len(body) - 1, cut=True) == body[:-1]


# (header, trailer) bytes around the deflate data of each coding's wire form, as `encoded` makes it.
WRAPPER = {"gzip": (10, 8), "x-gzip": (10, 8), "deflate": (2, 4), "raw deflate": (0, 0)}


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=3000),
    st.sampled_from(sorted(WRAPPER)),
    st.lists(st.integers(0, 10**6), max_size=8),
    st.floats(0, 1, exclude_max=True),
)
def test_a_compressed_stream_cut_short_is_a_decoding_failure(
    body: bytes, coding: str, cuts: list[int], kept: float
) -> None:
    # The HTTP message is whole (its length or the connection's close said so), the compressed stream in it is
    # not: inflated as far as it goes, the page was stored as the story's first part, with outcome ok.
    header, trailer = WRAPPER[coding]
    wire = encoded(body, coding)
    wire = wire[: header + int((len(wire) - header - trailer) * kept)]  # inside the header or the deflate data
    header_name = "deflate" if coding == "raw deflate" else coding
    response = httpx.Response(200, headers={"Content-Encoding": header_name}, stream=Chunks(split(wire, cuts)))
    if not wire:  # no byte at all: an empty body, not a broken one
        assert asyncio.run(read_capped(response, 10_000)) == b""
        return
    with pytest.raises(FetchFailure, match="cut short") as failure:
        asyncio.run(read_capped(response, 10_000))
    assert failure.value.reason == "decoding"


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_stream_whose_deflate_data_ended_is_whole_without_its_trailer_or_at_a_sync_flush(coding: str) -> None:
    # Browsers read both as the whole page: output filters that leave off gzip's CRC and length, and servers that
    # flush each write (Z_SYNC_FLUSH) and close without finishing the stream.
    page = b"<html><body><h1>Story</h1>" + b"<p>A paragraph of the story.</p>" * 200 + b"</body></html>"
    untrailed = encoded(page, coding)[: -WRAPPER[coding][1]]
    flusher = zlib.compressobj(6, zlib.DEFLATED, 31 if coding == "gzip" else 15)
    flushed = flusher.compress(page) + flusher.flush(zlib.Z_SYNC_FLUSH)
    for wire in (untrailed, flushed):
        response = httpx.Response(200, headers={"Content-Encoding": coding}, stream=Chunks(split(wire, [7, 300])))
        assert asyncio.run(read_capped(response, 10**6)) == page
    # A wrong checksum is still an error, as zlib's own reading made it.
    broken = bytearray(encoded(page, coding))
    broken[-2] ^= 0xFF  # in the trailer
    response = httpx.Response(200, headers={"Content-Encoding": coding}, stream=Chunks([bytes(broken)]))
    with pytest.raises(FetchFailure, match="incorrect data check"):
        asyncio.run(read_capped(response, 10**6))


@settings(max_examples=100, deadline=None)
@given(
    st.binary(max_size=3000),
    st.lists(st.integers(0, 3000), min_size=1, max_size=5),
    st.lists(st.integers(0, 10**6), max_size=8),
)
def test_every_member_of_a_gzip_body_is_inflated(body: bytes, splits: list[int], cuts: list[int]) -> None:
    # RFC 1952 2.2: `cat a.gz b.gz`, or a server compressing as it streams, sends several members; only the
    # first was read, the rest of the page dropped with outcome ok.
    members = b"".join(gzip.compress(part) for part in split(body, splits))
    response = httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=Chunks(split(members, cuts)))
    assert asyncio.run(read_capped(response, len(body) + 1)) == body


def test_bytes_after_the_end_of_a_gzip_stream_are_dropped_not_held() -> None:
    # zlib keeps whatever follows a stream's end in unused_data: 50 bytes of gzip and then 20 MB of anything
    # were all held in memory, none of it counted against max_bytes.
    junk = [b"\0junk" * 13_000] * 320  # 20 MB in 64 kB reads
    response = httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=Chunks([gzip.compress(b"<p>story</p>"), *junk])
    )
    tracemalloc.start()
    try:
        assert asyncio.run(read_capped(response, 1_000)) == b"<p>story</p>"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak:,} bytes held while reading 20 MB after the stream's end"


def test_more_stacked_compressions_than_curl_decodes_are_a_decoding_failure() -> None:
    # 2,000 "gzip" codings ran one nested generator each: a RecursionError, filed as unexpected, failed the run.
    wire = b"<p>story</p>"
    for depth in range(1, 8):
        wire = gzip.compress(wire)
        response = httpx.Response(200, headers={"Content-Encoding": ", ".join(["gzip"] * depth)}, stream=Chunks([wire]))
        if depth <= MAX_CODINGS:
            assert asyncio.run(read_capped(response, 1_000)) == b"<p>story</p>"
        else:
            with pytest.raises(FetchFailure, match=f"stacks {depth} compressions") as failure:
                asyncio.run(read_capped(response, 1_000))
            assert failure.value.reason == "decoding"


def read_wire(chunks: list[bytes], coding: str, max_bytes: int = 10**6, *, cut: bool = False) -> bytes:
    response = httpx.Response(200, headers={"Content-Encoding": coding}, stream=Chunks(chunks))
    return asyncio.run(read_capped(response, max_bytes, cut=cut))


def test_a_stacked_body_at_its_cap_is_the_same_however_the_network_splits_it() -> None:
    # An outer step near the cap is 1-2 bytes, and zlib holds decoded output past its input's end: the loop
    # stopped on the input and the inner stream was taken for cut short (in two reads, not in one).
    body = b"<p>story</p>"
    inner = zlib.compressobj(6, zlib.DEFLATED, -15)
    outer = zlib.compressobj(9, zlib.DEFLATED, -15)
    wire = outer.compress(inner.compress(body) + inner.flush(zlib.Z_SYNC_FLUSH) + b"\x00\x00\x00\xff\xff")
    wire += outer.flush()
    for chunks in ([wire], [wire[:-1], wire[-1:]]):
        assert read_wire(chunks, "deflate, deflate", len(body)) == body
        assert read_wire(chunks, "deflate, deflate", len(body) + 1, cut=True) == body


@pytest.mark.parametrize(
    "wire",
    [
        # Cut inside a stored block whose data happens to end as a flush does (00 00 ff ff).
        (
            lambda c: (lambda w: w[: w.index(b"\x00\x00\xff\xff") + 4])(
                c.compress(b"<p>a</p>\x00\x00\xff\xffmore" * 9) + c.flush()
            )
        )(zlib.compressobj(0, zlib.DEFLATED, 31)),
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\xff\xff",  # a gzip header ending in ff ff, and no deflate data
    ],
)
def test_only_a_stream_stopped_at_a_flush_is_whole_not_bytes_that_look_like_one(wire: bytes) -> None:
    with pytest.raises(FetchFailure, match="cut short") as failure:
        read_wire([wire], "gzip")
    assert failure.value.reason == "decoding"


@pytest.mark.parametrize(("coding", "trailer"), [("gzip", 8), ("deflate", 4)])
def test_the_part_of_a_trailer_that_came_is_checked(coding: str, trailer: int) -> None:
    page = b"<p>A paragraph of the story.</p>" * 50
    wire = bytearray(gzip.compress(page) if coding == "gzip" else zlib.compress(page))
    wire[-trailer] ^= 0xFF  # the checksum's first byte is wrong, and the trailer's last byte is missing
    with pytest.raises(FetchFailure, match="incorrect data check"):
        read_wire([bytes(wire[:-1])], coding)
    assert read_wire([gzip.compress(page)[:-3] if coding == "gzip" else zlib.compress(page)[:-1]], coding) == page
    # No trailer and a newline (PHP's text after "?>"): the deflate data ended, the newline is no checksum.
    for junk in (b"\n", b"\r\n", b" \n"):
        assert (
            read_wire([(gzip.compress(page)[:-8] if coding == "gzip" else zlib.compress(page)[:-4]) + junk], coding)
            == page
        )


def test_many_tiny_gzip_members_hold_about_the_cap() -> None:
    # Each member's output was a bytes object of its own: 2-byte members held ~22x the cap in memory.
    cap = 100_000
    members = gzip.compress(b"ab", mtime=0) * (cap // 2 + 10)
    tiny = [members[i : i + 65536] for i in range(0, len(members), 65536)]
    tracemalloc.start()
    try:
        with pytest.raises(FetchFailure, match="exceeds max_bytes"):
            read_wire(tiny, "gzip", cap)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * cap, f"{peak:,} bytes held for a {cap:,}-byte cap"


def test_compressed_bytes_that_inflate_to_nothing_are_refused_by_their_own_size() -> None:
    # Endless empty gzip members never reach a cap on inflated bytes: a host sent 85 MB of them per URL, read and
    # inflated on the event loop until total_timeout, recorded as a timeout.
    cap = 10_000
    empty = gzip.compress(b"", mtime=0) * 2_000  # 40 kB that inflate to nothing
    with pytest.raises(
        FetchFailure,
        match=r"compressed body exceeds max_bytes=10,000 twice over: [\d,]+ bytes on the wire inflated to only 2$",
    ):
        read_wire([gzip.compress(b"<p", mtime=0)] + [empty] * 10, "gzip", cap)
    assert read_wire([gzip.compress(b"<p", mtime=0)] + [empty] * 10, "gzip", cap, cut=True) == b"<p"
    # Members of a few bytes each (a server flushing every write) cost more on the wire than they inflate to.
    flushed = b"".join(gzip.compress(bytes([65 + i % 26]) * 3, mtime=0) for i in range(3_000))
    assert len(flushed) > 2 * 9_000
    assert read_wire([flushed], "gzip", 9_000) == b"".join(bytes([65 + i % 26]) * 3 for i in range(3_000))


def test_no_step_inflates_past_the_room_left(monkeypatch: pytest.MonkeyPatch) -> None:
    # The room a network read allowed was not asked again between gzip members: a member to the cap, then a
    # bomb, inflated twice the cap before the cap was checked.
    cap, inflated = 1_000_000, 0
    step = _http._Inflater._inflate

    def counted(self: _http._Inflater, data: bytes, limit: int) -> bytes:
        nonlocal inflated
        out = step(self, data, limit)
        inflated += len(out)
        return out

    monkeypatch.setattr(_http._Inflater, "_inflate", counted)
    with pytest.raises(FetchFailure, match="exceeds max_bytes"):
        read_wire([gzip.compress(b"a" * (cap - 1)) + gzip.compress(b"\0" * 50_000_000, 1)], "gzip", cap)
    assert inflated <= cap + 1, f"{inflated:,} bytes inflated for a {cap:,}-byte cap"


@pytest.mark.parametrize("at", [1, 2, 3, 4, 40])
def test_raw_deflate_that_looks_like_a_zlib_header_reads_whole_however_it_is_split(at: int) -> None:
    raw = bytes([0x08, 0x1D, 0x00, 0xE2, 0xFF]) + b"A" * 29 + b"\x03\x00"  # a stored block: 08 1d reads as zlib's
    assert zlib.decompress(raw, -15) == b"A" * 29
    assert read_wire([raw[:at], raw[at:]], "deflate") == b"A" * 29
    dictionary = bytes([0x08, 0x3C, 0x00, 0xC3, 0xFF]) + b"B" * 60 + b"\x03\x00"  # "zlib with a preset dictionary"
    assert read_wire([dictionary], "deflate") == b"B" * 60
