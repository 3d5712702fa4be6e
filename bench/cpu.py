"""CPU seconds spent by a process tree, by role, sampled from /proc (Linux) while it runs.

`copydesk run` spreads its work over processes: the flow process (fetching, loading, dedup, Prefect's
client), spawned extraction workers and Prefect's temporary API server. Wall time alone can't say which
of them the two cores went to; their CPU times can. Workers exit before the run does, so each process
keeps the last value sampled (at most one interval short).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
ROLES = (
    ("multiprocessing.spawn", "extraction workers"),
    ("uvicorn", "Prefect server"),
    ("newsroom", "newsroom server"),
    ("copydesk", "flow process"),
)


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat(5), after pid and comm


def role_of(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return "other"
    return next((role for marker, role in ROLES if marker in cmdline), "other")


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/<pid>/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in children.read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


class TreeCpu(threading.Thread):
    """Samples the CPU seconds of `root`'s process tree every `interval` s until `stop()`."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(name="tree-cpu", daemon=True)
        self.root, self.interval = root, interval
        self.last: dict[int, tuple[str, float]] = {}
        self.marked: dict[int, float] = {}
        self._stop_event = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def sample(self) -> None:
        if not Path(f"/proc/{self.root}").exists():
            return
        for pid in descendants(self.root):
            seconds = cpu_seconds(pid)
            if seconds is not None:
                with self._lock:
                    role = self.last[pid][0] if pid in self.last else role_of(pid)
                    self.last[pid] = (role, seconds)

    def mark(self) -> None:
        """Remember the CPU seconds so far: `by_role(since_mark=True)` counts only what follows."""
        self.sample()
        with self._lock:
            self.marked = {pid: seconds for pid, (_, seconds) in self.last.items()}

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def by_role(self, *, since_mark: bool = False) -> dict[str, float]:
        totals: dict[str, float] = {}
        with self._lock:
            for pid, (role, seconds) in self.last.items():
                start = self.marked.get(pid, 0.0) if since_mark else 0.0
                totals[role] = totals.get(role, 0.0) + seconds - start
        return totals
