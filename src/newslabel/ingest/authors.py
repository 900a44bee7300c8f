"""Author names as a clean list: credit words ("By", "Written by"), handles, links and generic credits
("Staff", "Editorial Team") dropped, several names split apart, credentials kept with their name.

>>> clean_authors(["By Ada Quill and Bo Lark", "ada quill", "Staff", "https://example.org/ada"])
['Ada Quill', 'Bo Lark']
>>> clean_authors(["Dylan Bailey, MS, RD", "Written by: Cy Moss | Norvale Post", "By Di Vale, 14 March 2025"])
['Dylan Bailey, MS, RD', 'Cy Moss', 'Di Vale']
"""

from __future__ import annotations

import re

from newslabel.ingest.text import normalise_space

MAX_NAME_WORDS = 6  # a longer "name" is a sentence or a bio
MAX_NAME_CHARS = 80
_CREDIT = re.compile(r"^(?:(?:written|authored|posted|words|reporting|story|text|photos?|published)\s+by|by|"
                     r"author|authors|written|from)\b\s*[:\-–—]?\s*", re.I)
_SPLIT = re.compile(r"\s*(?:;|\||,|&|[·•]|\s[–—]\s|\band\b|\bund\b|\bet\b)\s*", re.I)
_CREDENTIAL = re.compile(r"^(?:[A-Z][A-Za-z]{0,4}\.?|[A-Z]{2,6}(?:-[A-Z]{1,4})?|Ph\.?D\.?|M\.?D\.?|Jr\.?|Sr\.?|"
                         r"I{1,3}|IV)$")
_GENERIC = frozenset(  # credits that name no person
    ("staff", "admin", "administrator", "editor", "editors", "editorial", "team", "newsroom", "desk", "reporter",
     "reporters", "contributor", "contributors", "guest", "anonymous", "unknown", "author", "writer", "webmaster",
     "staff writer", "staff reporter", "web desk", "news desk", "editorial team", "editorial staff",
     "editorial board", "the editors", "press release", "wire", "agencies", "guest author", "guest post"))
_NOT_AUTHOR = re.compile(r"^(?:reviewed|edited|fact[- ]checked|medically reviewed|updated|illustrated)\b", re.I)
_LINKISH = re.compile(r"https?://|www\.|@|\.(?:com|org|net)\b", re.I)  # a link, handle or address: not a byline
_NOT_NAME = re.compile(r"https?://|www\.|@|\.(?:com|org|net)\b|\d", re.I)  # a piece with digits is a date or time


def clean_authors(raw: list[str]) -> list[str]:
    """Names in order, each once (case-insensitive), from raw author strings; [] when none is a name."""
    out: list[str] = []
    seen: set[str] = set()
    for value in raw:
        for name in split_names(value):
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                out.append(name)
    return out


def split_names(value: str) -> list[str]:
    """One raw author string -> its names: credit words off, split at `,`, `;`, `|`, `&`, `and`; a piece that is
    a credential (MS, RD, PhD, Jr.) stays with the name before it; a piece after `|` that follows a name is the
    site's, dropped.

    >>> split_names("By ADA QUILL & Bo Lark | Staff Writer")
    ['Ada Quill', 'Bo Lark']
    """
    value = normalise_space(value)
    if _NOT_AUTHOR.match(value):
        return []
    value = _CREDIT.sub("", value).strip(" :-–—")
    if not value or _LINKISH.search(value.split("|")[0]):
        return []
    head = value.split("|")[0] if "|" in value else value
    pieces = [p.strip(" ,:;-–—") for p in _SPLIT.split(head)]
    names: list[str] = []
    for piece, sep in zip(pieces, [None, *_SPLIT.findall(head)]):
        if not piece:
            continue
        if names and _CREDENTIAL.match(piece) and sep and sep.strip() == ",":
            names[-1] = f"{names[-1]}, {piece}"
        else:
            names.append(piece)
    return [_cased(n) for n in names if _is_name(n)]


def last_first(value: str) -> str:
    """A citation's "Last, First" as "First Last"; any other value as it is.

    >>> last_first("Quill, Ada M."), last_first("Ada Quill")
    ('Ada M. Quill', 'Ada Quill')
    """
    parts = [p.strip() for p in value.split(",")]
    return f"{parts[1]} {parts[0]}" if len(parts) == 2 and all(parts) and len(value.split()) <= 4 else value


def _is_name(name: str) -> bool:
    words = name.split()
    return (0 < len(words) <= MAX_NAME_WORDS and len(name) <= MAX_NAME_CHARS and name.casefold() not in _GENERIC
            and not _NOT_NAME.search(name) and any(c.isalpha() for c in name))


def _cased(name: str) -> str:
    """An all-capitals name in title case (bylines are often set in capitals); any other name as written."""
    head = name.split(",")[0]
    if head.isupper() and len(head) > 3:
        return head.title() + name[len(head):]
    return name
