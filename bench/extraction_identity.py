"""Whether a change to extractors/ keeps extract_article's output identical, and what it does to its CPU (issue 19).

    .venv/bin/python bench/extraction_identity.py --out /tmp/main.jsonl      # in main's checkout: the reference
    .venv/bin/python bench/extraction_identity.py --compare /tmp/main.jsonl  # here: 0 differences, and CPU
    .venv/bin/python bench/extraction_identity.py --time-only --repeat 3     # CPU only, ours vs trafilatura fast

The pages: the benchmark WARC's decoded responses (`--warc`, as bench/profile_warc.py reads them), Readability's
130 pages (`--readability`), the ScrapingHub dev pages (`--scrapinghub`) and every HTML file of newsroom worlds
(`--world`, articles, section and home pages alike). Each page's result is every field of its Article (repr, so
datetimes keep their zone), or the error's class, message and kept text; `--compare` prints the pages that differ.
CPU: time.process_time() of extract_article and of `trafilatura.extract(fast=True, include_comments=False)` over
the same pages, one after the other, `--repeat` times; the lowest of each is reported (other load only adds).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from extractors.article import ExtractionError, NotAnArticleError, extract_article  # noqa: E402
from extractors.charset import decode_html  # noqa: E402

SHARED = ROOT.parent / "shared"  # ../shared beside the checkout


def warc_pages(folder: Path) -> Iterator[tuple[str, str, str]]:
    from flows.config import Settings
    from flows.warc_input import read_batches, source_namer

    settings = Settings()
    files = sorted(folder.glob("*.warc.gz"))
    batches = read_batches(
        files, {}, size=settings.batch_size, source_of=source_namer(()), max_bytes=settings.fetch.max_bytes
    )
    for n, response in enumerate(r for b in batches for r in b.responses):
        yield f"warc/{n}", response.final_url, decode_html(response.body, content_type=response.content_type)


def readability_pages(folder: Path) -> Iterator[tuple[str, str, str]]:
    for path in sorted((folder / "html").glob("*.html")):
        yield f"readability/{path.stem}", "http://fakehost/test/page.html", path.read_text("utf-8")


def scrapinghub_pages(path: Path) -> Iterator[tuple[str, str, str]]:
    for record in map(json.loads, path.read_text("utf-8").splitlines()):
        html = gzip.decompress(base64.b64decode(record["html_gz_b64"])).decode("utf-8", "replace")
        yield f"scrapinghub/{record['id']}", record.get("url") or "http://bench.example/story", html


def world_pages(world: Path) -> Iterator[tuple[str, str, str]]:
    """Every file of the world's sites that is HTML, at a URL of its own site."""
    for path in sorted(p for p in (world / "sites").rglob("*") if p.is_file()):
        raw = path.read_bytes()
        if not raw.lstrip()[:1] == b"<" or path.suffix in (".xml", ".txt"):
            continue
        rel = path.relative_to(world / "sites")
        url = f"http://{rel.parts[0]}.example/{'/'.join(rel.parts[1:])}"
        html = decode_html(raw, content_type="text/html").replace("@@BASE@@", f"http://{rel.parts[0]}.example")
        yield f"{world.name}/{rel}", url, html


def outcome(html: str, url: str) -> str:
    """Everything extract_article says about the page: the Article's repr, or the error's."""
    try:
        return repr(extract_article(html, url=url))
    except NotAnArticleError as exc:
        return f"NotAnArticleError({str(exc)!r}, text={exc.text!r})"
    except ExtractionError as exc:
        return f"{type(exc).__name__}({str(exc)!r})"


def cpu_seconds(pages: list[tuple[str, str, str]], repeat: int) -> tuple[float, float]:
    ours, theirs = [], []
    for _ in range(repeat):
        started = time.process_time()
        for _, url, html in pages:
            try:
                extract_article(html, url=url)
            except ExtractionError:
                pass  # a rejected page costs what it cost
        ours.append(time.process_time() - started)
        started = time.process_time()
        for _, url, html in pages:
            trafilatura.extract(html, url=url, fast=True, include_comments=False)
        theirs.append(time.process_time() - started)
    return min(ours), min(theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warc", type=Path, default=Path("/tmp/warc-speed-archive"))
    parser.add_argument("--readability", type=Path, default=SHARED / "corpora" / "readability")
    parser.add_argument("--scrapinghub", type=Path, default=SHARED / "newsroom" / "data" / "dev-articles.jsonl")
    parser.add_argument("--world", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, help="write each page's outcome here (JSON lines)")
    parser.add_argument("--compare", type=Path, help="outcomes written by --out to compare with")
    parser.add_argument("--repeat", type=int, default=1, help="CPU runs of each extractor (0: no timing)")
    parser.add_argument("--time-only", action="store_true", help="skip the outcomes")
    parser.add_argument("--every", type=int, default=1, help="time every n-th page only (outcomes: all pages)")
    args = parser.parse_args()

    pages = [
        *(warc_pages(args.warc) if args.warc.exists() else ()),
        *(readability_pages(args.readability) if args.readability.exists() else ()),
        *(scrapinghub_pages(args.scrapinghub) if args.scrapinghub.exists() else ()),
        *(page for world in args.world for page in world_pages(world)),
    ]
    sets: dict[str, int] = {}
    for key, _, _ in pages:
        sets[key.split("/")[0]] = sets.get(key.split("/")[0], 0) + 1
    print(f"pages: {len(pages)} {sets}")

    failed = 0
    if not args.time_only:
        outcomes = {key: outcome(html, url) for key, url, html in pages}
        if args.out:
            with args.out.open("w", encoding="utf-8") as out:
                for key, result in outcomes.items():
                    out.write(json.dumps({"page": key, "outcome": result}, ensure_ascii=False) + "\n")
        if args.compare:
            reference = {r["page"]: r["outcome"] for r in map(json.loads, args.compare.open(encoding="utf-8"))}
            missing = sorted(set(reference) ^ set(outcomes))
            differ = sorted(k for k in set(reference) & set(outcomes) if reference[k] != outcomes[k])
            for key in differ[:20]:
                print(f"DIFFERS {key}\n  was: {reference[key][:600]}\n  now: {outcomes[key][:600]}")
            print(f"compared {len(set(reference) & set(outcomes))} pages: {len(differ)} differ, {len(missing)} missing")
            failed = len(differ) + len(missing)
        rejected = sum(not o.startswith("Article(") for o in outcomes.values())
        print(f"articles {len(outcomes) - rejected}, rejected {rejected}")

    if args.repeat > 0:
        timed = pages[:: args.every]
        ours, theirs = cpu_seconds(timed, args.repeat)
        n = len(timed)
        print(
            f"CPU ms/page on {n} pages (min of {args.repeat}): ours {1000 * ours / n:.2f}, trafilatura fast "
            f"{1000 * theirs / n:.2f}, ratio {ours / theirs:.3f}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
