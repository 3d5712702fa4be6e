"""Extraction benchmark: token P/R/F1 and leak rate per boilerplate kind, trafilatura alone vs copydesk.

Usage:
    .venv/bin/python bench/bench_extraction.py                  # the pages shipped in tests/fixtures/benchmark
    python -m newsroom build --out /tmp/x-world                 # or a whole newsroom world (shared folder)
    .venv/bin/python bench/bench_extraction.py /tmp/x-world [--only copydesk] [--worst 5]

Scoring copies the newsroom scorer (ScrapingHub article-extraction-benchmark method): precision/recall/F1 over
4-gram shingles of \\w+ tokens, averaged per article, reported separately for the real pages ("archive") and
the generated sites; a leak is an injected boilerplate string found (casefolded, whitespace-normalized) in the
text. Reads files only; never imports the project's tests, and the project's tests never import this.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.article import ExtractionError, extract_article  # noqa: E402

BASE = "http://bench.example"
TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def norm_text(s: str) -> str:
    """Casefolded, whitespace-normalized text, as newsroom/score.py compares leaks."""
    return " ".join((s or "").casefold().split())


def shingle_prf(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    """P/R/F1 over 4-gram shingles of \\w+ tokens (newsroom/score.py, the benchmark's evaluate.py)."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        t = TOKEN_RE.findall(text or "")
        return Counter(tuple(t[i : i + n]) for i in range(max(1, len(t) - n + 1)) if t[i : i + n])

    ts, ps = shingles(true), shingles(pred)
    tp = sum((ts & ps).values())
    p = tp / sum(ps.values()) if ps else 0.0
    r = tp / sum(ts.values()) if ts else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "benchmark"


def load_fixtures(folder: Path) -> list[tuple[dict, str]]:
    """(truth record, HTML) for the shipped pages: real_* count as "archive", generated_* as generated sites."""
    pages = []
    for truth in sorted(folder.glob("*.json")):
        rec = json.loads(truth.read_text(encoding="utf-8"))
        html = gzip.decompress(truth.with_suffix(".html.gz").read_bytes()).decode("utf-8")
        site = "archive" if truth.name.startswith("real_") else truth.stem
        pages.append(({**rec, "site": site, "path": rec["url"].removeprefix(BASE)}, html))
    return pages


def load_pages(world_dir: Path) -> list[tuple[dict, str]]:
    """(truth record, HTML) for every article the world expects to be stored, or for the shipped fixtures."""
    if not (world_dir / "world.json").exists():
        return load_fixtures(world_dir)
    world = json.loads((world_dir / "world.json").read_text(encoding="utf-8"))
    pages = []
    for rec in world["articles"]:
        if rec["expect"] != "stored":
            continue
        rel = rec["path"].lstrip("/") + ("index.html" if rec["path"].endswith("/") else "")
        raw = (world_dir / "sites" / rec["site"] / rel).read_bytes()
        try:
            html = raw.decode("utf-8")
        except UnicodeDecodeError:  # the cp1252 fault pages; a fetcher decodes them by their charset
            html = raw.decode("cp1252")
        pages.append((rec, html.replace("@@BASE@@", BASE)))
    return pages


def trafilatura_alone(html: str, url: str) -> str:
    """The baseline the issue names: trafilatura fast mode without comments."""
    return trafilatura.extract(html, url=url, fast=True, include_comments=False) or ""


def copydesk(html: str, url: str) -> str:
    """copydesk's extract_article; an ExtractionError scores as empty text."""
    try:
        return extract_article(html, url=url).text
    except ExtractionError:
        return ""


def score(pages: list[tuple[dict, str]], fn: Callable[[str, str], str]) -> dict:
    """Mean P/R/F1 per group, leak counts per kind, seconds spent in fn, and per-page F1."""
    groups: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    leaks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_page, spent = [], 0.0
    for rec, html in pages:
        t0 = time.perf_counter()
        text = fn(html, BASE + rec["path"])
        spent += time.perf_counter() - t0
        bodies = [rec["body"]] + ([rec["body_v2"]] if rec.get("body_v2") else [])
        prf = max((shingle_prf(b, text) for b in bodies), key=lambda x: x[2])
        groups["archive" if rec["site"] == "archive" else "generated"].append(prf)
        nt = norm_text(text)
        leaked = sorted({lk["kind"] for lk in rec["leaks"] if norm_text(lk["text"]) in nt})
        for kind in {lk["kind"] for lk in rec["leaks"]}:
            leaks[kind][0] += 1
            leaks[kind][1] += kind in leaked
        per_page.append((prf[2], rec["site"] + rec["path"], leaked))
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return dict(
        groups={g: tuple(mean([x[i] for x in v]) for i in range(3)) + (len(v),) for g, v in groups.items()},
        leaks={k: v[1] / v[0] for k, v in sorted(leaks.items())},
        seconds=spent,
        per_page=per_page,
    )


def report(name: str, res: dict, n_pages: int, worst: int) -> None:
    """Print one extractor's figures."""
    print(f"== {name}: {n_pages / res['seconds']:.1f} pages/s ({res['seconds']:.2f} s)")
    for g, (p, r, f1, n) in sorted(res["groups"].items()):
        print(f"  {g:<9} n={n:<4} P={p:.3f} R={r:.3f} F1={f1:.3f}")
    print("  leaks   " + "  ".join(f"{k}={v:.3f}" for k, v in res["leaks"].items()))
    for f1, where, leaked in sorted(res["per_page"])[:worst]:
        print(f"    worst F1={f1:.3f} {where} leaked={leaked}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "world", type=Path, nargs="?", default=FIXTURES, help="a `newsroom build` world (default: shipped pages)"
    )
    ap.add_argument("--only", choices=["trafilatura", "copydesk"], help="run just one extractor")
    ap.add_argument("--worst", type=int, default=0, help="list the N lowest-F1 pages")
    args = ap.parse_args(argv)
    pages = load_pages(args.world)
    runs = {"trafilatura": trafilatura_alone, "copydesk": copydesk}
    for name, fn in runs.items():
        if args.only in (None, name):
            report(name, score(pages, fn), len(pages), args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
