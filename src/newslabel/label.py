"""Batch labelling: pages from disk -> one JSON line a passage (and one a page), resumable.

Output is appended a page at a time; after each page a line goes to `<out>.done` with the
page's key and the byte offsets the outputs reached. A rerun truncates the outputs to the
last recorded offsets (dropping any torn or partial page) and skips the pages already done,
so a killed run loses nothing and duplicates nothing.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .ingest import expand, read_path
from .passages import segment
from .types import InputError

PASSAGE_FIELDS = ("doc_id", "source_path", "index", "line", "text", "role", "role_score", "is_body", "topic",
                  "topic_score", "stance", "stance_score", "bias", "bias_score", "model_version")
_LABELLER = None


@dataclass
class Progress:
    done: set
    out_offset: int = 0
    articles_offset: int = 0


def page_key(source_path: str, doc_id: str) -> str:
    return f"{source_path}\t{doc_id}"


def read_progress(out: Path) -> Progress:
    """Completed pages and the byte offsets the outputs are good up to; a torn last line is ignored."""
    done_path = Path(f"{out}.done")
    progress = Progress(set())
    if not done_path.exists():
        return progress
    for line in done_path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            break
        progress.done.add(rec["key"])
        progress.out_offset, progress.articles_offset = rec["out"], rec["articles"]
    return progress


def _truncate(path: Path | None, offset: int) -> None:
    if path is not None and path.exists():
        with path.open("r+b") as fh:
            fh.truncate(offset)


def _init_worker(model: str | None) -> None:
    global _LABELLER
    from .predict import load_labeller

    _LABELLER = load_labeller(model)


def label_file(path: str, max_bytes: int, skip: frozenset) -> list[tuple[str, list[dict] | None, dict | str]]:
    """All pages of one input file -> [(key, passage rows, article)] or [(key, None, error message)]."""
    out = []
    for doc in read_path(path, max_bytes):
        if isinstance(doc, InputError):
            out.append((page_key(path, "?"), None, str(doc)))
            continue
        key = page_key(doc.source_path, doc.doc_id)
        if key in skip:
            continue
        try:
            result = _LABELLER.label(segment(doc))
        except InputError as exc:
            out.append((key, None, str(exc)))
            continue
        except Exception as exc:  # a model failing on one page must not stop the batch: report it, go on
            out.append((key, None, f"{doc.source_path}: page {doc.doc_id}: labelling failed: "
                                   f"{type(exc).__name__}: {exc}".splitlines()[0]))
            continue
        rows = [{f: p[f] for f in PASSAGE_FIELDS} for p in result.pop("passages")]
        result["model_version"] = _LABELLER.model_version
        out.append((key, rows, result))
    return out


def run_batch(paths: list[str], out: Path, articles: Path | None, model: str | None, workers: int,
              max_bytes: int, progress_bar: bool = True) -> tuple[int, int, int]:
    """Label every input; returns (pages labelled now, passages written now, pages failed)."""
    from tqdm import tqdm

    progress = read_progress(out)
    _truncate(out, progress.out_offset)
    _truncate(articles, progress.articles_offset)
    files = expand(paths)
    skip = frozenset(progress.done)
    n_pages = n_passages = n_failed = 0
    with out.open("ab") as fo, (articles.open("ab") if articles else open(os.devnull, "ab")) as fa, \
            open(f"{out}.done", "ab") as fd:
        bar = tqdm(total=len(files), unit="file", disable=not (progress_bar and sys.stderr.isatty()))
        for results in _map(files, model, workers, max_bytes, skip):
            for key, rows, result in results:
                if rows is None:
                    n_failed += 1
                    print(f"error: {result}", file=sys.stderr)
                    continue
                fo.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8"))
                fa.write((json.dumps(result, ensure_ascii=False) + "\n").encode("utf-8"))
                fo.flush()
                fa.flush()
                fd.write((json.dumps({"key": key, "out": fo.tell(), "articles": fa.tell() if articles else 0})
                          + "\n").encode("utf-8"))
                fd.flush()
                n_pages += 1
                n_passages += len(rows)
            bar.update(1)
        bar.close()
    return n_pages, n_passages, n_failed


def _map(files: list[str], model: str | None, workers: int, max_bytes: int, skip: frozenset) -> Iterator[list]:
    if workers <= 1:
        _init_worker(model)
        for f in files:
            yield label_file(f, max_bytes, skip)
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(model,)) as pool:
        # map() keeps input order; with chunksize 1 only a few files' results are held at once.
        yield from pool.map(label_file, files, [max_bytes] * len(files), [skip] * len(files))
