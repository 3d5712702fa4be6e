"""Nothing lost, nothing doubled: `copydesk run` killed with SIGKILL at chosen moments, then run again to completion.

A generated newsroom (3 sites on loopback, wire copies among them) is crawled by the real CLI in a subprocess.
Kill moments come from the run itself, not from blind sleeps: its log lines mark the phases, and the DuckDB file
lock (read with F_GETLK, which takes no lock) shows when a batch or the dedup step is being written. After each
kill the file must be consistent (no orphan rows, whole batches only); after the rerun every article is stored
exactly once and the clusters are the true ones. COPYDESK_KILL_REPEATS=20 runs the full proof; CI runs 3 of
each (the first three runs are killed twice each, so every phase is killed once).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import os
import queue
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage._bandruns import RUN_ARRAYS
from storage.archive import default_archive_dir, read_response
from storage.db import connect

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="F_GETLK's struct flock layout and killpg are Linux's here"),
]

REPEATS = int(os.environ.get("COPYDESK_KILL_REPEATS", "3"))
PHASES = ("start", "discovered", "fetching", "writing", "dedup", "finishing")
SITES, ARTICLES_PER_SITE, WIRE_STORIES = 3, 40, 8
PAGE_DELAY = 0.01  # seconds per article response, so fetching spans a moment we can land in
RUN_TIMEOUT = 240.0


# --- the newsroom -------------------------------------------------------------------------------------------


@dataclass
class Newsroom:
    bases: list[str] = field(default_factory=list)
    stories: dict[str, str] = field(default_factory=dict)  # article URL -> story id (wire copies share one)

    def sources_toml(self) -> str:
        blocks = [
            f'[[sources]]\nname = "site{i}"\nhomepage = "{base}/"\nfeeds = ["{base}/rss.xml"]\n'
            for i, base in enumerate(self.bases)
        ]
        settings = "[settings]\nper_host_delay = 0.0\nconcurrency = 8\nper_host_concurrency = 2\nbatch_size = 10\n"
        return "\n".join(blocks) + "\n" + settings


def _words(rng: random.Random, n: int) -> str:
    syllables = ["ka", "lo", "mi", "ter", "an", "vos", "rel", "dun", "pa", "shi", "gor", "ne", "ust", "bri", "ol"]
    return " ".join("".join(rng.choices(syllables, k=rng.randint(1, 3))) for _ in range(n))


def _paragraphs(rng: random.Random, n: int = 6) -> list[str]:
    return [_words(rng, 45).capitalize() + "." for _ in range(n)]


def _page(title: str, paragraphs: list[str], published: datetime) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>"
        f'<meta property="article:published_time" content="{published.isoformat()}"></head>'
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright the site</footer></body></html>"
    ).encode()


def _rss(base: str, items: list[tuple[str, str, datetime]]) -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>{base}{p}</link><pubDate>{format_datetime(d)}</pubDate></item>"
        for p, t, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{base}</title>{entries}</channel></rss>'.encode()


def build_newsroom(bases: list[str]) -> tuple[Newsroom, list[dict[str, tuple[bytes, str]]]]:
    """Pages per site: unique stories plus wire stories carried by 2-3 sites with a local paragraph added."""
    rng, room = random.Random(8), Newsroom(bases=bases)
    wire = [(f"wire{w}", _paragraphs(rng)) for w in range(WIRE_STORIES)]
    carriers = {story: rng.sample(range(SITES), rng.randint(2, 3)) for story, _ in wire}
    day = datetime(2025, 6, 1, tzinfo=UTC)
    sites: list[dict[str, tuple[bytes, str]]] = []
    for i, base in enumerate(bases):
        items, pages = [], {}
        for k in range(ARTICLES_PER_SITE):
            path, published = f"/news/story-{i}-{k}.html", day + timedelta(hours=3 * k + i)
            story, text = f"own{i}-{k}", _paragraphs(rng)
            if k < WIRE_STORIES and i in carriers[wire[k][0]]:
                story, text = wire[k][0], [_words(rng, 30).capitalize() + ".", *wire[k][1]]
            title = f"Story {i}-{k} {_words(rng, 3)}"
            pages[path] = (_page(title, text, published), "text/html; charset=utf-8")
            items.append((path, title, published))
            room.stories[base + path] = story
        pages["/rss.xml"] = (_rss(base, items), "application/rss+xml")
        pages["/robots.txt"] = (b"User-agent: *\nAllow: /\n", "text/plain")
        pages["/"] = (
            b"<html><body>" + b"".join(f"<a href='{p}'>x</a>".encode() for p, _, _ in items) + b"</body></html>",
            "text/html",
        )
        sites.append(pages)
    return room, sites


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Site

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        found = self.server.pages.get(self.path.split("?")[0])
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body, content_type = found
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        if self.path.startswith("/news/"):
            time.sleep(PAGE_DELAY)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the run's fetches table is the request log


class _Site(ThreadingHTTPServer):
    daemon_threads = True
    pages: dict[str, tuple[bytes, str]]


@pytest.fixture(scope="module")
def newsroom() -> Iterator[Newsroom]:
    servers = [_Site(("127.0.0.1", 0), _Handler) for _ in range(SITES)]
    room, sites = build_newsroom([f"http://127.0.0.1:{s.server_port}" for s in servers])
    for server, pages in zip(servers, sites, strict=True):
        server.pages = pages
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield room
    for server in servers:
        server.shutdown()
        server.server_close()


# --- Prefect and the CLI ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def run_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One Prefect server for every run: each run then starts in seconds instead of launching its own (~10-30 s)."""
    home = tmp_path_factory.mktemp("prefect-home")
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        # Band keys flush into run files every 4 articles (slices of 4, merged as they go): kills then land while
        # run files are written, merged and removed, and lsh_runs has rows for assert_consistent to check.
        "COPYDESK_LSH_FLUSH_ARTICLES": "4",
    }
    env.pop("PREFECT_API_URL", None)
    port = _free_port()
    prefect = str(Path(sys.executable).with_name("prefect"))
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_healthy(api, server)
        yield {**env, "PREFECT_API_URL": api}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_healthy(api: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"prefect server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("prefect server did not answer /api/health within 180 s")


def _copydesk() -> list[str]:
    script = shutil.which("copydesk", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main())"]


class Run:
    """`copydesk run` in its own process group, its log lines collected by a thread as they come."""

    def __init__(self, sources: Path, db: Path, env: dict[str, str], command: tuple[str, ...] = ("run",)) -> None:
        self.db = db
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        flags = ("--allow-private",) if command == ("run",) else ()
        self.proc = subprocess.Popen(
            [*_copydesk(), *command, "--sources", str(sources), "--db", str(db), *flags],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._pumping = threading.Thread(target=self._pump, daemon=True)
        self._pumping.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, marker: str) -> bool:
        """Block until a log line contains `marker`; False if the run ended first."""
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                return False
            self.log.append(line)
            if marker in line:
                return True
        raise TimeoutError(f"no {marker!r} within {RUN_TIMEOUT:g} s:\n{''.join(self.log[-30:])}")

    def wait_for_write_lock(self, nth: int = 1) -> bool:
        """Block until this run has taken the DuckDB write lock for the nth time from now; False if it ended."""
        held_before, seen = False, 0
        while self.proc.poll() is None:
            held = _write_lock_holder(self.db) == self.proc.pid
            if held and not held_before:
                seen += 1
                if seen == nth:
                    return True
            held_before = held
            time.sleep(0.0005)
        return False

    def wait_for_run_file(self, timeout: float) -> bool:
        """Block until a run file of band keys appears in `<db>.lsh/` that was not there (written, merged or a
        .tmp being written); False if none did within `timeout` seconds or the run ended."""
        directory = Path(f"{self.db}.lsh")
        before = set(os.listdir(directory)) if directory.is_dir() else set()
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if directory.is_dir() and set(os.listdir(directory)) - before:
                return True
            time.sleep(0.0005)
        return False

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._pumping.join(timeout=30)

    def finish(self) -> int:
        """Wait for the run to end on its own; its whole log is then in self.log."""
        code = self.proc.wait(timeout=RUN_TIMEOUT)
        while (line := self.lines.get(timeout=30)) is not None:
            self.log.append(line)
        self._pumping.join(timeout=30)
        return code


def _write_lock_holder(db: Path) -> int | None:
    """PID of the process holding DuckDB's lock on the file, asked with F_GETLK (which takes no lock)."""
    try:
        fd = os.open(db, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        query = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, query))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else pid


