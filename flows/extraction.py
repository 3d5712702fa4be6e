"""Where fetched pages are extracted: worker processes started when there is work, or a thread.

Extraction is CPU-bound Python. In a thread it shares the flow process's GIL with fetching, loading and
Prefect, so a run used one core; in worker processes it uses the others while the flow goes on fetching.
No Prefect here: the flow's `extract` task hands batches to `ExtractionPool.executor_for`.

Each page has a time budget (`extract_timeout`). In the worker processes a timer signal interrupts an
extraction that runs past it, as soon as it is back in Python code; one long C call (libxml2) would run to
its end first, so there a large page (LARGE_PAGE_BYTES or LARGE_PAGE_TAGS) is extracted in a forked child,
killed at the budget.
A thread cannot be interrupted safely, so there (extract_workers = 1, Dask workers) the page is extracted
to the end, measured, and recorded as the same failure when it took too long: the budget bounds the record,
not the time. `copydesk clean` extracts in a forked child and kills it at the budget.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, TypeVar, cast

from crawl.fetch import Fetched
from extractors.article import ExtractionError
from extractors.fingerprint import DedupParams, shingles
from extractors.hints import ExtractionHints
from flows.config import Settings
from flows.steps import BatchRows, PlannedFetch, fetch_rows, rows_for_page, seen_row, utcnow
from storage.rows import ErrorRow

PARENT_CHECK_SECONDS = 1.0
# A page this large is extracted in a worker process even where its batch would go to a thread (a run of one
# batch): there its extract_timeout interrupts it, where a thread can only measure it afterwards. Pages this
# size are rare (news pages are ~100-300 kB), and a worker costs ~1.5 s to start, once a run.
LARGE_PAGE_BYTES = 1_000_000
# A page with this many tags ('<') counts as large whatever its size: trafilatura's main pass is quadratic in the
# inline elements of one paragraph, in C calls a signal waits for (a 0.7 MB page of 90,000 `<b>` took 49 s
# against a 5 s budget; 30,000 took 6 s). Real pages have far fewer: 3,150 at the 99th percentile of the bench
# WARC's 2,869 pages, 19,252 on the largest of Readability's 130 test pages.
LARGE_PAGE_TAGS = 20_000
EXTRACT_TIMEOUT = Settings().extract_timeout
_REPEAT_SECONDS = 0.05
# Set in ExtractionPool's worker processes (by their initializer, exit_with_parent).
_IN_WORKER = False
T = TypeVar("T")

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from sys import UnraisableHookArgs


class ExtractionTimeout(ExtractionError):
    """A page's extraction ran past its time budget (`extract_timeout`)."""


class _Overrun(BaseException):
    """Raised by the timer signal. A BaseException, so that no `except Exception` on its way out of the
    extraction (trafilatura has several) can swallow it; `within_budget` turns it into ExtractionTimeout."""


def extract_batch(
    batch: Sequence[PlannedFetch],
    responses: Sequence[Fetched],
    *,
    timeout: float = EXTRACT_TIMEOUT,
    hints: ExtractionHints | None = None,
    shingle_with: DedupParams | None = None,
) -> BatchRows:
    """Rows for each page of a batch (of one source, with its extraction `hints`); a page that fails
    unexpectedly or runs past `timeout` seconds becomes an error row, not a failed batch.

    With `shingle_with`, each article's shingles under those parameters come too (`BatchRows.shingled`): made in
    the extraction workers, alongside the next page's extraction, instead of in the flow's dedup step after all.
    """
    rows, now = BatchRows(), utcnow()
    for planned, response in zip(batch, responses, strict=True):
        try:
            candidate, what = planned.candidate, response.url
            budget = within_budget_isolated if _isolates(response) else within_budget
            page = budget(timeout, rows_for_page, response, candidate, now=now, hints=hints, what=what)
            if shingle_with is not None:
                page.shingled = {a.content_hash: shingles(a.text, shingle_with) for a in page.articles}
            rows.extend(page)
        except Exception as exc:  # per-item boundary: recorded (out of time, or counted unexpected), batch goes on
            # The page's request and crawl memory are kept as for any page that gave no article.
            rows.extend(BatchRows(fetches=fetch_rows([response])))
            rows.seen.append(
                seen_row(
                    response,
                    planned.candidate.source,
                    key=planned.candidate.url,
                    now=now,
                    outcome="skipped",
                    reason="extract",
                    listed=planned.candidate.listed,
                )
            )
            rows.errors.append(ErrorRow("extract", response.url, type(exc).__name__, str(exc), now))
            # Out of time outside the extractor itself (which records its own) is foreseen; anything else is not.
            rows.unexpected += not isinstance(exc, ExtractionTimeout)
    return rows


