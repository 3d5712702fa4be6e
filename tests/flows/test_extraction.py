"""The per-page time budget of extraction: interrupted in worker processes and the CLI's main thread, measured
after the fact in a thread; either way the page is an error row and the rest of the batch is extracted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest

from crawl.discover import Candidate
from crawl.fetch import Fetched
from extractors.article import ExtractionError, clean_document
from extractors.fingerprint import DedupParams, shingles
from flows.extraction import (
    LARGE_PAGE_BYTES,
    LARGE_PAGE_TAGS,
    ExtractionPool,
    ExtractionTimeout,
    _imported,
    extract_batch,
    is_large,
    within_budget,
    within_budget_isolated,
)
from flows.steps import BatchRows, PlannedFetch

# Seconds. A normal page takes ~3 ms (~35 ms the first in a fresh worker) and the pathological page (30,000
# paragraphs) ~2.6-4.3 s of CPU on a 2-core VM: 10 times or more from the budget either way, margins for a loaded
# or a much faster machine. (An 8,000-paragraph page once took 3.5 s; extraction got faster, it took 0.36 s, and a
# CI run finished it within a 0.5 s budget. A budget of 0.1 s failed the first normal page in a fresh worker on a
# busy machine, in a CI run of 2026-12-08.)
BUDGET = 0.4


def pathological_page(paragraphs: int) -> bytes:
    """A long story of many short paragraphs: seconds of extraction (30,000 of them), far past BUDGET."""
    body = "".join(
        f"<p>Paragraph {i} has a sentence of ordinary words that goes on for a while.</p>" for i in range(paragraphs)
    )
    return f"<html><body><article><h1>Long</h1>{body}</article></body></html>".encode()


STORY = "The council approved the new budget on Tuesday after a long debate about schools and roads. " * 4
NORMAL = f"<html><body><article><h1>Budget passes</h1><p>{STORY}</p><p>{STORY}</p></article></body></html>"


def batch(paragraphs: int = 30_000) -> tuple[list[PlannedFetch], list[Fetched]]:
    """A pathological page between two normal ones."""
    pages = {
        "http://a.example/1": NORMAL.encode(),
        "http://a.example/slow": pathological_page(paragraphs),
        "http://a.example/2": NORMAL.encode(),
    }
    planned = [PlannedFetch(Candidate(url, "s")) for url in pages]
    responses = [Fetched(url, "article", "ok", url, 200, body, "text/html") for url, body in pages.items()]
    return planned, responses


def assert_only_the_slow_page_failed(rows: BatchRows, message: str) -> None:
    assert [a.url for a in rows.articles] == ["http://a.example/1", "http://a.example/2"]
    (error,) = rows.errors
    assert (error.stage, error.url, error.error_type) == ("extract", "http://a.example/slow", "ExtractionTimeout")
    assert error.message.startswith(f"extraction of 'http://a.example/slow' {message}")
    assert rows.unexpected == 0
    assert [(s.url, s.outcome) for s in rows.seen] == [
        ("http://a.example/1", "ok"),
        ("http://a.example/slow", "skipped"),
        ("http://a.example/2", "ok"),
    ]


def test_a_page_whose_extraction_raises_the_unforeseen_keeps_its_request_and_crawl_memory() -> None:
    planned, responses = batch(paragraphs=3)
    responses[1] = Fetched("http://a.example/slow", "article", "ok", "http://a.example/slow", 200, None, "text/html")  # type: ignore[arg-type]
    rows = extract_batch(planned, responses)
    assert [a.url for a in rows.articles] == ["http://a.example/1", "http://a.example/2"]
    assert [(e.url, e.error_type) for e in rows.errors] == [("http://a.example/slow", "AttributeError")]
    assert rows.unexpected == 1
    # Its seen_urls row says why (it was dropped, the fetch log with it): the next run knows the URL.
    assert ("http://a.example/slow", "skipped", "extract") in [(s.url, s.outcome, s.reason) for s in rows.seen]


def test_worker_processes_interrupt_a_page_past_its_budget() -> None:
    planned, responses = batch()
    with ExtractionPool(workers=2, batches=2) as pool:
        workers = pool.executor_for(responses)
        assert workers is not None
        rows = workers.submit(extract_batch, planned, responses, timeout=BUDGET).result(timeout=60)
    assert_only_the_slow_page_failed(rows, f"took longer than extract_timeout={BUDGET:g} s")


def _die() -> None:
    os._exit(9)  # as the OOM killer would end a worker


def test_a_worker_that_dies_breaks_its_batch_only_and_the_next_batch_gets_new_workers() -> None:
    planned, responses = batch()
    with ExtractionPool(workers=2, batches=3) as pool:
        broken = pool.executor_for(responses)
        assert broken is not None
        with pytest.raises(BrokenProcessPool):
            broken.submit(_die).result(timeout=60)
        workers = pool.executor_for(responses)
        assert workers is not None and workers is not broken
        rows = workers.submit(extract_batch, planned, responses, timeout=BUDGET).result(timeout=60)
    assert_only_the_slow_page_failed(rows, f"took longer than extract_timeout={BUDGET:g} s")


def test_a_large_page_goes_to_a_worker_whose_budget_can_interrupt_it_even_in_a_run_of_one_batch() -> None:
    planned, responses = batch()
    assert len(responses[1].body) > LARGE_PAGE_BYTES
    small = [responses[0], responses[2]]
    with ExtractionPool(workers=0, batches=1) as pool:
        assert pool.executor_for(small) is None  # a thread: no worker to start for one small batch
        workers = pool.executor_for(responses)
        assert workers is not None
        rows = workers.submit(extract_batch, planned, responses, timeout=BUDGET).result(timeout=60)
    assert_only_the_slow_page_failed(rows, f"took longer than extract_timeout={BUDGET:g} s")
    with ExtractionPool(workers=1, batches=1) as in_process:  # extract_workers = 1: always the flow's process
        assert in_process.executor_for(responses) is None


def test_a_large_page_whose_extraction_is_one_long_c_call_is_cut_at_its_budget_in_a_worker() -> None:
    # libxml2 parses 30 MB of 999-attribute tags in one call of ~7 s (quadratic in a tag's attributes, just under
    # extractors/_crowded.py's refusal): the timer signal waited for it to return. A large page is extracted in a
    # child of the worker, killed at the budget. The budget leaves time for the Python work before the parse
    # (~1 s over 30 MB), so that the parse has begun when it runs out.
    budget = 2.0
    tag = "<p " + " ".join(f"a{i}=1" for i in range(999)) + ">x</p>"
    planned, responses = batch(paragraphs=1)
    slow = f"<html><body>{tag * (30_000_000 // len(tag))}</body></html>".encode()
    responses[1] = Fetched("http://a.example/slow", "article", "ok", "http://a.example/slow", 200, slow, "text/html")
    with ExtractionPool(workers=2, batches=2) as pool:
        workers = pool.executor_for(responses)
        assert workers is not None
        workers.submit(_imported).result(timeout=60)  # started and imported: what follows is the batch alone
        started = time.monotonic()
        rows = workers.submit(extract_batch, planned, responses, timeout=budget).result(timeout=120)
        took = time.monotonic() - started
    assert_only_the_slow_page_failed(rows, f"took longer than extract_timeout={budget:g} s")
    assert took < 2 * budget + 1, f"the batch took {took:.1f} s: the page's parse was not cut at its {budget:g} s"


def test_a_small_page_of_many_tags_goes_to_a_worker_that_cuts_it_at_its_budget_even_in_a_run_of_one_batch() -> None:
    # trafilatura's main pass is quadratic in the inline elements of a paragraph, in C calls the timer signal
    # waits for: 90,000 <b> (0.7 MB, under LARGE_PAGE_BYTES) took 49 s against a 5 s budget, in a thread and in a
    # worker alike. Counted by its tags, it is extracted in a child of a worker, killed at the budget.
    budget = 2.0
    planned, responses = batch(paragraphs=1)
    crowded = f"<html><body><article><p>{'<b>w</b>' * 90_000}</p></article></body></html>".encode()
    assert len(crowded) < LARGE_PAGE_BYTES and crowded.count(b"<") > LARGE_PAGE_TAGS
    responses[1] = Fetched("http://a.example/slow", "article", "ok", "http://a.example/slow", 200, crowded, "text/html")
    assert is_large(responses[1]) and not is_large(responses[0])
    with ExtractionPool(workers=0, batches=1) as pool:
        workers = pool.executor_for(responses)
        assert workers is not None  # not the flow's thread, which could only measure the 49 s afterwards
        workers.submit(_imported).result(timeout=60)
        started = time.monotonic()
        rows = workers.submit(extract_batch, planned, responses, timeout=budget).result(timeout=120)
        took = time.monotonic() - started
    assert_only_the_slow_page_failed(rows, f"took longer than extract_timeout={budget:g} s")
    assert took < 2 * budget + 1, f"the batch took {took:.1f} s: the page was not cut at its {budget:g} s"


def test_a_thread_cannot_be_interrupted_so_the_overrun_is_measured_and_recorded() -> None:
    planned, responses = batch()  # extracted to the end
    result: list[BatchRows] = []
    thread = threading.Thread(target=lambda: result.append(extract_batch(planned, responses, timeout=BUDGET)))
    thread.start()
    thread.join(timeout=60)
    (rows,) = result
    assert_only_the_slow_page_failed(rows, "took ")
    assert (
        f"longer than extract_timeout={BUDGET:g} s (measured after the fact: extraction in a thread cannot"
        in rows.errors[0].message
    )


def slow() -> None:
    extract_batch(*batch(), timeout=60)  # seconds of pure-Python work


def test_the_budget_leaves_the_signal_handler_and_timer_as_it_found_them() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(ExtractionTimeout, match="extraction of 'page' took longer than extract_timeout=0.4 s"):
        within_budget(BUDGET, slow, what="page")
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert within_budget(BUDGET, sum, [1, 2], what="page") == 3  # and a fast call passes


def test_a_timer_already_running_is_left_alone_and_the_page_is_measured() -> None:
    signal.setitimer(signal.ITIMER_REAL, 600)
    try:
        with pytest.raises(ExtractionTimeout, match="measured after the fact"):
            within_budget(0.001, sum, range(10**7), what="page")  # ~0.1 s
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 500
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def busy() -> int:
    return sum(i for i in range(20_000))  # ~1-2 ms of bytecode, interruptible anywhere


class SlowFinalizer:
    def __del__(self) -> None:
        busy()


def finalizer_heavy_work() -> None:
    """Half its time in finalizers, where an interrupt is reported as unraisable and swallowed."""
    for _ in range(20_000):  # ~60 s if never interrupted: a broken budget fails the test rather than hang it
        SlowFinalizer()
        busy()


def test_an_interrupt_swallowed_by_a_finalizer_is_repeated_and_not_reported() -> None:
    # pytest turns an unraisable exception into an error of this test (filterwarnings = error)
    with pytest.raises(ExtractionTimeout, match="took longer than extract_timeout=0.1 s"):
        within_budget(0.1, finalizer_heavy_work, what="page")


def test_an_isolated_budget_stops_even_a_long_c_call() -> None:
    # sum() over a range is one C loop that never looks at signals (~10-20 s): within_budget would wait for it
    with pytest.raises(ExtractionTimeout, match="extraction of 'page' took longer than extract_timeout=0.2 s"):
        within_budget_isolated(0.2, sum, range(10**9), what="page")


def test_an_isolated_budget_returns_the_result_or_raises_the_error() -> None:
    article = within_budget_isolated(5, clean_document, NORMAL, url="http://a.example/1", what="page")
    assert article.title == "Budget passes" and article.text.startswith("The council approved")
    with pytest.raises(ExtractionError, match="no article body in .http://a.example/2."):
        within_budget_isolated(5, clean_document, "<html></html>", url="http://a.example/2", what="page")


def test_articles_come_back_with_their_shingles_when_asked_keyed_by_content_hash() -> None:
    pages = {
        "http://a.example/1": NORMAL.encode(),
        "http://a.example/2": NORMAL.replace("Tuesday", "Friday").encode(),
        "http://a.example/empty": b"<html><body></body></html>",  # no article: no shingles
    }
    planned = [PlannedFetch(Candidate(url, "s")) for url in pages]
    responses = [Fetched(url, "article", "ok", url, 200, body, "text/html") for url, body in pages.items()]
    params = DedupParams(shingle_size=3)
    with ExtractionPool(workers=2, batches=2) as pool:
        workers = pool.executor_for(responses)
        assert workers is not None
        rows = workers.submit(extract_batch, planned, responses, shingle_with=params).result(timeout=60)
    assert [a.url for a in rows.articles] == ["http://a.example/1", "http://a.example/2"]
    assert rows.shingled.keys() == {a.content_hash for a in rows.articles}
    for article in rows.articles:
        scheme, hashes = rows.shingled[article.content_hash]
        expected_scheme, expected = shingles(article.text, params)
        assert scheme == expected_scheme == "word"
        assert hashes.tolist() == expected.tolist() and len(hashes) > 0
    assert extract_batch(planned, responses).shingled == {}


ISOLATED_PARENT = """
import sys, time
from flows.extraction import within_budget_isolated
print("ready", flush=True)
within_budget_isolated(60, time.sleep, 30, what="page")
"""


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if entry.isdigit() and int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while /proc was read
    return found


def _running(pid: int) -> bool:
    """Whether a process exists and has not ended (a zombie waits for init to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_a_forked_extraction_ends_with_the_process_that_forked_it() -> None:
    # A flow killed with SIGKILL ends its workers; the child a worker forked for a large page went on parsing it,
    # an orphan holding its memory (threads, such as exit_with_parent's watcher, do not survive fork).
    with subprocess.Popen([sys.executable, "-c", ISOLATED_PARENT], stdout=subprocess.PIPE, text=True) as parent:
        try:
            assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 30
            while not (children := _children(parent.pid)) and time.monotonic() < deadline:
                time.sleep(0.05)
            (child,) = children
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
            deadline = time.monotonic() + 10
            while _running(child) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not _running(child), "the forked child outlived the process that forked it"
        finally:
            if parent.poll() is None:
                parent.kill()


def _interrupted() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C signals a terminal's whole process group
    time.sleep(30)


def _raised_by(job: Future[None]) -> BaseException | None:
    """What waiting for the job raised: a KeyboardInterrupt too, which a worker sent back before it ended quietly."""
    try:
        job.result(timeout=60)
    except BaseException as error:  # noqa: BLE001 - the caller checks which
        return error
    return None


def test_a_worker_ends_quietly_on_ctrl_c(capfd: pytest.CaptureFixture[str]) -> None:
    # Each worker printed a KeyboardInterrupt traceback over the run's own "interrupted" message (an operator's
    # review), and a page in hand came back as a KeyboardInterrupt raised in the flow process.
    _, responses = batch()
    with ExtractionPool(workers=2, batches=2) as pool:
        workers = pool.executor_for(responses)
        assert workers is not None
        raised = _raised_by(workers.submit(_interrupted))
    assert isinstance(raised, BrokenProcessPool)
    assert "KeyboardInterrupt" not in capfd.readouterr().err


def test_a_worker_interrupted_while_it_starts_ends_quietly_too(capfd: pytest.CaptureFixture[str]) -> None:
    # The review of the first version: Ctrl-C while a worker still imported printed its KeyboardInterrupt traceback
    # (its handler was not set yet). Workers now start with SIGINT blocked until it is.
    _, responses = batch()
    with ExtractionPool(workers=2, batches=2) as pool:
        workers = pool.executor_for(responses)
        assert workers is not None
        for process in list(workers._processes.values()):  # type: ignore[attr-defined]
            os.kill(process.pid, signal.SIGINT)  # at once: each is still importing
        raised = _raised_by(workers.submit(_imported))
    assert isinstance(raised, BrokenProcessPool)
    assert "KeyboardInterrupt" not in capfd.readouterr().err