def kill_at(run: Run, phase: str, rng: random.Random) -> bool:
    """Kill the run at a moment of the given phase; False if it finished before getting there."""
    if phase == "start":
        landed = run.wait_for("Beginning flow run")
        time.sleep(rng.uniform(0, 0.4))  # start_run, robots.txt, feeds, the discovery batch
    elif phase == "discovered":
        landed = run.wait_for("discover:")  # a source discovered (its listing recorded); others may be fetching
    elif phase == "fetching":
        landed = run.wait_for("plan:")
        # Short: a rerun may have only a few dozen URLs left, fetched and extracted within about a second.
        time.sleep(rng.uniform(0, 0.5))
    elif phase == "writing":
        # Up to the 4th write: batches that finish together share one, so a small run makes only a few.
        landed = run.wait_for("plan:") and run.wait_for_write_lock(nth=rng.randint(1, 4))
    elif phase == "dedup":
        landed = run.wait_for("fetch:") and run.wait_for_write_lock()
        # With flushes of 4 articles (run_env), the dedup transaction writes and merges run files one after
        # another: kill among them. A rerun with nothing left to sign writes none; the kill then lands at once.
        if landed and run.wait_for_run_file(timeout=30):
            time.sleep(rng.uniform(0, 0.05))
    else:  # finishing: dedup committed, the run's end not yet recorded
        landed = run.wait_for("dedupe:")
    if run.proc.poll() is not None:
        return False
    run.kill()
    return landed


