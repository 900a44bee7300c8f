"""Batch labelling: pages from disk -> one JSON line a passage (and one a page), resumable.

Output is appended a page at a time; after each page a line goes to `<out>.done` with the
page's key and the byte offsets the outputs reached. A rerun truncates the outputs to the
last recorded offsets (dropping any torn or partial page), cuts a torn last line off
`<out>.done`, and skips the pages already done, so a killed run loses nothing and duplicates
nothing. `<out>.lock` (an flock, released by the kernel however the run ends) keeps a second
run from writing into the same output.

Faults: a page over the time limit, or one the model fails on, is one error line; a worker
process that dies (the OOM killer) is one line, and the files it held are retried one at a
time on a fresh pool, then reported as failed if the worker dies again. SIGTERM / SIGINT stop
the workers with the leader (exit 3); workers also die with a leader that is SIGKILLed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .ingest import HTML_SUFFIXES, TEXT_SUFFIXES, doc_id_for, expand, read_path
from .passages import segment
from .types import InputError

PASSAGE_FIELDS = ("doc_id", "source_path", "index", "line", "text", "role", "role_score", "is_body", "topic",
                  "topic_score", "stance", "stance_score", "bias", "bias_score", "model_version")
# Exit codes of `python -m src.label` (README, --help).
EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
_LABELLER = None


class RunFailed(Exception):
    """The run as a whole could not go on (interrupted, --out locked); one line, exit code 3."""


class PageTimeout(Exception):
    pass


class Outcome(NamedTuple):
    key: str
    rows: list[dict] | None  # None: the page failed and `result` is the error line
    result: dict | str
    warnings: list[str]


@dataclass
class Progress:
    done: set
    out_offset: int = 0
    articles_offset: int = 0
    done_bytes: int = 0  # the length of `<out>.done` up to its last whole, consistent line


@dataclass
class BatchResult:
    pages: int = 0
    passages: int = 0
    failed: int = 0
    skipped: int = 0


def page_key(source_path: str, doc_id: str) -> str:
    return f"{source_path}\t{doc_id}"


def read_progress(out: Path, articles: Path | None = None) -> Progress:
    """Completed pages and the byte offsets the outputs are good up to.

    Reading stops at a torn or unparsable line, and at a line whose offsets lie past the end of an output (an
    output cut or removed since): every page after that point is labelled again.
    """
    done_path = Path(f"{out}.done")
    progress = Progress(set())
    if not done_path.exists():
        return progress
    sizes = (_size(out), _size(articles) if articles is not None else None)
    pos = 0
    for line in done_path.read_bytes().splitlines(keepends=True):
        try:
            rec = json.loads(line) if line.endswith(b"\n") else None
            key, at_out, at_articles = rec["key"], int(rec["out"]), int(rec["articles"])
        except (json.JSONDecodeError, TypeError, KeyError, ValueError):
            break
        if at_out > sizes[0] or (sizes[1] is not None and at_articles > sizes[1]):
            break
        progress.done.add(key)
        progress.out_offset, progress.articles_offset = at_out, at_articles
        pos += len(line)
        progress.done_bytes = pos
    return progress


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _truncate(path: Path | None, offset: int) -> None:
    if path is not None and path.exists():
        with path.open("r+b") as fh:
            fh.truncate(offset)


@contextlib.contextmanager
def out_lock(out: Path):
    """Holds `<out>.lock` for the run; RunFailed at once when another run holds it."""
    lock_path = Path(f"{out}.lock")
    fh = lock_path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "?"
        fh.close()
        raise RunFailed(f"{out}: another run is writing it (pid {holder} holds {lock_path}); not started") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    try:
        yield
    finally:
        fh.close()  # closing releases the flock


# -- workers --------------------------------------------------------------------------------------------
def _init_worker(model: str | None, leader: int | None = None) -> None:
    global _LABELLER
    if leader is not None:
        _die_with(leader)
    from .predict import load_labeller

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


# -- the leader -----------------------------------------------------------------------------------------
def run_batch(paths: list[str], out: Path, articles: Path | None, model: str | None, workers: int,
              max_bytes: int, progress_bar: bool = True, page_timeout: float | None = None) -> BatchResult:
    """Label every input under the lock on `out`; one line on stderr for each error, warning and skipped file.

    Raises RunFailed when the run cannot start (locked) or is stopped (SIGTERM, SIGINT).
    """
    with out_lock(out), _signals_raise():
        return _run_locked(paths, out, articles, model, workers, max_bytes, progress_bar, page_timeout)


def _run_locked(paths, out, articles, model, workers, max_bytes, progress_bar, page_timeout) -> BatchResult:
    from tqdm import tqdm

    progress = read_progress(out, articles)
    _truncate(out, progress.out_offset)
    _truncate(articles, progress.articles_offset)
    _truncate(Path(f"{out}.done"), progress.done_bytes)
    skipped: list[str] = []
    files = expand(paths, skipped=skipped)
    res = BatchResult(skipped=len(skipped))
    for line in skipped:
        _say(f"skipped: {line}")
    tasks = _tasks(files, progress.done)
    with out.open("ab") as fo, (articles.open("ab") if articles else open(os.devnull, "ab")) as fa, \
            open(f"{out}.done", "ab") as fd:
        bar = tqdm(total=len(tasks), unit="file", disable=not (progress_bar and sys.stderr.isatty()))
        try:
            for outcomes in _map(tasks, model, workers, max_bytes, page_timeout, res):
                for o in outcomes:
                    _write(o, res, fo, fa, fd, articles is not None)
                bar.update(1)
        except RunFailed as exc:
            raise RunFailed(f"{exc}: {res.pages} pages labelled this run; rerun the same command to resume") from None
        finally:
            bar.close()
    return res


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _write(o: Outcome, res: BatchResult, fo, fa, fd, with_articles: bool) -> None:
    for line in o.warnings:
        _say(f"warning: {line}")
    if o.rows is None:
        res.failed += 1
        _say(f"error: {o.result}")
        return
    fo.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in o.rows).encode("utf-8"))
    fa.write((json.dumps(o.result, ensure_ascii=False) + "\n").encode("utf-8"))
    fo.flush()
    fa.flush()
    fd.write((json.dumps({"key": o.key, "out": fo.tell(), "articles": fa.tell() if with_articles else 0})
              + "\n").encode("utf-8"))
    fd.flush()
    res.pages += 1
    res.passages += len(o.rows)


def _tasks(files: list[str], done: set) -> list[tuple[str, frozenset]]:
    """(file, its pages already done) for every file with work left; a done one-page file is not sent at all."""
    by_file: dict[str, set] = {}
    for key in done:
        by_file.setdefault(key.split("\t", 1)[0], set()).add(key)
    tasks = []
    for f in files:
        keys = frozenset(by_file.get(f, ()))
        one_page = f.lower().removesuffix(".gz").endswith(TEXT_SUFFIXES + HTML_SUFFIXES)
        if not (one_page and page_key(f, doc_id_for(f)) in keys):
            tasks.append((f, keys))
    return tasks


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
