"""Page metadata from text dumps: the title, the byline's source and date, and the site.

>>> split_glued_byline("Independent21-06-2025")
('Independent', '2025-06-21')
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlparse

from newslabel.ingest.authors import clean_authors
from newslabel.ingest.text import normalise_space

TITLE_SEARCH_WINDOW = 20  # passages from the top of the page searched for the title
_GLUED_BYLINE = re.compile(r"^(?P<source>[^\d|]*?[A-Za-z.)\]])\s*(?P<date>\d{1,2}[-/.]\d{1,2}[-/.]\d{4})$")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")
_NUM_DATE = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_MON = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MON}\s+(\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MON}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_PIPE_BYLINE = re.compile(r"^by\s+[^|]+\|\s*(?P<source>[^|]+?)\s*\|", re.I)
MAX_BYLINE_WORDS = 16


# Author and credit lines ("By Ada Quill, Staff Writer", "Source: Norvale plc"): never the title.
AUTHOR_LINE = re.compile(r"^\s*(by|words by|reporting by|written by|source:)\s+\S", re.I)


# -- text metadata -------------------------------------------------------------------------
def text_metadata(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """(title, source, date) from a page's passage texts, by a cascade of cues.

    Title: 1. a line repeated near the top (aggregators print it twice); 2. the line just
    before the first byline, stepping back over author lines; 3. the first headline-shaped line.

    >>> text_metadata(["Menu", "Seawall repairs approved after storms", "By Ada Quill, Staff Writer",
    ...                "Published Nov. 4, 2025", "The council voted on Monday."])
    ('Seawall repairs approved after storms', None, '2025-11-04')
    """
    head = lines[:TITLE_SEARCH_WINDOW]
    source, when, byline_at = None, None, None
    for i, line in enumerate(head):
        s, d = parse_byline(line)
        if d or s:
            source, when, byline_at = s, d, i
            break
    title = next((x for i, x in enumerate(head) if _headline_like(x) and x in head[i + 1 :]), None)
    if title is None and byline_at:
        before = byline_at - 1
        while before > 0 and AUTHOR_LINE.match(head[before]):
            before -= 1
        title = head[before] if _headline_like(head[before]) else None
    if title is None:
        title = next((x for x in head if _headline_like(x) and len(x.split()) >= 5), None)
    return title, source, when


def text_authors(lines: list[str], window: int = TITLE_SEARCH_WINDOW, max_words: int = MAX_BYLINE_WORDS) -> list[str]:
    """The names of the first author line ("By ...", "Written by ...") in the first `window` lines, a line of at most
    `max_words` words that is not a "Source:" credit; [] without one.

    >>> text_authors(["Menu", "Seawall repairs approved", "By Ada Quill and Bo Lark | Norvale Post | 4 Nov 2025"])
    ['Ada Quill', 'Bo Lark']
    """
    for line in lines[:window]:
        if AUTHOR_LINE.match(line) and not line.lower().startswith("source:") and len(line.split()) <= max_words:
            names = clean_authors([line])
            if names:
                return names
    return []


def _headline_like(line: str) -> bool:
    words = line.split()
    return (4 <= len(words) <= 30 and not line.endswith((".", ":")) and not line.isupper()
            and not AUTHOR_LINE.match(line))


def parse_byline(line: str) -> tuple[str | None, str | None]:
    """(source, iso date) from a short byline/date line; (None, None) when it is not one."""
    if len(line.split()) > MAX_BYLINE_WORDS:
        return None, None
    glued = split_glued_byline(line)
    if glued:
        return glued
    when = parse_date(line)
    piped = _PIPE_BYLINE.match(line)
    source = normalise_space(piped.group("source")) if piped else None
    return source, when


def split_glued_byline(line: str) -> tuple[str, str] | None:
    """'Independent21-06-2025' -> ('Independent', '2025-06-21'); None if not that shape."""
    m = _GLUED_BYLINE.match(line.strip())
    if not m:
        return None
    when = parse_date(m.group("date"))
    return (m.group("source").strip(), when) if when else None


def parse_date(text: str) -> str | None:
    """The first date in `text` as yyyy-mm-dd; numeric dates are read day first unless impossible."""
    for pattern, order in ((_ISO_DATE, "ymd"), (_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy"), (_NUM_DATE, "dmy")):
        m = pattern.search(text)
        if not m:
            continue
        parts = dict(zip(order, m.groups()))
        month = parts["m"]
        month = _MONTHS.index(month[:3].lower()) + 1 if month.isalpha() or month[:3].isalpha() else int(month)
        day, year = int(parts["d"]), int(parts["y"])
        if pattern is _NUM_DATE and month > 12 and day <= 12:
            day, month = month, day
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            continue
    return None


def site_of(source_path: str, url: str | None) -> str:
    """The site a page belongs to: the URL's host without www./m./amp., else the file's folder."""
    if url:
        host = urlparse(url).netloc.lower()
        for prefix in ("www.", "m.", "amp."):
            host = host.removeprefix(prefix)
        if host:
            return host
    parts = source_path.replace("\\", "/").rstrip("/").split("/")
    return parts[-2] if len(parts) > 1 else "."