# --- what must hold ---------------------------------------------------------------------------------------


TABLES = (
    "runs",
    "articles",
    "url_aliases",
    "fetches",
    "errors",
    "seen_urls",
    "signatures",
    "lsh_bands",
    "lsh_runs",
    "index_rebuilds",
    "dup_pairs",
    "cluster_merges",
    "pages",
    "warc_files",
)
ORPHANS = {
    "signature without article": "SELECT count(*) FROM signatures "
    "WHERE article_id NOT IN (SELECT article_id FROM articles)",
    "band without signature": "SELECT count(*) FROM lsh_bands "
    "WHERE article_id NOT IN (SELECT article_id FROM signatures)",
    "pair without article": "SELECT count(*) FROM dup_pairs WHERE article_id NOT IN (SELECT article_id FROM articles) "
    "OR matched_article_id NOT IN (SELECT article_id FROM articles)",
    "alias without article": "SELECT count(*) FROM url_aliases WHERE url NOT IN (SELECT url FROM articles)",
    "stored URL without article": "SELECT count(*) FROM seen_urls WHERE kind = 'article' AND outcome = 'ok' "
    "AND article_url NOT IN (SELECT url FROM articles)",
    "clustered without signature": "SELECT count(*) FROM articles WHERE cluster_id IS NOT NULL "
    "AND article_id NOT IN (SELECT article_id FROM signatures)",
    "cluster id not a member's id": "SELECT count(*) FROM articles a WHERE cluster_id IS NOT NULL AND cluster_id "
    "NOT IN (SELECT article_id FROM articles m WHERE m.cluster_id = a.cluster_id)",
    "signed but partly banded": "SELECT count(*) FROM (SELECT article_id, count(*) AS n FROM lsh_bands GROUP BY ALL) "
    "WHERE n <> (SELECT max(n) FROM (SELECT count(*) AS n FROM lsh_bands GROUP BY article_id))",
    "fetch of unknown run": "SELECT count(*) FROM fetches WHERE run_id NOT IN (SELECT run_id FROM runs)",
    "article URL twice": "SELECT count(*) - count(DISTINCT url) FROM articles",
    "page of unknown run": "SELECT count(*) FROM pages WHERE run_id NOT IN (SELECT run_id FROM runs)",
}


def assert_consistent(db: Path) -> None:
    if not db.exists():
        return
    with duckdb.connect(str(db), read_only=True) as con:
        (tables,) = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()  # type: ignore[misc]
        if tables == 0:
            return  # killed before the schema's transaction committed: an empty file
        assert tables == len(TABLES), "half a schema"
        found = {name: con.execute(sql).fetchone()[0] for name, sql in ORPHANS.items()}  # type: ignore[index]
        runs = [name for (name,) in con.execute("SELECT name FROM lsh_runs").fetchall()]
        pages = con.execute(
            "SELECT warc_file, record_offset, record_length, payload_digest FROM pages WHERE record_type = 'response'"
        ).fetchall()
    assert {k: v for k, v in found.items() if v} == {}
    # Every registered run file is whole (storage/_bandruns.py writes, fsyncs and renames before registering).
    missing = [f"{r}/{a}.npy" for r in runs for a in RUN_ARRAYS if not Path(f"{db}.lsh", r, f"{a}.npy").is_file()]
    assert missing == []
    assert_archived(db, pages)


def assert_archived(db: Path, pages: list[tuple[str, int, int, str]]) -> None:
    """Every `pages` row points at a whole record in the archive, whose payload is the one it says."""
    folder = default_archive_dir(db)
    for warc_file, offset, length, digest in pages:
        body = read_response(folder, warc_file, offset, length).body
        assert "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode() == digest


