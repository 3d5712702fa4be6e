"""`make bench` / `python -m bench`: every benchmark in one run, a markdown table on stdout, JSON in bench/results.json.

Figures to compare are ratios measured in the same run on the same machine (absolute rates move with load).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_e2e import bench_e2e  # noqa: E402
from bench_load import bench_load  # noqa: E402
from bench_minhash import bulk, check_identical, ours, rate, synthetic_docs  # noqa: E402
from bench_warc import bench_warc  # noqa: E402


def bench_minhash(docs: int) -> dict[str, Any]:
    texts = synthetic_docs(docs)
    check_identical(texts[:50])
    ours_rate, datasketch_rate = rate(ours, texts), rate(bulk(None), texts)
    return {
        "docs": docs,
        "ours_docs_per_s": ours_rate,
        "datasketch_bulk_docs_per_s": datasketch_rate,
        "ours_vs_datasketch": ours_rate / datasketch_rate,
    }


def machine() -> dict[str, Any]:
    info = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), platform.processor())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "load_1min": load}


def table(results: dict[str, Any]) -> str:
    rows = [("machine", f"{results['machine']['cpu']}, {results['machine']['cores']} cores, "
                        f"load {results['machine']['load_1min']:.1f} at start")]  # fmt: skip
    if e2e := results.get("e2e"):
        first, second = e2e["first_run"], e2e["second_run"]
        rows += [
            ("pages fetched with 200 (sites)", f"{e2e['pages']:,} ({', '.join(e2e['sites'])})"),
            (
                "end-to-end, first run",
                f"{e2e['e2e_pages_per_s']:.1f} pages/s, {e2e['e2e_articles_per_s']:.1f} articles/s "
                f"({first['stored']:,} stored; {first['flow_seconds']:.1f} s flow, "
                f"{first['process_seconds']:.1f} s process)",
            ),
            ("trafilatura alone, same pages, 1 core", f"{e2e['trafilatura_pages_per_s']:.1f} pages/s"),
            (
                "trafilatura alone, same pages, process pool (all cores)",
                f"{e2e['trafilatura_pool_pages_per_s']:.1f} pages/s",
            ),
            (
                "**end-to-end / trafilatura alone, all cores** (goal >= 0.9x)",
                f"**{e2e['e2e_vs_trafilatura_all_cores']:.2f}x**",
            ),
            ("end-to-end / trafilatura alone, 1 core", f"{e2e['e2e_vs_trafilatura']:.2f}x"),
            (
                "end-to-end pages per CPU second (copydesk's processes) / trafilatura's",
                f"{e2e['e2e_cpu_vs_trafilatura']:.2f}x ({e2e['e2e_pages_per_cpu_second']:.1f} pages/CPU-s)",
            ),
            (
                "CPU seconds during the first run's flow",
                ", ".join(f"{role} {seconds:.1f}" for role, seconds in first["cpu_seconds"].items())
                + f" ({e2e['cores_busy']:.2f} cores busy on average)",
            ),
            ("extract_article alone, 1 core", f"{e2e['extract_article_pages_per_s']:.1f} pages/s"),
            ("extract_article, process pool (all cores) / trafilatura alone", f"{e2e['pool_vs_trafilatura']:.2f}x"),
            ("second run", f"{second['flow_seconds']:.1f} s flow, {second['process_seconds']:.1f} s process"),
            ("**second run / first run (flow)**", f"**{e2e['second_vs_first_run']:.3f}** (goal <= 0.05)"),
            ("second run / first run (process, incl. Prefect start)", f"{e2e['second_vs_first_process']:.3f}"),
            ("peak RSS, first run", f"{first['peak_rss_mb']:.0f} MB"),
        ]
    if mh := results.get("minhash"):
        rows += [
            ("MinHash signatures, ours", f"{mh['ours_docs_per_s']:,.0f} docs/s"),
            ("MinHash signatures, datasketch MinHash.bulk", f"{mh['datasketch_bulk_docs_per_s']:,.0f} docs/s"),
            ("**MinHash ours / datasketch**", f"**{mh['ours_vs_datasketch']:.1f}x** (bit-identical checked)"),
        ]
    if ld := results.get("load"):
        rows += [
            (
                f"DuckDB load_articles, {ld.get('batch', 100)}-row batches (a connection each)",
                f"{ld['load_articles_batches_rows_per_s']:,.0f} rows/s",
            ),
            ("DuckDB load_articles, one transaction", f"{ld['load_articles_one_txn_rows_per_s']:,.0f} rows/s"),
            ("DuckDB executemany, one transaction", f"{ld['executemany_one_txn_rows_per_s']:,.0f} rows/s"),
        ]
    if warc := results.get("warc"):
        rows += [
            ("WARC archive", f"{warc['archive_mb_per_1000_pages']:.1f} MB per 1,000 pages ({warc['pages']:,} pages)"),
            ("crawl with archive / without", f"{warc['crawl_slowdown_from_archive']:.2f}x wall, "
                                             f"{warc['crawl_cpu_with_vs_without']:.2f}x CPU"),
            ("ingest-warc", f"{warc['ingest_warc_pages_per_s']:.0f} pages/s"),
            ("trafilatura alone, same pages, all cores", f"{warc['trafilatura_pool_pages_per_s']:.0f} pages/s"),
            ("ingest-warc / trafilatura alone", f"{warc['ingest_warc_vs_trafilatura_all_cores']:.2f}"),
        ]  # fmt: skip
        if warc.get("datatrove"):
            ratio = f"{warc['ingest_warc_vs_datatrove']:.2f}"
            rows.append(("ingest-warc / datatrove WarcReader -> Trafilatura", ratio))
    return "| measure | result |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--newsroom", type=Path, default=Path("/work/shared/newsroom"), help="newsroom package dir")
    parser.add_argument("--scale", type=int, default=10, help="newsroom --scale (10: ~2,900 articles)")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "copydesk-bench")
    parser.add_argument("--docs", type=int, default=5_000, help="documents for the MinHash benchmark")
    parser.add_argument("--rows", type=int, default=20_000, help="rows for the load benchmark")
    parser.add_argument("--only", choices=["e2e", "warc", "minhash", "load"], action="append")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    only = set(args.only or ["e2e", "warc", "minhash", "load"])
    results: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    if "e2e" in only:
        args.cache.mkdir(parents=True, exist_ok=True)
        results["e2e"] = bench_e2e(newsroom=args.newsroom, scale=args.scale, port=args.port, cache=args.cache)
    if "warc" in only:
        args.cache.mkdir(parents=True, exist_ok=True)
        results["warc"] = bench_warc(newsroom=args.newsroom, scale=args.scale, port=args.port + 1, cache=args.cache)
    if "minhash" in only:
        results["minhash"] = bench_minhash(args.docs)
    if "load" in only:
        results["load"] = bench_load(rows=args.rows)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nJSON: {args.out}")


if __name__ == "__main__":
    main()
