"""Extraction benchmark: copydesk against trafilatura fast, readability-lxml and an earlier copydesk, on page sets.

Usage:
    .venv/bin/python bench/bench_extraction.py                      # the pages shipped in tests/fixtures
    .venv/bin/python bench/bench_extraction.py \\
        --readability ../shared/corpora/readability \\               # Readability's 130 pages (html/, truth.jsonl)
        --scrapinghub ../shared/newsroom/data/dev-articles.jsonl \\   # the ScrapingHub dev pages
        --world /tmp/x-world --world /tmp/x-mixed \\                  # newsroom worlds: leaks and index pages
        --compare-ref 5119296 --worst 5                              # copydesk at that commit, same pages

Per set and extractor: ROUGE-LSum F1 (mean over pages, a rejected page scores 0; Bevendorff et al., SIGIR 2023,
with Unicode \\w+ tokens so that Chinese and Russian pages score too), bag-of-words token F1, pages rejected,
pages per CPU second in this run (process time, so that other load on the machine counts less), and for
copydesk the pages more than 0.05 below trafilatura. Newsroom worlds add the
newsroom scorer's 4-gram shingle F1, pages leaking an injected boilerplate string, and index pages stored.
readability-lxml runs when installed (`pip install readability-lxml`; it is a peer, not a dependency).
Reads files only; the project's tests never import this.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.article import ExtractionError, extract_article  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
BASE = "http://bench.example"
TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Page:
    """A page to extract and what a good extraction holds; `body` None marks an index page (must be rejected)."""

    page_id: str
    html: str
    url: str
    body: str | None
    leaks: tuple[str, ...] = ()
    generated: bool = False


@dataclass
class Score:
    rouge: list[float] = field(default_factory=list)
    bow: list[float] = field(default_factory=list)
    shingle: list[float] = field(default_factory=list)
    rejected: int = 0
    leaky: int = 0
    index_stored: int = 0
    index_pages: int = 0
    seconds: float = 0.0
    per_page: dict[str, float] = field(default_factory=dict)


# ---- metrics ----


def tokens(text: str) -> list[str]:
    return TOKEN.findall((text or "").lower())


def bow_f1(truth: str, text: str) -> float:
    expected, got = Counter(tokens(truth)), Counter(tokens(text))
    common = sum((expected & got).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def rouge_lsum_f1(truth: str, text: str) -> float:
    """ROUGE-LSum F1: union LCS of each reference line against all candidate lines, as rouge-score computes it."""
    refs = [t for t in (tokens(line) for line in truth.splitlines()) if t]
    cands = [t for t in (tokens(line) for line in text.splitlines()) if t]
    ref_len, cand_len = sum(map(len, refs)), sum(map(len, cands))
    if not ref_len or not cand_len:
        return 0.0
    ref_counts, cand_counts = Counter(t for r in refs for t in r), Counter(t for c in cands for t in c)
    hits = 0
    for ref in refs:
        vocabulary = set(ref)
        union: set[int] = set()
        for cand in cands:
            filtered = [t for t in cand if t in vocabulary]  # tokens not in ref cannot be in a common subsequence
            if filtered:
                union.update(_lcs_positions(ref, filtered))
        for i in sorted(union):  # each token is a hit at most as often as both texts hold it (rouge-score)
            token = ref[i]
            if ref_counts[token] > 0 and cand_counts[token] > 0:
                hits += 1
                ref_counts[token] -= 1
                cand_counts[token] -= 1
    precision, recall = hits / cand_len, hits / ref_len
    return 2 * precision * recall / (precision + recall) if hits else 0.0


def _lcs_positions(ref: list[str], cand: list[str]) -> list[int]:
    """Positions in ref of one longest common subsequence with cand."""
    rows, cols = len(ref), len(cand)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows):
        row, below = table[i], table[i + 1]
        for j in range(cols):
            below[j + 1] = row[j] + 1 if ref[i] == cand[j] else max(row[j + 1], below[j])
    positions, i, j = [], rows, cols
    while i and j:
        if ref[i - 1] == cand[j - 1]:
            positions.append(i - 1)
            i, j = i - 1, j - 1
        elif table[i - 1][j] >= table[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return positions


def shingle_f1(truth: str, text: str, n: int = 4) -> float:
    """F1 over 4-gram shingles of \\w+ tokens: the newsroom scorer's (and ScrapingHub evaluate.py's) metric."""

    def shingles(t: list[str]) -> Counter[tuple[str, ...]]:
        return Counter(tuple(t[i : i + n]) for i in range(max(1, len(t) - n + 1)) if t[i : i + n])

    expected, got = shingles(TOKEN.findall(truth or "")), shingles(TOKEN.findall(text or ""))
    common = sum((expected & got).values())
    precision = common / sum(got.values()) if got else 0.0
    recall = common / sum(expected.values()) if expected else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def normalized(text: str) -> str:
    return " ".join((text or "").casefold().split())


# ---- page sets ----


def readability_pages(folder: Path) -> list[Page]:
    """Readability's test pages: html/<id>.html and truth.jsonl (the corpus), or the shipped gzipped subset."""
    truth_file = folder / "truth.jsonl"
    lines = (
        truth_file.read_text("utf-8")
        if truth_file.exists()
        else gzip.decompress((folder / "truth.jsonl.gz").read_bytes()).decode("utf-8")
    )
    pages = []
    for record in map(json.loads, lines.splitlines()):
        pid = record["page_id"]
        plain, packed = folder / "html" / f"{pid}.html", folder / f"{pid}.html.gz"
        html = plain.read_text("utf-8") if plain.exists() else gzip.decompress(packed.read_bytes()).decode("utf-8")
        pages.append(Page(pid, html, "http://fakehost/test/page.html", record["plaintext"]))
    return pages


