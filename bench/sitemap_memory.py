"""Peak memory and CPU of parsing one large sitemap, in a fresh process per shape (this tree's extractors).

    .venv/bin/python bench/sitemap_memory.py            # a 49 MB urlset of 380k URLs, a 44 MB one of 45k URLs
                                                        # with 3 images each, and a 30 MB truncated one

Peak RSS growth is the process's ru_maxrss after the parse less before it (the document's bytes are already
in memory). Discovery parses two listings at a time (crawl.discover._PARSERS), so twice this is its bound.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = "https://news.example.com/2024/05/{i}/a-story-slug-with-words-{i}"
NEWS = (
    "<news:news><news:publication><news:name>Ex</news:name><news:language>en</news:language></news:publication>"
    "<news:publication_date>2024-05-01T10:00:00+00:00</news:publication_date><news:title>Title {i}</news:title>"
    "</news:news>"
)
IMAGE = (
    "<image:image><image:loc>https://cdn.example.com/img/{i}/{k}-a-rather-long-image-file-name.jpg</image:loc>"
    "<image:caption>Caption {k} of story {i}, with a few words</image:caption></image:image>"
)


def urlset(count: int, images: int) -> bytes:
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
    )
    urls = (
        f"<url><loc>{URL.format(i=i)}</loc><lastmod>2024-05-01T10:00:00+00:00</lastmod>{NEWS.format(i=i)}"
        + "".join(IMAGE.format(i=i, k=k) for k in range(images))
        + "</url>"
        for i in range(count)
    )
    return (head + "\n".join(urls) + "</urlset>").encode()


def shapes() -> dict[str, bytes]:
    many = urlset(380_000, 0)
    return {"380k URLs, 49 MB": many[:49_000_000].rpartition(b"</url>")[0] + b"</url></urlset>",
            "45k URLs x 3 images, 44 MB": urlset(45_000, 3),
            "truncated at 30 MB": many[:30_000_000]}  # fmt: skip


def measure(path: str) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from extractors.sitemaps import parse_sitemap

    data = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    sitemap = parse_sitemap(data, sitemap_url="https://news.example.com/sitemap.xml")
    return {
        "pages": len(sitemap.pages),
        "cpu_s": round(time.process_time() - started, 2),
        "peak_rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024),
    }


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--write":  # in a process of its own: ru_maxrss survives exec
        Path(sys.argv[3]).write_bytes(shapes()[sys.argv[2]])
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2])))
        return
    path = Path("/tmp/copydesk-sitemap-memory.xml")
    print("| sitemap | URLs read | CPU s | peak RSS growth |\n|---|---:|---:|---:|")
    for name in ("380k URLs, 49 MB", "45k URLs x 3 images, 44 MB", "truncated at 30 MB"):
        subprocess.run([sys.executable, __file__, "--write", name, str(path)], check=True)
        out = subprocess.run([sys.executable, __file__, "--one", str(path)], capture_output=True, text=True, check=True)
        result = json.loads(out.stdout)
        print(f"| {name} | {result['pages']:,} | {result['cpu_s']} | {result['peak_rss_growth_mb']} MB |")
    path.unlink()


if __name__ == "__main__":
    main()
