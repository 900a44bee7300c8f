"""Ingest: bytes or a string -> text that reads as text or HTML, or a one-line error saying why not.

Decoding tries, in order, a BOM, UTF-16 by its NUL byte lanes, strict UTF-8, the declared charset, damaged
UTF-8 (bad bytes replaced, with a warning), windows-1252; binary data (NUL or control characters) is refused,
but a few NULs in an HTML page are dropped with a warning, as an HTML parser drops them.

>>> decode_with_warnings("a.html", "<p>Caf\xe9</p>".encode("latin-1"))
('<p>Café</p>', [])
>>> sniff_kind("<!DOCTYPE html><p>Rain</p>"), sniff_kind("Rain in Leeds")
('html', 'text')
"""

from __future__ import annotations

import codecs
import re

from newslabel.errors import InputError

# A share of control characters above this (over the whole text) means the bytes are not text.
MAX_CONTROL_SHARE = 0.05
FALLBACK_ENCODINGS = ("windows-1252",)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CONTROL_CHARS = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]
_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROL_CHARS) + "]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_DROP_ESCAPED = dict.fromkeys(range(0xDC80, 0xDD00))  # surrogateescape's stand-ins for undecodable bytes


# HTML parsers drop U+0000 from a page's text (HTML5: "unexpected-null-character", the token ignored in the body):
# a few NULs in an HTML page are damage a browser shows past, not binary data. At most this share of its characters.
MAX_HTML_NUL_SHARE = 0.001

# UTF-16 without a BOM: at least this share of one byte lane is NUL, and almost none of the other.
UTF16_NUL_LANE, UTF16_OTHER_LANE = 0.3, 0.02


def decode_with_warnings(path: str, data: bytes) -> tuple[str, list[str]]:
    """Bytes -> (text, warnings).

    Order: a BOM (UTF-8/16/32); UTF-16 without BOM (by its NUL byte lanes); then NUL bytes mean binary, but a
    few in an HTML page (`MAX_HTML_NUL_SHARE`) are dropped with a warning; strict UTF-8; the declared charset
    (<meta charset>); mostly-UTF-8 bytes (declared UTF-8, or more valid multi-byte characters than bad bytes) with
    the bad bytes replaced and a warning; windows-1252.
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
    if b"\x00" in data:
        return _without_nuls(path, data)
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
    return _damaged_or_legacy(path, data, declared)


def _without_nuls(path: str, data: bytes) -> tuple[str, list[str]]:
    """NUL bytes mean binary, except a few in an HTML page: those are dropped, with a warning, and the rest decoded."""
    nul = data.find(b"\x00")
    if not _few_html_nuls(data.decode("latin-1")):
        raise InputError(path, f"binary file (contains NUL bytes, the first at byte {nul:,}), not text or HTML")
    n = data.count(b"\x00")
    text, repaired = decode_with_warnings(path, data.replace(b"\x00", b""))
    return text, [f"{path}: {n:,} NUL byte{'s' if n > 1 else ''} dropped (the first at byte {nul:,}), as an "
                  "HTML parser does"] + repaired


def _damaged_or_legacy(path: str, data: bytes, declared: str | None) -> tuple[str, list[str]]:
    """Bytes that are not strict UTF-8 nor their declared charset: damaged UTF-8, else a legacy charset."""
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
    r"""Over 5% control characters, or any NUL (but a few in an HTML page, `drop_html_nuls`): bytes, not text.

    >>> looks_binary("A line of news."), looks_binary("PNG\x00\x01\x02\x03 data"), looks_binary("x" * 9000 + "\x00")
    (False, True, True)
    """
    return ("\x00" in text and not _few_html_nuls(text)) or control_share(text) > MAX_CONTROL_SHARE


def _few_html_nuls(text: str) -> bool:
    """HTML whose NUL characters are at most MAX_HTML_NUL_SHARE of it (and under 5% control characters)."""
    nuls = text.count("\x00")
    return (nuls <= MAX_HTML_NUL_SHARE * len(text) and sniff_kind(text) == "html"
            and control_share(text) <= MAX_CONTROL_SHARE)


def drop_html_nuls(path: str, text: str) -> tuple[str, list[str]]:
    r"""An HTML page with a few NUL characters (`MAX_HTML_NUL_SHARE`) without them, and a warning naming `path`,
    as an HTML parser reads it; any other text as it is (`check_text` refuses any NUL left).

    >>> page = "<html><body><p>Council meets" + " " * 2000 + "on Monday\x00.</p></body></html>"
    >>> text, said = drop_html_nuls("p.html", page)
    >>> "\x00" in text, said
    (False, ['p.html: 1 NUL character dropped (the first at character 2,037), as an HTML parser does'])
    """
    nul = text.find("\x00")
    if nul < 0 or not _few_html_nuls(text):
        return text, []
    n = text.count("\x00")
    return text.replace("\x00", ""), [f"{path}: {n:,} NUL character{'s' if n > 1 else ''} dropped (the first at "
                                       f"character {nul:,}), as an HTML parser does"]


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
