"""Whether `kill -9` can leave a DuckDB file that no longer opens, and whether copydesk's batches can (stop 26).

    .venv/bin/python bench/kill_during_checkpoint.py --kills 300          # both modes, a few minutes

A child process opens a small database with copydesk's schema and rows, changes a few rows in two tables, prints
"go" and then writes its batch; the parent kills it 0-4 ms after the "go" and opens the file read-only.
- `checkpoint`: the batch ends with DuckDB's CHECKPOINT, as closing a connection did before this change. The
  checkpoint rewrites DuckDB's metadata block in place (one 256 kB pwrite at offset 12288, not aligned to the
  page cache's large folios), and Linux ends a buffered write early when SIGKILL arrives between two folios: the
  block is left half new, its checksum no longer matches, and DuckDB refuses the whole file ("Corrupt database
  file: computed checksum ... in block at location 12288").
- `batch`: the batch is committed through storage.db.writing, as copydesk writes one now: into the WAL, which
  DuckDB replays on open and whose torn last entry it drops.
A mode's kills that land after its write finished count as such; the figure that matters is unreadable files.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from storage.db import writing  # noqa: E402
from storage.load import load_articles  # noqa: E402
from storage.rows import ArticleRow  # noqa: E402

CHILD = """
import sys
sys.path.insert(0, {root!r})
import duckdb
from storage.db import writing
db, mode, changes = sys.argv[1], sys.argv[2], int(sys.argv[3])
def change(con):
    for i in range(changes):
        con.execute("UPDATE articles SET fetched_at = fetched_at + INTERVAL 1 SECOND WHERE hash(url) % 7 = ?", [i])
        con.execute("UPDATE fetches SET status = status WHERE hash(url) % 5 = ?", [i])
if mode == "checkpoint":
    con = duckdb.connect(db)
    change(con)
    print("go", flush=True)
    con.execute("CHECKPOINT")
else:
    with writing(db) as con:
        change(con)
        print("go", flush=True)
print("done", flush=True)
"""


def seed(path: Path, articles: int = 200) -> None:
    """A database as a finished run leaves it: copydesk's schema, some articles and fetches, checkpointed."""
    day = datetime(2025, 6, 1, tzinfo=UTC)
    rows = [ArticleRow(f"http://site.test/{i}", "site", f"Text {i}. " * 40, f"h{i}", day) for i in range(articles)]
    with writing(path, checkpoint=True) as con:
        load_articles(con, "seed", rows)
        con.execute(
            "INSERT INTO fetches (run_id, url, kind, started_at, status) "
            "SELECT 'seed', url, 'article', fetched_at, 200 FROM articles"
        )


def trial(base: Path, work: Path, mode: str, rng: random.Random) -> tuple[bool, bool]:
    """(the write finished before the kill, the file opens afterwards)."""
    for suffix in ("", ".wal"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copy(base, work)
    script = CHILD.format(root=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(work), mode, str(rng.randint(1, 3))], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "go":
        raise RuntimeError(f"the {mode} child failed before its write")
    time.sleep(rng.uniform(0, 0.004))
    child.kill()
    child.wait()
    finished = child.stdout.read().strip() == "done"
    try:
        with duckdb.connect(str(work), read_only=True) as con:
            con.execute("SELECT count(*) FROM articles").fetchall()
    except duckdb.Error as exc:
        print(f"  {mode}: unreadable after a kill: {str(exc)[:140]}", flush=True)
        return finished, False
    return finished, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=300, help="kills per mode")
    parser.add_argument("--modes", nargs="+", default=["checkpoint", "batch"], choices=["checkpoint", "batch"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"duckdb {duckdb.__version__}, {args.kills} kills per mode")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.duckdb"
        seed(base)
        for mode in args.modes:
            rng = random.Random(args.seed)
            outcomes = [trial(base, Path(tmp) / f"{mode}.duckdb", mode, rng) for _ in range(args.kills)]
            finished = sum(f for f, _ in outcomes)
            unreadable = sum(not ok for _, ok in outcomes)
            print(f"{mode}: {args.kills} kills, {finished} after the write finished, {unreadable} unreadable files")


if __name__ == "__main__":
    main()
