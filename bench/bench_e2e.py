"""End-to-end benchmark: `copydesk run` over a loopback newsroom of thousands of pages, next to extraction alone.

Builds (once, cached) a newsroom world with /work/shared/newsroom, serves it, and crawls it twice with the real
CLI in a subprocess. Sites with a robots.txt Crawl-delay and the fault site are left out: their delays and 30-60 s
stalls would measure politeness, not the pipeline. Then, in this process and on the same pages (every page the
first run got a 200 for, fetched again untimed), it times trafilatura alone and our extract_article alone on one
core, and both in a process pool as wide as the machine (the pipeline extracts in worker processes on every core).

The headline ratio is pages/s against pages/s over that same set of pages: the run fetches and extracts every
page its sitemaps list, section pages included (they are rejected as index pages, not stored), and trafilatura
alone is timed on exactly those. Articles stored per second is reported next to it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import httpx
import trafilatura
from cpu import TreeCpu, tree_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = """
[settings]
per_host_delay = 0.0
concurrency = 32
per_host_concurrency = 8
"""


def newsroom_env(newsroom: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(newsroom.parent)}


def build_world(newsroom: Path, scale: int, cache: Path) -> Path:
    world = cache / f"world-scale{scale}"
    if not (world / "world.json").exists():
        subprocess.run(
            [sys.executable, "-m", "newsroom", "build", "--out", str(world), "--scale", str(scale), "--style", "mixed"],
            env=newsroom_env(newsroom),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return world


def serve(newsroom: Path, world: Path, port: int) -> subprocess.Popen[bytes]:
    (world / "sites.txt").unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsroom", "serve", "--world", str(world), "--port", str(port)],
        env=newsroom_env(newsroom),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (world / "sources.toml").exists() or not (world / "sites.txt").exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("newsroom serve did not start")
        time.sleep(0.2)
    time.sleep(1.0)
    return proc


def sources_file(world: Path, out: Path) -> list[str]:
    """The world's sources without the fault site and Crawl-delay sites; returns the names kept."""
    raw = tomllib.loads((world / "sources.toml").read_text(encoding="utf-8"))
    kept, blocks = [], []
    for source in raw["sources"]:
        base = source["homepage"].rstrip("/")
        with urllib.request.urlopen(f"{base}/robots.txt", timeout=10) as response:
            robots = response.read().decode()
        if source["name"] == "flaky" or re.search(r"(?im)^crawl-delay:", robots):
            continue
        kept.append(source["name"])
        feeds = ", ".join(f'"{u}"' for u in source.get("feeds", []))
        sitemaps = ", ".join(f'"{u}"' for u in source.get("sitemaps", []))
        blocks.append(f'[[sources]]\nname = "{source["name"]}"\nfeeds = [{feeds}]\nsitemaps = [{sitemaps}]\n')
    out.write_text("\n".join(blocks) + SETTINGS, encoding="utf-8")
    return kept


def run_copydesk(sources: Path, db: Path, env: dict[str, str], server_pid: int) -> dict[str, Any]:
    """One `copydesk run`: its summary figures, process wall time, peak RSS (from wait4) and CPU seconds by role.

    CPU is counted from the flow run's start (its "Beginning flow run" log line), so Prefect's ~9 s of
    imports and server start are left out as they are from the flow's wall time.
    """
    copydesk = shutil.which("copydesk", path=str(Path(sys.executable).parent)) or "copydesk"
    server_before = tree_cpu_seconds(server_pid)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [copydesk, "run", "--sources", str(sources), "--db", str(db), "--allow-private"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sampler = TreeCpu(proc.pid)
    sampler.start()
    lines, marked = [], False
    for line in proc.stdout or ():
        lines.append(line)
        if not marked and "Beginning flow run" in line:
            sampler.mark()
            marked = True
    sampler.sample()  # the run process is a zombie now: its stat still holds its final CPU times
    sampler.stop()
    _, status, usage = os.wait4(proc.pid, 0)
    out = "".join(lines)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"copydesk run failed ({proc.returncode}):\n{out}")
    if not marked:
        raise RuntimeError(f"no 'Beginning flow run' line: CPU seconds would include Prefect's start\n{out}")
    summary = dict(re.findall(r"^  (\S.*?)\s{2,}(.+)$", out, re.MULTILINE))
    cpu = sampler.by_role()
    cpu["newsroom server"] = tree_cpu_seconds(server_pid) - server_before
    return {
        "stored": int(summary["stored"].split()[0]),
        "unchanged": int(summary["unchanged"]),
        "flow_seconds": float(summary["wall time"].split()[0]),
        "process_seconds": time.perf_counter() - start,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu_seconds": {role: round(seconds, 2) for role, seconds in sorted(cpu.items())},
    }


