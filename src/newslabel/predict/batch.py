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
import sys
from dataclasses import dataclass
from pathlib import Path

from newslabel.ingest.files import HTML_SUFFIXES, TEXT_SUFFIXES, doc_id_for, expand
from newslabel.predict.pool import BatchResult, Outcome, RunFailed, _map, _say, _signals_raise, page_key

# Exit codes of `python -m src.label` (README, --help).
EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


@dataclass
class Progress:
    done: set
    out_offset: int = 0
    articles_offset: int = 0
    done_bytes: int = 0  # the length of `<out>.done` up to its last whole, consistent line


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
