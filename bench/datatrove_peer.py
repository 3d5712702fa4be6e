"""datatrove's WarcReader -> Trafilatura -> JsonlWriter over a folder of WARC files, timed: the peer of ingest-warc.

Run with a Python that has datatrove (it pins trafilatura < 1.12, so not copydesk's venv):
`python bench/datatrove_peer.py WARC_FOLDER OUT_FOLDER TASKS`; prints JSON: documents written and seconds.
"""

from __future__ import annotations

import json
import sys
import time

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.writers import JsonlWriter


def main() -> None:
    folder, out, tasks = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pipeline = [
        WarcReader(folder, glob_pattern="*.warc.gz"),
        Trafilatura(),  # its defaults: favour_precision, deduplicate=True, timeout 1 s
        JsonlWriter(out),
    ]
    executor = LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=tasks, logging_dir=f"{out}/logs")
    start = time.perf_counter()
    executor.run()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