def scrapinghub_pages(path: Path | None) -> list[Page]:
    """The ScrapingHub benchmark pages of a newsroom data file (JSON lines), or the shipped real_* fixtures."""
    if path is not None:
        pages = []
        for record in map(json.loads, path.read_text("utf-8").splitlines()):
            html = gzip.decompress(base64.b64decode(record["html_gz_b64"])).decode("utf-8", "replace")
            pages.append(Page(record["id"], html, record.get("url") or f"{BASE}/story", record["body"]))
        return pages
    pages = []
    for truth in sorted((FIXTURES / "benchmark").glob("real_*.json")):
        record = json.loads(truth.read_text("utf-8"))
        html = gzip.decompress(truth.with_suffix(".html.gz").read_bytes()).decode("utf-8")
        pages.append(Page(truth.stem, html, record["url"], record["body"]))
    return pages


def world_pages(world: Path) -> list[Page]:
    """A newsroom world's stored articles (with their injected boilerplate) and its section and home pages."""
    spec = json.loads((world / "world.json").read_text("utf-8"))
    pages = []
    for rec in spec["articles"]:
        if rec["expect"] != "stored":
            continue
        rel = rec["path"].lstrip("/") + ("index.html" if rec["path"].endswith("/") else "")
        raw = (world / "sites" / rec["site"] / rel).read_bytes()
        try:
            html = raw.decode("utf-8")
        except UnicodeDecodeError:  # the cp1252 fault pages; the fetcher decodes them by their charset
            html = raw.decode("cp1252")
        leaks = tuple(normalized(leak["text"]) for leak in rec["leaks"])
        url, html = BASE + rec["path"], html.replace("@@BASE@@", BASE)
        pages.append(Page(f"{rec['site']}{rec['path']}", html, url, rec["body"], leaks, rec["site"] != "archive"))
    for index in sorted((world / "sites").glob("*/**/index.html")):
        rel = index.relative_to(world / "sites")
        site, path = rel.parts[0], "/".join(rel.parts[1:-1])
        if path == "" or "section" in path.split("/"):
            html = index.read_text("utf-8", "replace").replace("@@BASE@@", BASE)
            pages.append(Page(f"{site}/{path}", html, f"{BASE}/{path}/" if path else f"{BASE}/", None))
    return pages


# ---- extractors ----


def copydesk(html: str, url: str) -> str | None:
    """copydesk's extract_article; None when it rejects the page."""
    try:
        return extract_article(html, url=url).text
    except ExtractionError:
        return None


def trafilatura_fast(html: str, url: str) -> str | None:
    """The measured best trafilatura setting (FACTS.md): fast mode, no comments."""
    return trafilatura.extract(html, url=url, fast=True, include_comments=False)


def readability_lxml(html: str, url: str) -> str | None:
    from lxml import html as lxml_html
    from readability import Document

    try:
        summary = Document(html, url=url).summary(html_partial=True)
    except Exception:  # a peer's crash is that page's empty result; the bench goes on
        return None
    return lxml_html.fromstring(summary).text_content() if summary.strip() else None


def texts_at_ref(ref: str, pages: list[Page]) -> tuple[list[str | None], float]:
    """copydesk's texts for the pages, extracted by the extractors package of commit `ref` in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", ref, "extractors"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        payload = json.dumps([[p.html, p.url] for p in pages])
        env = {**os.environ, "PYTHONPATH": tmp}
        done = subprocess.run(  # cwd: `python -c` puts it first on sys.path, ahead of this checkout's packages
            [sys.executable, "-c", _AT_REF], input=payload, capture_output=True, text=True, env=env, check=True, cwd=tmp
        )
    result = json.loads(done.stdout)
    return result["texts"], result["seconds"]


_AT_REF = """
import json, sys, time
from extractors.article import ExtractionError, extract_article
pages = json.load(sys.stdin)
texts, start = [], time.process_time()
for html, url in pages:
    try:
        texts.append(extract_article(html, url=url).text)
    except ExtractionError:
        texts.append(None)
