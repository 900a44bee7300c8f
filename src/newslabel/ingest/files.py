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

import codecs
import glob
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from newslabel.errors import InputError

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl",)
KNOWN_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
READS = ".txt, .text, .html, .htm, .jsonl, each optionally .gz"
DEFAULT_MAX_BYTES = 5_000_000


# A share of control characters above this (over the whole text) means the bytes are not text.
MAX_CONTROL_SHARE = 0.05
FALLBACK_ENCODINGS = ("windows-1252",)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CONTROL_CHARS = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]
_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROL_CHARS) + "]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_DROP_ESCAPED = dict.fromkeys(range(0xDC80, 0xDD00))  # surrogateescape's stand-ins for undecodable bytes


# UTF-16 without a BOM: at least this share of one byte lane is NUL, and almost none of the other.
UTF16_NUL_LANE, UTF16_OTHER_LANE = 0.3, 0.02


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


def decode(path: str, data: bytes) -> str:
    """Bytes -> text (see `decode_with_warnings`); repairs are not reported."""
    return decode_with_warnings(path, data)[0]


def decode_with_warnings(path: str, data: bytes) -> tuple[str, list[str]]:
    """Bytes -> (text, warnings).

    Order: a BOM (UTF-8/16/32); UTF-16 without BOM (by its NUL byte lanes); then NUL bytes anywhere mean binary;
    strict UTF-8; the declared charset (<meta charset>); mostly-UTF-8 bytes (declared UTF-8, or more valid
    multi-byte characters than bad bytes) with the bad bytes replaced and a warning; windows-1252.
    """
    if not data.strip():
        raise InputError(path, "empty file")
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return check_text(path, _strict(path, data, enc, "with a BOM")), []
    wide = _utf16_lane(data)
    if wide:
        return check_text(path, _strict(path, data, wide, "without a BOM (by its NUL bytes)")), []
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(path, f"binary file (contains NUL bytes, the first at byte {nul:,}), not text or HTML")
    declared = _declared(data)
    try:
        return check_text(path, data.decode("utf-8")), []
    except UnicodeDecodeError:
        pass
    if declared and declared != "utf-8":
        try:
            return check_text(path, data.decode(declared)), []
        except (UnicodeDecodeError, LookupError):
            pass
    escaped = data.decode("utf-8", errors="surrogateescape")
    bad = len(escaped) - len(escaped.translate(_DROP_ESCAPED))
    # Bytes of valid multi-byte characters outnumbering the bad ones: UTF-8 with damage, not a legacy charset.
    multibyte = len(data) - len(data.translate(None, _HIGH_BYTES)) - bad
    if declared == "utf-8" or multibyte >= bad:
        text = check_text(path, data.decode("utf-8", errors="replace"))
        return text, [f"{path}: {bad:,} bytes are not valid UTF-8{' (declared utf-8)' if declared else ''}; "
                      "decoded with U+FFFD in their place"]
    for enc in FALLBACK_ENCODINGS:
        try:
            text = check_text(path, data.decode(enc))
        except UnicodeDecodeError:
            continue
        return text, ([f"{path}: declared {declared} but not valid {declared}; decoded as {enc}"] if declared else [])
    tried = ["utf-8-sig"] + ([declared] if declared else []) + list(FALLBACK_ENCODINGS)
    raise InputError(path, f"cannot decode: not valid {', '.join(dict.fromkeys(tried))}")


def _strict(path: str, data: bytes, enc: str, how: str) -> str:
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        name = {"utf-8-sig": "UTF-8"}.get(enc, enc.upper())
        raise InputError(path, f"looks like {name} {how} but is not valid {name} (byte {exc.start:,})") from None