def _isolates(response: Fetched) -> bool:
    """Whether a page is extracted in a child of this worker, killed at its budget: a large page (one C call over
    its tree, such as libxml2's XPath, can hold a process for tens of seconds on 10 MB) in a worker process's main
    thread. Forking costs milliseconds, and large pages are rare; the flow's process, with its threads and event
    loop, is never forked."""
    return _IN_WORKER and is_large(response) and threading.current_thread() is threading.main_thread()


def is_large(response: Fetched) -> bool:
    """A page past LARGE_PAGE_BYTES or LARGE_PAGE_TAGS: one whose extraction only a process can cut short."""
    body = response.body
    return body is not None and (len(body) > LARGE_PAGE_BYTES or body.count(b"<") > LARGE_PAGE_TAGS)


def within_budget(seconds: float, work: Callable[..., T], *args: object, what: str, **kwargs: object) -> T:
    """`work(*args, **kwargs)`, or ExtractionTimeout when it runs longer than `seconds`.

    Interrupted by SIGALRM in a process's main thread; measured when it ends in any other thread, or when
    another timer is already running in this process (that one is left alone).
    """
    hindrance = _uninterruptible()
    if hindrance:
        started = time.perf_counter()
        result = work(*args, **kwargs)
        elapsed = time.perf_counter() - started
        if elapsed > seconds:
            raise ExtractionTimeout(
                f"extraction of {what!r} took {elapsed:.1f} s, longer than extract_timeout={seconds:g} s "
                f"(measured after the fact: {hindrance})"
            )
        return result
    alarm = _Alarm()
    previous, previous_hook = signal.signal(signal.SIGALRM, alarm.ring), sys.unraisablehook
    sys.unraisablehook = alarm.quiet(previous_hook)
    try:
        try:
            # Repeating: an interrupt that lands in a finalizer or weakref callback (the garbage collector runs
            # them mid-extraction) is reported as unraisable and swallowed there; the next one gets through.
            signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)
            return work(*args, **kwargs)
        finally:
            alarm.stop()
    except _Overrun:
        alarm.stop()  # an interrupt that landed in the `finally` above skipped its stop()
        raise ExtractionTimeout(f"extraction of {what!r} took longer than extract_timeout={seconds:g} s") from None
    finally:
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


class _Alarm:
    """The SIGALRM handler of one budget: it interrupts the work until stopped."""

    def __init__(self) -> None:
        self.active = True

    def ring(self, signum: int, frame: FrameType | None) -> None:
        if self.active:
            raise _Overrun

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.active = False

    def quiet(self, hook: Callable[[UnraisableHookArgs], object]) -> Callable[[UnraisableHookArgs], object]:
        """`hook` for every unraisable exception but ours: a swallowed interrupt is no one's error."""

        def filtered(unraisable: UnraisableHookArgs) -> object:
            return None if isinstance(unraisable.exc_value, _Overrun) else hook(unraisable)

        return filtered


def within_budget_isolated(seconds: float, work: Callable[..., T], *args: object, what: str, **kwargs: object) -> T:
    """`work(*args, **kwargs)` in a child process that is killed at `seconds`: a hard bound, for the CLI.

    A signal interrupts Python code only: one C call (libxml2's XPath over a huge tree, 20-30 s on a 10 MB
    page of short paragraphs) holds the process until it returns. Here nothing waits for that. Forking costs
    milliseconds (spawn would re-import everything, ~1.5 s); `work` and its arguments must pickle back.
    """
    forks = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if forks else multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_and_send, args=(send, os.getpid(), work, args, kwargs), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise ExtractionTimeout(f"extraction of {what!r} took longer than extract_timeout={seconds:g} s")
        try:
            ok, value = receive.recv()
        except EOFError:
            child.join()
            raise RuntimeError(f"extraction of {what!r} ended its process (exit code {child.exitcode})") from None
    finally:
        child.kill()
        child.join()
        receive.close()
    if not ok:
        raise value
    return cast(T, value)