json.dump({"texts": texts, "seconds": time.process_time() - start}, sys.stdout)
"""


# ---- scoring and report ----


def run(pages: list[Page], extract: Callable[[str, str], str | None]) -> tuple[list[str | None], float]:
    texts, start = [], time.process_time()
    for page in pages:
        texts.append(extract(page.html, page.url))
    return texts, time.process_time() - start


def score(pages: list[Page], texts: list[str | None], seconds: float) -> Score:
    result = Score(seconds=seconds)
    for page, text in zip(pages, texts, strict=True):
        if page.body is None:
            result.index_pages += 1
            result.index_stored += text is not None
            continue
        result.rejected += text is None
        got = text or ""
        result.rouge.append(rouge_lsum_f1(page.body, got))
        result.bow.append(bow_f1(page.body, got))
        result.shingle.append(shingle_f1(page.body, got))
        result.leaky += any(leak in normalized(got) for leak in page.leaks)
        result.per_page[page.page_id] = result.rouge[-1]
    return result


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def report(name: str, pages: list[Page], scores: dict[str, Score], worst: int) -> Iterator[str]:
    articles = sum(p.body is not None for p in pages)
    base = scores.get("trafilatura")
    for extractor, s in scores.items():
        speed = len(pages) / s.seconds if s.seconds else float("nan")
        versus = f"{s.seconds / base.seconds:.2f}x" if base and base.seconds else "-"
        below = "-"
        if base and extractor != "trafilatura":
            below = str(sum(s.per_page[p] < base.per_page[p] - 0.05 for p in s.per_page))
        world = f" | {s.leaky} | {s.index_stored}/{s.index_pages}" if s.index_pages else " | - | -"
        yield (
            f"| {name} ({articles}) | {extractor} | {mean(s.rouge):.3f} | {mean(s.bow):.3f} | {mean(s.shingle):.3f}"
            f" | {s.rejected} | {below} | {speed:.0f} | {versus}{world} |"
        )
    copy = scores.get("copydesk")
    if copy and base and worst:
        gaps = sorted(copy.per_page, key=lambda p: copy.per_page[p] - base.per_page[p])[:worst]
        for pid in gaps:
            yield f"|   worst vs trafilatura: {pid} | {copy.per_page[pid]:.3f} vs {base.per_page[pid]:.3f} |"


HEADER = (
    "| set (articles) | extractor | ROUGE-LSum F1 | BoW F1 | 4-gram F1 | rejected | >0.05 below trafilatura"
    " | pages per CPU s | CPU time vs trafilatura | pages leaking | index pages stored |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readability", type=Path, default=FIXTURES / "readability", help="corpus folder")
    parser.add_argument("--scrapinghub", type=Path, help="newsroom data/dev-articles.jsonl (default: shipped)")
    parser.add_argument("--world", type=Path, action="append", default=[], help="a `newsroom build` world")
    parser.add_argument("--compare-ref", help="also run copydesk's extractors at this git commit")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages furthest below trafilatura")
    parser.add_argument("--json", type=Path, help="write per-set figures here")
    args = parser.parse_args(argv)
    sets = {"Readability": readability_pages(args.readability), "ScrapingHub": scrapinghub_pages(args.scrapinghub)}
    sets |= {f"newsroom {w.name}": world_pages(w) for w in args.world}
    extractors: dict[str, Callable[[str, str], str | None]] = {"trafilatura": trafilatura_fast}
    try:
        import readability  # noqa: F401

        extractors["readability-lxml"] = readability_lxml
    except ImportError:
        print("readability-lxml is not installed: skipped", file=sys.stderr)
    extractors["copydesk"] = copydesk
    print(HEADER)
    summary = {}
    for name, pages in sets.items():
        scores = {label: score(pages, *run(pages, fn)) for label, fn in extractors.items()}
        if args.compare_ref:
            scores[f"copydesk@{args.compare_ref}"] = score(pages, *texts_at_ref(args.compare_ref, pages))
        for line in report(name, pages, scores, args.worst):
            print(line, flush=True)
        summary[name] = {
            label: {
                "rouge_lsum": mean(s.rouge),
                "bow": mean(s.bow),
                "rejected": s.rejected,
                "seconds": s.seconds,
                "leaky": s.leaky,
                "index_stored": s.index_stored,
            }  # fmt: skip
            for label, s in scores.items()
        }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