def assert_archive_reads_back(db: Path) -> None:
    """After a run that completed, every WARC file reads whole with warcio, digests checked: no torn tail left."""
    files = sorted(default_archive_dir(db).glob("*.warc.gz"))
    assert files
    for path in files:
        with path.open("rb") as stream:
            assert sum(1 for _ in ArchiveIterator(stream, check_digests="raise")) > 0


def assert_complete(db: Path, room: Newsroom) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT url, cluster_id, is_canonical FROM articles").fetchall()
        status = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
        runs = dict(con.execute("SELECT name, articles FROM lsh_runs").fetchall())
        ((signed,),) = con.execute("SELECT count(*) FROM signatures").fetchall()
    # Every signed article's keys are in run files (flushes of 4; fewer than 4 may wait in lsh_bands), and no
    # file is left in <db>.lsh/ that lsh_runs does not name.
    assert signed - 4 < sum(runs.values()) <= signed
    assert {p.name for p in Path(f"{db}.lsh").iterdir()} == set(runs)
    assert sorted(url for url, _, _ in rows) == sorted(room.stories)
    clusters: dict[int, set[str]] = {}
    for url, cluster_id, _ in rows:
        clusters.setdefault(cluster_id, set()).add(room.stories[url])
    assert None not in clusters and all(len(stories) == 1 for stories in clusters.values())
    assert len(clusters) == len(set(room.stories.values()))  # one cluster per story: copies joined, nothing else
    assert sum(bool(canonical) for _, _, canonical in rows) == len(clusters)
    assert status == ("completed",)


def plan(repeat: int) -> list[str]:
    """The kill phases of one repetition, one run killed after the other on the same database: the first three
    cover each phase once (an early phase, then a late one), later ones draw 1-2."""
    half = len(PHASES) // 2
    if repeat < half:
        return [PHASES[repeat], PHASES[repeat + half]]
    rng = random.Random(repeat)
    return rng.choices(PHASES, k=rng.randint(1, 2))


@pytest.mark.parametrize("repeat", range(REPEATS))
def test_a_killed_run_is_finished_by_the_next_one(
    repeat: int, newsroom: Newsroom, run_env: dict[str, str], tmp_path: Path
) -> None:
    sources, db = tmp_path / "sources.toml", tmp_path / "news.duckdb"
    sources.write_text(newsroom.sources_toml(), encoding="utf-8")
    rng = random.Random(1000 + repeat)
    for phase in plan(repeat):
        run = Run(sources, db, run_env)
        landed = kill_at(run, phase, rng)
        assert landed, f"the run ended before the {phase!r} kill:\n{''.join(run.log[-20:])}"
        assert_consistent(db)
    reader = Reader(db) if repeat == 0 else None
    final = Run(sources, db, run_env)
    code = final.finish()
    assert code == 0, "".join(final.log[-40:])
    if reader is not None:
        reader.stop()
        assert reader.answers, "a reader during the run never got an answer"
        assert reader.answers == sorted(reader.answers)
    assert_consistent(db)
    assert_complete(db, newsroom)
    assert_archive_reads_back(db)


def write_newsroom_warc(room: Newsroom, path: Path) -> None:
    """A gzipped WARC, written by warcio, of every article page of the newsroom as its sites answer it."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url in sorted(room.stories):
            with urllib.request.urlopen(url, timeout=10) as response:
                body, headers = response.read(), [("Content-Type", response.headers["Content-Type"])]
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
            )
            writer.write_record(record)


@pytest.mark.parametrize("repeat", range(REPEATS))
def test_a_killed_warc_ingest_is_finished_by_the_next_one(
    repeat: int, newsroom: Newsroom, run_env: dict[str, str], tmp_path: Path
) -> None:
    sources, db, warc = tmp_path / "sources.toml", tmp_path / "news.duckdb", tmp_path / "news.warc.gz"
    sources.write_text(newsroom.sources_toml(), encoding="utf-8")
    write_newsroom_warc(newsroom, warc)
    command = ("ingest-warc", str(warc))
    killed = Run(sources, db, run_env, command)
    # Batches of 10 pages: killed while writing one of the first ones, or while signing and clustering.
    landed = killed.wait_for_write_lock(nth=random.Random(repeat).randint(2, 8))
    assert landed, "".join(killed.log[-20:])
    killed.kill()
    assert_consistent(db)
    final = Run(sources, db, run_env, command)
    assert final.finish() == 0, "".join(final.log[-40:])
    assert_consistent(db)
    assert_complete(db, newsroom)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT records, pages, finished_at IS NOT NULL FROM warc_files").fetchall() == [
            (len(newsroom.stories), len(newsroom.stories), True)
        ]


def index_of(db: Path) -> list[tuple[object, ...]]:
    """Every article's cluster id and canonical mark, and the edges that joined them (without the run id)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            *con.execute("SELECT article_id, cluster_id, is_canonical FROM articles ORDER BY ALL").fetchall(),
            *con.execute(
                "SELECT article_id, matched_article_id, jaccard, containment FROM dup_pairs ORDER BY ALL"
            ).fetchall(),
        ]


