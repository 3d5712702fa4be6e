"""WARC benchmark: the page archive's cost to a crawl and its size; `copydesk ingest-warc` next to trafilatura alone.

Builds (once, cached) the same newsroom world as bench_e2e, serves it, and crawls it twice with the real CLI into
fresh databases: once with `archive = false`, once with the archive on. The second crawl's archive is the WARC
benchmarked (a few thousand generated pages, written by copydesk through warcio; no download). Then, with the
server stopped and on the same pages: `copydesk ingest-warc` of those files into a fresh database, and
trafilatura alone (`fast=True`) in a process pool over all cores, just before and just after it (the mean of the
two is compared). Ingest's time is its flow's (from its "Beginning flow run" line to the process's end), so
Prefect's imports and temporary server are left out, as in bench_e2e. Both are also compared by CPU seconds (all
of ingest's processes from that line; trafilatura's per page in its workers), which a shared machine's load moves
less than wall time. Run: `python bench/bench_warc.py` (or `python -m bench --only warc`).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_e2e import _trafilatura, build_world, run_copydesk, serve, sources_file  # noqa: E402
from cpu import TreeCpu  # noqa: E402


def archived_pages(folder: Path) -> list[tuple[str, str]]:
    """(url, html) of every 200 HTML response record in the archive's files."""
    from extractors.charset import decode_html
    from storage.archive import read_records

    pages = []
    for path in sorted(folder.glob("*.warc.gz")):
        for record in read_records(path):
            response = record.response
            if response is not None and response.status == 200:
                html = decode_html(response.body, content_type=response.header("content-type"))
                pages.append((response.target_url, html))
    return pages


def ingest_warc(paths: list[Path], db: Path, env: dict[str, str]) -> dict[str, Any]:
    """`copydesk ingest-warc` in a subprocess: its output line, flow seconds and process seconds."""
    copydesk = shutil.which("copydesk", path=str(Path(sys.executable).parent)) or "copydesk"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [copydesk, "ingest-warc", *map(str, paths), "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sampler = TreeCpu(proc.pid)
    sampler.start()
    lines, flow_start, flow_end = [], None, None
    for line in proc.stdout or ():
        lines.append(line)
        if flow_start is None and "Beginning flow run" in line:
            flow_start = time.perf_counter()
            sampler.mark()
        if flow_end is None and "Finished in state" in line and "Flow run" in line:
            flow_end = time.perf_counter()
    sampler.sample()
    sampler.stop()
    code = proc.wait()
    end = time.perf_counter()
    out = "".join(lines)
    if code != 0 or flow_start is None:
        raise RuntimeError(f"copydesk ingest-warc failed ({code}):\n{out}")
    summary = next(line for line in lines if line.startswith("ingest-warc "))
    return {
        "summary": summary.strip(),
        "flow_seconds": (flow_end or end) - flow_start,
        "process_seconds": end - start,
        "cpu_seconds": {role: round(seconds, 2) for role, seconds in sorted(sampler.by_role().items())},
    }


def _timed_trafilatura(page: tuple[str, str]) -> float:
    """CPU seconds of trafilatura alone on one page, in the worker that extracts it."""
    started = time.process_time()
    _trafilatura(page)
    return time.process_time() - started


def pool_pages_and_cpu(pages: list[tuple[str, str]], workers: int) -> tuple[float, float]:
    """trafilatura alone in a process pool over `pages`: pages per second, and the workers' CPU seconds for them."""
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_timed_trafilatura, pages[:workers], chunksize=1))  # start the workers, import trafilatura
        start = time.perf_counter()
        cpu = sum(pool.map(_timed_trafilatura, pages, chunksize=16))
        return len(pages) / (time.perf_counter() - start), cpu


