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


def role_of(pid: int) -> str | None:
    """The process's role by its command line; None when that is gone (an exited process, a zombie)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    if not cmdline:
        return None
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
        for pid in descendants(self.root):  # a gone root is skipped: it has no stat
            seconds = cpu_seconds(pid)
            if seconds is None:
                continue
            # The role is read each time: between fork and exec a spawned worker still looks like its parent.
            role = role_of(pid)
            with self._lock:
                self.last[pid] = (role or (self.last[pid][0] if pid in self.last else "other"), seconds)

    def mark(self) -> None:
        """Count from now: `by_role()` leaves out the CPU seconds spent so far."""
        self.sample()
        with self._lock:
            self.marked = {pid: seconds for pid, (_, seconds) in self.last.items()}

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def by_role(self) -> dict[str, float]:
        """CPU seconds by role since `mark()` (since the start without one)."""
        totals: dict[str, float] = {}
        with self._lock:
            for pid, (role, seconds) in self.last.items():
                totals[role] = totals.get(role, 0.0) + seconds - self.marked.get(pid, 0.0)
        return totals


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and its descendants now."""
    return sum(seconds for p in descendants(pid) if (seconds := cpu_seconds(p)) is not None)
