"""Ingest: files, folders and globs -> decoded raw documents, or one-line errors.

A raw document is a page's text or HTML before segmentation. Every failure is an
`InputError` naming the file (and line, for JSONL) so a caller can report it and go on.

>>> docs = list(read_jsonl_records("x.jsonl", '{"id": "a", "text": "Hello"}\\nnot json'))
>>> docs[0].doc_id, docs[0].kind, str(docs[1])
('a', 'text', 'x.jsonl:2: not valid JSON (Expecting value at column 1)')
"""

from __future__ import annotations

import glob
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .types import InputError

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
KNOWN_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
DEFAULT_MAX_BYTES = 5_000_000
# A sniffed share of control characters above this means the bytes are not text.
MAX_CONTROL_SHARE = 0.05
FALLBACK_ENCODINGS = ("windows-1252",)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class RawDoc:
    doc_id: str
    source_path: str
    kind: str  # "text" or "html"
    content: str
    url: str | None = None


def expand(paths: Iterable[str], suffixes: tuple[str, ...] | None = None) -> list[str]:
    """Files, folders (recursively, known suffixes) and globs -> sorted unique file paths.

    A path that matches nothing is returned as is, so reading it reports the error.
    """
    out: list[str] = []
    for p in map(str, paths):
        matches = sorted(glob.glob(p, recursive=True)) if glob.has_magic(p) else [p]
        for m in matches:
            path = Path(m)
            if path.is_dir():
                out.extend(str(f) for f in sorted(path.rglob("*")) if f.is_file() and _wanted(f, suffixes))
            else:
                out.append(m)
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
    if path.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(path, f"truncated or corrupt gzip ({exc})") from None
        if len(data) > max_bytes:
            raise InputError(path, f"unpacks to {len(data):,} bytes, over the {max_bytes:,}-byte limit (ingest.max_bytes)")
    return data


def decode(path: str, data: bytes) -> str:
    """Bytes -> text: UTF-8 (with or without BOM), UTF-16 with BOM, the declared charset, then windows-1252."""
    if not data.strip():
        raise InputError(path, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _check_text(path, data.decode("utf-16"))
    if b"\x00" in data[:8192]:
        raise InputError(path, "binary file (contains NUL bytes), not text or HTML")
    declared = _META_CHARSET.search(data[:4096])
    candidates = ["utf-8-sig"] + ([declared.group(1).decode("ascii")] if declared else []) + list(FALLBACK_ENCODINGS)
    for enc in candidates:
        try:
            return _check_text(path, data.decode(enc))
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError(path, f"cannot decode: not valid {', '.join(dict.fromkeys(candidates))}")


def looks_binary(text: str) -> bool:
    r"""Mostly control characters in the first 8 KiB: bytes, not text.

    >>> looks_binary("A line of news."), looks_binary("PNG\x00\x01\x02\x03 data")
    (False, True)
    """
    sample = text[:8192]
    return len(_CONTROL.findall(sample)) > MAX_CONTROL_SHARE * max(1, len(sample))


def _check_text(path: str, text: str) -> str:
    if looks_binary(text):
        raise InputError(path, "binary file (control characters), not text or HTML")
    return text


def read_path(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawDoc | InputError]:
    """Every document in one file, or the errors that stop them; never raises InputError."""
    kind = _kind_of(Path(path))
    try:
        text = decode(path, read_bytes(path, max_bytes))
        if kind is None:
            kind = "html" if re.search(r"<(html|body|p|div)\b", text[:2000], re.I) else "text"
    except InputError as exc:
        yield exc
        return
    if kind == "jsonl":
        yield from read_jsonl_records(path, text)
    else:
        yield RawDoc(doc_id_for(path), path, kind, text)


def read_jsonl_records(path: str, text: str) -> Iterator[RawDoc | InputError]:
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
            yield InputError(path, f"record {rec['id']!r} is binary (control characters), not text or HTML", line=n)
        else:
            yield RawDoc(str(rec["id"]), path, kind, body, rec.get("url"))
