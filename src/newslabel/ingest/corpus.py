"""Read many inputs into pages, collecting one-line errors instead of stopping.

>>> pages, errors = read_pages(["no/such/file.txt"])
>>> pages, [str(e) for e in errors]
([], ['no/such/file.txt: no such file'])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from newslabel.errors import InputError
from newslabel.ingest.files import DEFAULT_MAX_BYTES, expand, read_path
from newslabel.ingest.segment import segment
from newslabel.types import Page


def iter_pages(paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES,
               skipped: list[str] | None = None) -> Iterator[Page | InputError]:
    """Pages in input order, with an InputError in place of each input (or record) that failed.

    Folder members of unsupported types are appended to `skipped` (one line each) when it is given.
    """
    for path in expand(paths, skipped=skipped):
        for doc in read_path(path, max_bytes):
            if isinstance(doc, InputError):
                yield doc
                continue
            try:
                yield segment(doc)
            except InputError as exc:
                yield exc


def read_pages(paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[Page], list[InputError]]:
    pages, errors = [], []
    for item in iter_pages(paths, max_bytes):
        (errors if isinstance(item, InputError) else pages).append(item)
    return pages, errors