def bench_warc(
    *,
    newsroom: Path,
    scale: int,
    port: int,
    cache: Path,
    datatrove_python: Path | None = None,
    keep_archive: Path | None = None,
) -> dict[str, Any]:
    world = build_world(newsroom, scale, cache)
    server = serve(newsroom, world, port)
    with tempfile.TemporaryDirectory(prefix="copydesk-bench-warc-") as tmp_name:
        tmp = Path(tmp_name)
        env = {
            **os.environ,
            "PREFECT_HOME": str(tmp / "prefect"),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        try:
            plain, archived = tmp / "plain.toml", tmp / "archived.toml"
            sources_file(world, plain)
            text = plain.read_text(encoding="utf-8")
            plain.write_text(text + "archive = false\n", encoding="utf-8")
            # Several files, so that datatrove's tasks (one file each at least) can use every core.
            archived.write_text(text + "archive = true\narchive_file_bytes = 15000000\n", encoding="utf-8")
            without = run_copydesk(plain, tmp / "plain.duckdb", env, server.pid)
            with_archive = run_copydesk(archived, tmp / "archived.duckdb", env, server.pid)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        folder = tmp / "archived-archive"
        files = sorted(folder.glob("*.warc.gz"))
        archive_bytes = sum(f.stat().st_size for f in files)
        pages = archived_pages(folder)
        if keep_archive is not None:  # for profiling ingest-warc's stages on the same pages (bench/profile_warc.py)
            shutil.copytree(folder, keep_archive, dirs_exist_ok=True)
        cores = os.cpu_count() or 1
        # trafilatura alone just before and just after ingest-warc: on a shared machine the load moves in between.
        before = pool_pages_and_cpu(pages, cores)
        ingest = ingest_warc(files, tmp / "ingested.duckdb", env)
        after = pool_pages_and_cpu(pages, cores)
        peer = datatrove(datatrove_python, folder, tmp / "datatrove", cores) if datatrove_python else None
    trafilatura_pool = (before[0] + after[0]) / 2
    ingest_rate = len(pages) / ingest["flow_seconds"]
    ingest_cpu = sum(ingest["cpu_seconds"].values())
    trafilatura_cpu = (before[1] + after[1]) / 2
    return {
        "pages": len(pages),
        "archive_files": len(files),
        "archive_bytes": archive_bytes,
        "archive_mb_per_1000_pages": archive_bytes / 1e6 / len(pages) * 1000,
        "crawl_without_archive": without,
        "crawl_with_archive": with_archive,
        "crawl_slowdown_from_archive": with_archive["flow_seconds"] / without["flow_seconds"],
        "crawl_cpu_with_vs_without": _cpu(with_archive) / _cpu(without),
        "ingest_warc": ingest,
        "ingest_warc_pages_per_s": ingest_rate,
        "trafilatura_pool_pages_per_s": trafilatura_pool,
        "trafilatura_pool_pages_per_s_before_and_after_ingest": [round(before[0], 1), round(after[0], 1)],
        "ingest_warc_vs_trafilatura_all_cores": ingest_rate / trafilatura_pool,
        # CPU seconds per page, every process of each: what the wall ratio tends to with every core busy and no
        # other load (less sensitive to a shared machine's load than the wall ratio).
        "ingest_warc_cpu_seconds": round(ingest_cpu, 2),
        "trafilatura_pool_cpu_seconds": round(trafilatura_cpu, 2),
        "ingest_warc_vs_trafilatura_by_cpu": trafilatura_cpu / ingest_cpu,
        "cores": cores,
        "datatrove": peer,
        "ingest_warc_vs_datatrove": peer and ingest_rate / (len(pages) / peer["seconds"]),
    }


def datatrove(python: Path, folder: Path, out: Path, tasks: int) -> dict[str, Any]:
    """datatrove's WarcReader -> Trafilatura -> JsonlWriter over the archive, in its own venv (datatrove_peer.py)."""
    run = subprocess.run(
        [str(python), str(HERE / "datatrove_peer.py"), str(folder), str(out), str(tasks)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    written = 0
    for path in out.glob("*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            written += sum(1 for _ in lines)
    return {**result, "documents": written, "tasks": tasks}


def _cpu(run: dict[str, Any]) -> float:
    return sum(s for role, s in run["cpu_seconds"].items() if role != "newsroom server")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--newsroom", type=Path, default=Path("/work/shared/newsroom"))
    parser.add_argument("--scale", type=int, default=10, help="newsroom --scale (10: ~2,900 articles)")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "copydesk-bench")
    parser.add_argument(
        "--datatrove-python", type=Path, help="a Python with datatrove 0.10 (pip install datatrove warcio orjson "
        "faust-cchardet python-magic 'trafilatura<1.12' lxml_html_clean): times its WarcReader -> Trafilatura too"
    )  # fmt: skip
    parser.add_argument("--keep-archive", type=Path, help="copy the benchmarked WARC files to this folder")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    result = bench_warc(
        newsroom=args.newsroom,
        scale=args.scale,
        port=args.port,
        cache=args.cache,
        datatrove_python=args.datatrove_python,
        keep_archive=args.keep_archive,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
