"""Pages labelled in worker processes: one outcome a page (rows or a one-line error), a time limit a page, and
workers that die with their leader."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import NamedTuple

from newslabel.errors import InputError
from newslabel.ingest.files import read_path
from newslabel.ingest.segment import segment
from newslabel.types import PASSAGE_FIELDS


@dataclass
class BatchResult:
    pages: int = 0
    passages: int = 0
    failed: int = 0
    skipped: int = 0


def page_key(source_path: str, doc_id: str) -> str:
    return f"{source_path}\t{doc_id}"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


_LABELLER = None
_PRELOADED: tuple = ()  # (model, labeller) the leader loaded: its forked workers start with it


def preload(model: str | None, labeller) -> None:
    """Label with `labeller` (loaded from `model`) here and in the worker processes forked from here: a worker then
    starts at once instead of loading the models again (seconds each time: skops' audit of every object)."""
    global _PRELOADED
    _PRELOADED = (model, labeller)


class RunFailed(Exception):
    """The run as a whole could not go on (interrupted, --out locked); one line, exit code 3."""


class PageTimeout(Exception):
    pass


class Outcome(NamedTuple):
    key: str
    rows: list[dict] | None  # None: the page failed and `result` is the error line
    result: dict | str
    warnings: list[str]


# -- workers --------------------------------------------------------------------------------------------
def _init_worker(model: str | None, leader: int | None = None) -> None:
    global _LABELLER
    if leader is not None:
        _die_with(leader)
    if _PRELOADED and _PRELOADED[0] == model:
        _LABELLER = _PRELOADED[1]
        return
    from newslabel.predict.load import load_labeller

    _LABELLER = load_labeller(model)


def _die_with(leader: int) -> None:
    """A worker ends with its leader, however the leader ends (SIGKILL included), and leaves Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the leader's handler, inherited through fork
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        threading.Thread(target=_watch_leader, args=(leader,), daemon=True).start()
    if os.getppid() != leader:  # the leader died before prctl took effect
        os._exit(1)


def _watch_leader(leader: int) -> None:
    import time

    while os.getppid() == leader:
        time.sleep(1)
    os._exit(1)


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """PageTimeout in the main thread after `seconds` (checked between Python operations); no-op elsewhere."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise PageTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def label_file(path: str, max_bytes: int, skip: frozenset, page_timeout: float | None = None) -> list[Outcome]:
    """All pages of one input file -> an Outcome each (rows and article, or the error line)."""
    out = []
    for doc in read_path(path, max_bytes):
        if isinstance(doc, InputError):
            out.append(Outcome(page_key(path, "?"), None, str(doc), []))
            continue
        key = page_key(doc.source_path, doc.doc_id)
        if key in skip:
            continue
        out.append(_label_doc(doc, key, page_timeout))
    return out


def _label_doc(doc, key: str, page_timeout: float | None) -> Outcome:
    try:
        with _time_limit(page_timeout):
            page = segment(doc)
            result = _LABELLER.label(page)
    except InputError as exc:
        return Outcome(key, None, str(exc), doc.warnings)
    except RunFailed:  # SIGTERM / SIGINT in a one-process run: stop, do not count it against the page
        raise
    except PageTimeout:
        return Outcome(key, None, f"{doc.source_path}: page {doc.doc_id}: over the {page_timeout:g} s time limit "
                                  "for a page (label.page_timeout_s); not labelled", doc.warnings)
    except Exception as exc:  # a model failing on one page must not stop the batch: report it, go on
        return Outcome(key, None, f"{doc.source_path}: page {doc.doc_id}: labelling failed: "
                                  f"{type(exc).__name__}: {exc}".splitlines()[0], doc.warnings)
    rows = [{f: p[f] for f in PASSAGE_FIELDS} for p in result.pop("passages")]
    result["model_version"] = _LABELLER.model_version
    return Outcome(key, rows, result, page.extra.get("warnings", []))


@contextlib.contextmanager
def _signals_raise():
    """SIGTERM and SIGINT raise RunFailed in the leader, so the pool is torn down and the outputs stay whole."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise RunFailed(f"interrupted by {signal.Signals(signum).name}")

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _map(tasks, model, workers, max_bytes, page_timeout, res) -> Iterator[list[Outcome]]:
    if workers <= 1:
        _init_worker(model)
        for path, skip in tasks:
            yield label_file(path, max_bytes, skip, page_timeout)
        return
    yield from _Pool(model, workers, max_bytes, page_timeout, res).run(tasks)


class _Pool:
    """A process pool that outlives its workers: when one dies, the files in flight are retried one at a time
    on a fresh pool, and a file whose worker dies again is reported as failed."""

    def __init__(self, model, workers, max_bytes, page_timeout, res: BatchResult):
        self.model, self.workers, self.max_bytes, self.page_timeout, self.res = (
            model, workers, max_bytes, page_timeout, res)
        self.pool: ProcessPoolExecutor | None = None
        self.procs: dict = {}

    def run(self, tasks) -> Iterator[list[Outcome]]:
        pending, suspects = deque(tasks), deque()
        inflight: deque[tuple[tuple, Future]] = deque()
        try:
            while pending or suspects or inflight:
                self._fill(pending, suspects, inflight)
                task, fut = inflight[0]
                try:
                    outcomes = fut.result()
                except BrokenProcessPool:
                    yield from self._broken(inflight, suspects, alone=len(inflight) == 1 and task[2])
                    continue
                except RunFailed:
                    raise
                except Exception as exc:  # e.g. a result that cannot be sent back: that file fails, not the run
                    outcomes = [Outcome(page_key(task[0], "?"), None, f"{task[0]}: labelling failed: "
                                        f"{type(exc).__name__}: {exc}".splitlines()[0], [])]
                inflight.popleft()
                yield outcomes
        finally:
            self._stop()

    def _fill(self, pending, suspects, inflight) -> None:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, initializer=_init_worker,
                                            initargs=(self.model, os.getpid()))
            self.procs = {}
        if suspects:  # a file that was in flight when a worker died runs alone, so a second death is its own
            if not inflight:
                path, skip = suspects.popleft()
                inflight.append(((path, skip, True), self._submit(path, skip)))
            return
        while pending and len(inflight) < 2 * self.workers:
            path, skip = pending.popleft()
            inflight.append(((path, skip, False), self._submit(path, skip)))

    def _submit(self, path: str, skip: frozenset) -> Future:
        fut = self.pool.submit(label_file, path, self.max_bytes, skip, self.page_timeout)
        self.procs.update(getattr(self.pool, "_processes", None) or {})
        return fut

    def _broken(self, inflight, suspects, alone: bool) -> Iterator[list[Outcome]]:
        cause = self._cause()
        done = [f.result() for _, f in inflight if f.done() and not f.exception()]
        lost = [t for t, f in inflight if not (f.done() and not f.exception())]
        inflight.clear()
        self._stop()
        yield from done
        if alone:
            path = lost[0][0]
            self.res.failed += 1
            _say(f"error: {path}: the worker labelling it died again ({cause}); not labelled")
            return
        names = ", ".join(t[0] for t in lost)
        _say(f"error: a worker process died ({cause}) while labelling {names}; "
                       "retrying them one at a time on a fresh pool")
        suspects.extend((t[0], t[1]) for t in lost)

    def _cause(self) -> str:
        for p in self.procs.values():  # the pool's own thread reaps them too: wait for the exit codes to settle
            with contextlib.suppress(Exception):
                p.join(2)
        codes = [p.exitcode for p in self.procs.values() if p.exitcode not in (None, 0)]
        killed = [c for c in codes if c == -signal.SIGKILL] or codes
        if not killed:
            return "it ended abruptly"
        code = killed[0]
        return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"

    def _stop(self) -> None:
        """Ends the workers now (no waiting for the files they hold) and drops the pool."""
        for p in list(self.procs.values()) + list((getattr(self.pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                p.kill()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)  # quick: its workers are gone
        for p in self.procs.values():
            with contextlib.suppress(Exception):
                p.join(5)
        self.pool, self.procs = None, {}
