"""crawl._http.read_capped on any body, coding stack and network chunking: what arrives is what was sent, or a
refusal at max_bytes (or, cut, its first max_bytes), never more held than the cap allows."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawl._http import FetchFailure, read_capped


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
