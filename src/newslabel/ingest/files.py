"""Ingest: files, folders and globs -> decoded raw documents, or one-line errors.

A raw document is a page's text or HTML before segmentation. Every failure is an
`InputError` naming the file (and line, for JSONL) so a caller can report it and go on;
what was repaired on the way (bad UTF-8 bytes replaced, a mis-declared charset) is a
one-line warning carried by the document.

>>> docs = list(read_jsonl_records("x.jsonl", '{"id": "a", "text": "Hello"}\\nnot json'))
>>> docs[0].doc_id, docs[0].kind, str(docs[1])
('a', 'text', 'x.jsonl:2: not valid JSON (Expecting value at column 1)')
"""

from __future__ import annotations

import glob
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from newslabel.errors import InputError
from newslabel.ingest.decoding import decode_with_warnings, drop_html_nuls, looks_binary

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
KNOWN_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
READS = ".txt, .text, .html, .htm, .jsonl, each optionally .gz"
DEFAULT_MAX_BYTES = 5_000_000


@dataclass
class RawDoc:
    doc_id: str
    source_path: str
    kind: str  # "text" or "html"
    content: str
    url: str | None = None
    warnings: list[str] = field(default_factory=list)  # "FILE: what was repaired", one line each


@lru_cache(maxsize=1)
def limits() -> dict:
    """configs/ingest/default.yaml as a plain dict (read once, on first use)."""
    from omegaconf import OmegaConf

    from newslabel.config import load_group

    return OmegaConf.to_container(load_group("ingest"))


def expand(paths: Iterable[str], suffixes: tuple[str, ...] | None = None,
           skipped: list[str] | None = None) -> list[str]:
    """Files, folders (recursively, known suffixes) and globs -> sorted unique file paths.

    A path that matches nothing is returned as is, so reading it reports the error. Folder members of
    other types are left out; with `skipped`, each is appended there as a one-line reason.
    """
    out: list[str] = []
    for p in map(str, paths):
        matches = sorted(glob.glob(p, recursive=True)) if glob.has_magic(p) else [p]
        for m in matches:
            path = Path(m)
            if not path.is_dir():
                out.append(m)
                continue
            for f in sorted(path.rglob("*")):
                if not f.is_file():
                    continue
                if _wanted(f, suffixes):
                    out.append(str(f))
                elif skipped is not None:
                    skipped.append(f"{f}: unsupported file type ({f.suffix or 'no suffix'}); reads {READS}")
    return list(dict.fromkeys(out))


def _wanted(path: Path, suffixes: tuple[str, ...] | None) -> bool:
    """Folder members to keep: the given suffixes, else any page kind ingest reads."""
    return path.name.lower().endswith(suffixes) if suffixes else _kind_of(path) is not None


def _kind_of(path: Path) -> str | None:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    return None


def doc_id_for(path: str) -> str:
    """The page id of a file: its name without the known suffixes ('a/b.html.gz' -> 'b')."""
    name = Path(path).name
    name = name.removesuffix(".gz")
    for suffix in KNOWN_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def read_bytes(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    p = Path(path)
    if not p.exists():
        raise InputError(path, "no such file")
    if not p.is_file():
        raise InputError(path, "not a regular file")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(path, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit (ingest.max_bytes)")
    data = p.read_bytes()
    return gunzip(path, data, max_bytes) if path.lower().endswith(".gz") else data


def gunzip(path: str, data: bytes, max_bytes: int) -> bytes:
    """Every gzip member to its end-of-stream marker, never more than `max_bytes` unpacked.

    A stream cut anywhere (header, data or the CRC/size trailer) is an error, not a shorter page.
    """
    out, total = [], 0
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            chunk = inflater.decompress(data, max_bytes + 1 - total)
        except zlib.error as exc:
            raise InputError(path, f"corrupt gzip stream ({exc})") from None
        total += len(chunk)
        out.append(chunk)
        if total > max_bytes:
            raise InputError(path, f"unpacks to over {max_bytes:,} bytes, over the {max_bytes:,}-byte limit "
                                   "(ingest.max_bytes)")
        if not inflater.eof:
            raise InputError(path, "truncated gzip stream (it ends before its end-of-stream marker)")
        data = inflater.unused_data.lstrip(b"\x00")  # members may follow; NUL padding after the last is allowed
    return b"".join(out)


def read_path(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawDoc | InputError]:
    """Every document in one file, or the errors that stop them; never raises InputError."""
    kind = _kind_of(Path(path))
    try:
        text, warnings = decode_with_warnings(path, read_bytes(path, max_bytes))
        if kind is None:
            kind = "html" if re.search(r"<(html|body|p|div)\b", text[:2000], re.I) else "text"
    except InputError as exc:
        yield exc
        return
    if kind == "jsonl":
        yield from read_jsonl_records(path, text, warnings)
    else:
        yield RawDoc(doc_id_for(path), path, kind, text, warnings=warnings)


def read_jsonl_records(path: str, text: str, warnings: list[str] | None = None) -> Iterator[RawDoc | InputError]:
    """JSONL pages: {"id", "text"} or {"id", "html"}, optional "url"; one error a bad line."""
    # JSON Lines are separated by \n only: U+2028 or U+0085 inside a record is not a line break.
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(path, f"not valid JSON ({exc.msg} at column {exc.colno})", line=n)
            continue
        if not isinstance(rec, dict):
            yield InputError(path, "record is not a JSON object", line=n)
            continue
        kind = "html" if "html" in rec else "text"
        body = rec.get(kind)
        if "id" not in rec:
            yield InputError(path, "record has no 'id' field", line=n)
        elif not isinstance(body, str):
            yield InputError(path, "record has no 'text' or 'html' string field", line=n)
        elif not body.strip():
            yield InputError(path, f"record {rec['id']!r} has empty {kind}", line=n)
        elif looks_binary(body):
            yield InputError(path, f"record {rec['id']!r} is binary (NUL or control characters), not text or HTML",
                             line=n)
        else:
            body, repaired = drop_html_nuls(f"{path}:{n}", body)  # as label_page repairs a page handed to it
            yield RawDoc(str(rec["id"]), path, kind, body, rec.get("url"), warnings=list(warnings or []) + repaired)