def first_run_pages(db: Path) -> list[tuple[str, str]]:
    """(url, html) of every article page the first run got a 200 for, fetched again (untimed) from the same server.

    Read from `fetches`, not `seen_urls`: the second run turns the pages it re-checked into `not_modified` there.
    """
    from extractors.charset import decode_html

    with duckdb.connect(str(db), read_only=True) as con:
        urls = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT url FROM fetches WHERE kind = 'article' AND status = 200 AND run_id = "
                "(SELECT run_id FROM runs ORDER BY started_at LIMIT 1) ORDER BY 1"
            ).fetchall()
        ]
    pages = []
    with httpx.Client(timeout=30) as client:
        for url in urls:
            response = client.get(url)
            pages.append((url, decode_html(response.content, content_type=response.headers.get("content-type"))))
    return pages


def _trafilatura(page: tuple[str, str]) -> object:
    return trafilatura.extract(page[1], url=page[0], fast=True, include_comments=False)


def _ours(page: tuple[str, str]) -> object:
    from extractors.article import ExtractionError, extract_article

    try:
        return extract_article(page[1], url=page[0])
    except ExtractionError as exc:
        return exc


def pages_per_second(extract: Callable[[tuple[str, str]], object], pages: Sequence[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for page in pages:
        extract(page)
    return len(pages) / (time.perf_counter() - start)


def pool_pages_per_second(
    extract: Callable[[tuple[str, str]], object], pages: Sequence[tuple[str, str]], workers: int
) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(extract, pages[:workers], chunksize=1))  # start the workers and import trafilatura first
        start = time.perf_counter()
        list(pool.map(extract, pages, chunksize=16))
        return len(pages) / (time.perf_counter() - start)


def bench_e2e(*, newsroom: Path, scale: int, port: int, cache: Path) -> dict[str, Any]:
    world = build_world(newsroom, scale, cache)
    server = serve(newsroom, world, port)
    try:
        with tempfile.TemporaryDirectory(prefix="copydesk-bench-") as tmp:
            sources, db = Path(tmp) / "sources.toml", Path(tmp) / "bench.duckdb"
            kept = sources_file(world, sources)
            env = {
                **os.environ,
                "PREFECT_HOME": str(Path(tmp) / "prefect"),
                "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            }
            first = run_copydesk(sources, db, env, server.pid)
            second = run_copydesk(sources, db, env, server.pid)
            pages = first_run_pages(db)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    trafilatura_rate = pages_per_second(_trafilatura, pages)
    ours_rate = pages_per_second(_ours, pages)
    pool_rate = pool_pages_per_second(_ours, pages, os.cpu_count() or 1)
    trafilatura_pool_rate = pool_pages_per_second(_trafilatura, pages, os.cpu_count() or 1)
    e2e_rate = len(pages) / first["flow_seconds"]
    # CPU seconds of copydesk's own processes (not the newsroom server's) for those pages: trafilatura alone
    # on one core spends one CPU second per `trafilatura_rate` pages, so this ratio needs no reading of "cores".
    copydesk_cpu = sum(s for role, s in first["cpu_seconds"].items() if role != "newsroom server")
    return {
        "sites": kept,
        "pages": len(pages),
        "first_run": first,
        "second_run": second,
        "e2e_pages_per_s": e2e_rate,
        "e2e_articles_per_s": first["stored"] / first["flow_seconds"],
        "trafilatura_pages_per_s": trafilatura_rate,
        "extract_article_pages_per_s": ours_rate,
        "extract_article_pool_pages_per_s": pool_rate,
        "trafilatura_pool_pages_per_s": trafilatura_pool_rate,
        "e2e_vs_trafilatura_all_cores": e2e_rate / trafilatura_pool_rate,
        "e2e_vs_trafilatura": e2e_rate / trafilatura_rate,
        "e2e_pages_per_cpu_second": len(pages) / copydesk_cpu,
        "e2e_cpu_vs_trafilatura": len(pages) / copydesk_cpu / trafilatura_rate,
        "cores_busy": sum(first["cpu_seconds"].values()) / first["flow_seconds"],
        # the earlier headline: stored articles/s against pages/s (section pages count for trafilatura only)
        "e2e_articles_vs_trafilatura": first["stored"] / first["flow_seconds"] / trafilatura_rate,
        "pool_vs_trafilatura": pool_rate / trafilatura_rate,
        "second_vs_first_run": second["flow_seconds"] / first["flow_seconds"],
        "second_vs_first_process": second["process_seconds"] / first["process_seconds"],
    }