def rebuilding(db: Path) -> bool:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM index_rebuilds").fetchall() == [(1,)]


@dataclass(frozen=True)
class Crawled:
    """The newsroom crawled once (`db`), and a copy of it rebuilt undisturbed (`reference`)."""

    sources: Path
    db: Path
    reference: Path


# Rebuilds in 12 transactions of one chunk, with run files in each.
REBUILD_ENV = {"COPYDESK_REBUILD_ARTICLES": "10"}


def copy_database(db: Path, to: Path) -> None:
    """The database with its WAL, its index's run files and its page archive, as copydesk names them for `to`."""
    shutil.copy(db, to)
    if Path(f"{db}.wal").exists():
        shutil.copy(f"{db}.wal", f"{to}.wal")
    shutil.copytree(f"{db}.lsh", f"{to}.lsh")
    if default_archive_dir(db).exists():
        shutil.copytree(default_archive_dir(db), default_archive_dir(to))


@pytest.fixture(scope="module")
def crawled(newsroom: Newsroom, run_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    """One crawl and one undisturbed rebuild for every killed rebuild: each copies them (both are the same runs
    each time, and took a third of this module's time when repeated)."""
    folder = tmp_path_factory.mktemp("crawled")
    sources, db, reference = folder / "sources.toml", folder / "news.duckdb", folder / "reference.duckdb"
    sources.write_text(newsroom.sources_toml(), encoding="utf-8")
    assert Run(sources, db, run_env).finish() == 0
    copy_database(db, reference)
    undisturbed = Run(sources, reference, {**run_env, **REBUILD_ENV}, ("rebuild-clusters",))
    assert undisturbed.finish() == 0, "".join(undisturbed.log[-40:])
    return Crawled(sources, db, reference)


@pytest.mark.parametrize("repeat", range(REPEATS))
def test_a_killed_rebuild_is_refused_by_runs_and_finished_by_the_next_one_as_if_undisturbed(
    repeat: int, newsroom: Newsroom, run_env: dict[str, str], crawled: Crawled, tmp_path: Path
) -> None:
    sources, db, reference = crawled.sources, tmp_path / "news.duckdb", crawled.reference
    copy_database(crawled.db, db)
    env = {**run_env, **REBUILD_ENV}
    killed, rng = Run(sources, db, env, ("rebuild-clusters",)), random.Random(2000 + repeat)
    if repeat == 0:  # while the old index is being emptied
        landed = killed.wait_for("Beginning flow run") and killed.wait_for_write_lock()
    else:  # among the chunks: after the nth one's progress line, while it commits or the next one is written
        landed = killed.wait_for(f"{10 * rng.randint(1, 10)} of {len(newsroom.stories)} articles signed")
        time.sleep(rng.uniform(0, 0.3))
    assert landed and killed.proc.poll() is None, "".join(killed.log[-20:])
    killed.kill()
    assert_consistent(db)
    assert rebuilding(db) or repeat == 0  # the marker commits with the emptied index, before any chunk
    if rebuilding(db):
        refused = Run(sources, db, run_env)
        assert refused.finish() == 1
        said = "".join(refused.log)
        assert "copydesk: error: a `copydesk rebuild-clusters` started at" in said and "is not finished" in said
        assert "Retry 1/2" not in said  # an index only a rebuild mends is not retried
        assert rebuilding(db)
    final = Run(sources, db, env, ("rebuild-clusters",))
    assert final.finish() == 0, "".join(final.log[-40:])
    assert_consistent(db)
    assert not rebuilding(db)
    assert index_of(db) == index_of(reference)
    accepted = Run(sources, db, run_env)  # runs are deduplicated again (nothing new: the same clusters)
    assert accepted.finish() == 0, "".join(accepted.log[-40:])
    assert_complete(db, newsroom)


class Reader:
    """Another process's view, as `copydesk query` has it: read-only connections that wait out the writer."""

    def __init__(self, db: Path) -> None:
        self.db, self.answers, self.waits = db, [], []  # type: ignore[var-annotated]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            if not self.db.exists():
                time.sleep(0.05)
                continue
            with connect(self.db, read_only=True, wait_seconds=60, on_wait=self.waits.append) as con:
                self.answers.append(con.execute("SELECT count(*) FROM articles").fetchone()[0])  # type: ignore[index]
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)
