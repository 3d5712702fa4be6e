"""Write the extraction fixtures that the tests and `bench/bench_extraction.py` use, from newsroom worlds.

Dev-time only (needs the newsroom simulator from the shared folder); the tests read the files it writes and
never the simulator. Real pages: every 4th archive page of a world, by id (the Article Extraction Benchmark's
MIT-licensed pages and ground truth). Generated pages: the first two stored articles of each generated site,
with the boilerplate strings the simulator injected into them.

    python -m newsroom build --out /tmp/fx-semantic                      # from the shared folder
    python -m newsroom build --out /tmp/fx-mixed --style mixed --seed 7
    .venv/bin/python bench/make_fixtures.py /tmp/fx-semantic /tmp/fx-mixed
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "benchmark"
BASE = "http://bench.example"
REAL_EVERY = 4
GENERATED_PER_SITE = 2


def page_html(world: Path, rec: dict) -> bytes:
    rel = rec["path"].lstrip("/") + ("index.html" if rec["path"].endswith("/") else "")
    return (world / "sites" / rec["site"] / rel).read_bytes().replace(b"@@BASE@@", BASE.encode())


def write(name: str, world: Path, rec: dict) -> None:
    (OUT / f"{name}.html.gz").write_bytes(gzip.compress(page_html(world, rec), mtime=0))
    truth = {k: rec.get(k) for k in ("title", "body", "leaks")} | {"url": BASE + rec["path"], "origin": rec["id"]}
    (OUT / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("real_world", type=Path, help="world whose archive pages become real-page fixtures")
    parser.add_argument("generated_worlds", type=Path, nargs="+", help="worlds whose generated sites are sampled")
    args = parser.parse_args()
    for old in OUT.glob("*.html.gz"):
        old.unlink()
    for old in OUT.glob("*.json"):
        old.unlink()
    records = json.loads((args.real_world / "world.json").read_text(encoding="utf-8"))["articles"]
    real = sorted((r for r in records if r["site"] == "archive" and r["expect"] == "stored"), key=lambda r: r["id"])
    for rec in real[::REAL_EVERY]:
        write(f"real_{rec['path'].rsplit('/', 1)[-1][:16]}", args.real_world, rec)
    for world in args.generated_worlds:
        style = json.loads((world / "world.json").read_text(encoding="utf-8")).get("style", world.name)
        taken: dict[str, int] = {}
        for rec in json.loads((world / "world.json").read_text(encoding="utf-8"))["articles"]:
            if rec["site"] in ("archive", "flaky") or rec["expect"] != "stored" or not rec["leaks"]:
                continue
            if taken.get(rec["site"], 0) < GENERATED_PER_SITE:
                taken[rec["site"]] = taken.get(rec["site"], 0) + 1
                write(f"generated_{style}_{rec['site']}_{taken[rec['site']]}", world, rec)
    shutil.copy(Path(__file__).parent / "LICENSE-benchmark-pages.txt", OUT / "LICENSE.txt")


if __name__ == "__main__":
    main()