def _run_and_send(
    send: Connection, parent: int, work: Callable[..., object], args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    _die_with(parent)
    try:
        send.send((True, work(*args, **kwargs)))
    except Exception as exc:  # handed to the parent, which raises it as its own
        send.send((False, exc))


# prctl(2): the signal a process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """End this forked child with its parent: a flow killed with SIGKILL ends its workers (exit_with_parent), but
    a child forked by one has no watcher thread (threads do not survive fork) and went on parsing its page, an
    orphan holding its memory. Linux only (prctl); elsewhere the child runs to the end of its page."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)


def _uninterruptible() -> str | None:
    """Why a budget cannot interrupt here, or None: signals reach the main thread only, and a process has one
    real-time timer."""
    if not hasattr(signal, "setitimer"):
        return "this platform has no interval timer"
    if threading.current_thread() is not threading.main_thread():
        return "extraction in a thread cannot be interrupted"
    if signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
        return "another timer is running in this process"
    return None


def _imported() -> None:
    """A warm-up job: a worker that runs it has started and imported extraction (this module's imports)."""


def exit_with_parent(parent: int) -> None:
    """Worker initializer: end this process once `parent` is gone.

    A flow process killed with SIGKILL (kill -9, the OOM killer) never closes its workers' queue, and the
    workers would wait on it forever, two idle processes leaked per killed run. Also marks the process as a
    worker, whose large pages are extracted in a child it can kill (_isolates).

    Ctrl-C in a terminal signals the whole process group: the flow process stops the run and shuts its pool
    down, and each worker printed a KeyboardInterrupt traceback over the run's own message. A worker holds
    nothing to save (its pages are refetched or re-read by the next run), so it ends at once, quietly. Not by
    ignoring the signal: the flow process would then wait for the pages in hand.
    """
    global _IN_WORKER
    _IN_WORKER = True
    signal.signal(signal.SIGINT, _end_quietly)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked from its start (ExtractionPool._started)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _end_quietly(signum: int, frame: FrameType | None) -> None:
    os._exit(128 + signum)


class ExtractionPool:
    """Worker processes for a run's extraction, started by the first batch that has pages to extract.

    Processes are spawned, not forked: the flow process has Prefect's threads and an event loop, which a
    forked child would copy mid-flight. Starting them costs ~1-2 s of imports, so a run of one batch, or
    one whose pages all came back 304 Not Modified, extracts in a thread and starts none.
    """

    def __init__(self, *, workers: int, batches: int) -> None:
        """`workers` 0 means one per CPU core; never more workers than batches."""
        self._wanted = workers or os.cpu_count() or 1
        self.batches = batches
        self.workers = min(self._wanted, batches)
        self._pool: ProcessPoolExecutor | None = None

    def expect(self, batches: int) -> None:
        """`batches` more are coming (sources plan one by one): up to one worker per batch known when they start."""
        self.batches += batches
        if self._pool is None:
            self.workers = min(self._wanted, self.batches)

    def executor_for(self, responses: Sequence[Fetched]) -> Executor | None:
        """The worker processes when these responses hold pages to extract and workers pay off (or a page is
        large enough to need a budget that can interrupt it), else None: extraction in the caller's thread."""
        if not any(r.ok for r in responses) or self._wanted <= 1:
            return None
        if self.workers <= 1 and not any(is_large(r) for r in responses):
            return None
        return self._started()

    def warm_up(self) -> None:
        """Start the workers now, so their imports overlap the first fetches instead of following them.

        For a plan with pages to download (not only re-checks): its first batch then finds the workers ready,
        ~0.5 s earlier in the 2,900-page benchmark.
        """
        if self.workers > 1:
            self._started()  # (which starts them)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is not None and getattr(self._pool, "_broken", False):
            # A worker died (the OOM killer, a crash in libxml2): the executor refuses every later job, so the
            # batches after the one it broke would all fail. Its jobs in flight failed with it (error rows).
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max(self.workers, 1),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with_parent,
                initargs=(os.getpid(),),
            )
            # A job starts a worker while none is idle (spawned pools grow one process per job): these start them
            # all, with SIGINT blocked (a child inherits the signal mask of the thread that starts it) until their
            # initializer has set their handler. Ctrl-C while they imported printed a KeyboardInterrupt traceback
            # from each. This thread only: the flow process's main thread still takes Ctrl-C at once.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                for _ in range(max(self.workers, 1)):
                    self._pool.submit(_imported)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return self._pool

    @property
    def started(self) -> bool:
        return self._pool is not None

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            if exc is not None and not isinstance(exc, Exception):
                # Ctrl-C, SIGTERM or a cancelled run: the pages in hand are not wanted, and a worker still starting
                # (SIGINT blocked until its handler is set) held the exit for seconds. SIGTERM ends one silently.
                for process in list(self._pool._processes.values()):
                    process.terminate()
            self._pool.shutdown(cancel_futures=exc is not None)