def _utf16_lane(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when one byte lane of the first 64 KiB is mostly NUL and the other is not."""
    sample = data[:65536]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0) / half, sample[1::2].count(0) / half
    if odd >= UTF16_NUL_LANE and even <= UTF16_OTHER_LANE:
        return "utf-16-le"
    if even >= UTF16_NUL_LANE and odd <= UTF16_OTHER_LANE:
        return "utf-16-be"
    return None


def _declared(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KiB, by its codec name ('UTF8' -> 'utf-8'); None if unknown."""
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    label = m.group(1).decode("ascii")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return label  # unknown to Python: tried, and named in the error
    return {"utf_8": "utf-8"}.get(name, name)


def control_share(text: str) -> float:
    r"""The share of control characters (not tab, CR, LF) in the whole text.

    >>> control_share("ab\tc\x01\x7f\n!")
    0.25
    """
    # A character class scans in C: str.translate with a dict maps each character in Python (16 ms a page).
    return len(_CONTROL.findall(text)) / max(1, len(text))


def looks_binary(text: str) -> bool:
    r"""Over 5% control characters, or any NUL, in the whole text: bytes, not text.

    >>> looks_binary("A line of news."), looks_binary("PNG\x00\x01\x02\x03 data"), looks_binary("x" * 9000 + "\x00")
    (False, True, True)
    """
    return "\x00" in text or control_share(text) > MAX_CONTROL_SHARE


def check_text(path: str, text: str) -> str:
    """`text` itself when it reads as text; else an InputError saying why (NUL characters, control characters)."""
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(path, f"binary data (contains NUL characters, the first at character {nul:,}), "
                               "not text or HTML")
    share = control_share(text)
    if share > MAX_CONTROL_SHARE:
        raise InputError(path, f"binary data ({share:.1%} control characters), not text or HTML")
    return text


_check_text = check_text  # the name spark.py imports


def check_page(name: str, page) -> str:
    """A page handed to the Python API: a str of text or HTML that reads as text, else an InputError.

    >>> check_page("p1", b"<p>Hi</p>")
    Traceback (most recent call last):
    newslabel.errors.InputError: p1: page is bytes, not str: decode it first (e.g. data.decode('utf-8'))
    """
    if page is None:
        raise InputError(name, "no page: got None, not a str of text or HTML")
    if isinstance(page, bytes | bytearray | memoryview):
        raise InputError(name, "page is bytes, not str: decode it first (e.g. data.decode('utf-8'))")
    if not isinstance(page, str):
        raise InputError(name, f"page is {type(page).__name__}, not a str of text or HTML")
    if not page.strip():
        raise InputError(name, "empty page")
    return check_text(name, page)


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
            yield RawDoc(str(rec["id"]), path, kind, body, rec.get("url"), warnings=list(warnings or []))


_LOOKS_HTML = re.compile(r"^\s*(<!doctype html|<html\b|<\?xml)|<(body|p|div|article)\b", re.I)
_LEADING_COMMENTS = re.compile(r"^(\s*(<!--.*?-->|<(script|style)\b[^>]*>.*?</(script|style)\s*>))+", re.S | re.I)
_HTML_TAG = re.compile(r"</?(html|head|title|meta|link|body|table|tr|td|img|br|script|style|font|center|span|a|ul|li|h[1-6])\b", re.I)
HTML_TAGS_TO_SNIFF = 3  # distinct known elements at the start of a string that make it HTML
LEAD_CHARS = 100_000  # how far leading comments, scripts and style sheets are skipped


def sniff_kind(text: str) -> str:
    """A page handed over as a string (no file name to go by): "html" if its start looks like HTML, else "text".
    The start is read after any leading comments, scripts and style sheets, and three different common elements
    in it are enough (old pages open with scripts, tables, images and comments, not a doctype).

    >>> sniff_kind("<!DOCTYPE html><title>x</title>"), sniff_kind("Headline\\nBody <b>bold</b>")
    ('html', 'text')
    >>> sniff_kind("<!-- banner --><table><tr><td><img src=a.gif><br>Welcome</td></tr></table>")
    'html'
    >>> sniff_kind("<script>var a = 1;" + " " * 5000 + "</script><table><tr><td>Welcome</td></tr></table>")
    'html'
    """
    head = _LEADING_COMMENTS.sub("", text[:LEAD_CHARS], count=1)[:4000]
    if _LOOKS_HTML.search(head[:2000]):
        return "html"
    return "html" if len({m.lower() for m in _HTML_TAG.findall(head)}) >= HTML_TAGS_TO_SNIFF else "text"
