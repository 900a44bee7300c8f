r"""Text helpers shared by both segmenters: white space folding and the passage length cap.

>>> normalise_space("  Big\u00a0news \n today ")
'Big news today'
"""

from __future__ import annotations

import re

from newslabel.ingest.files import limits

_WS = re.compile(r"[\s\u00a0\u200b\u200c\u200d\ufeff]+")
# A sentence ends at one of SENTENCE_MARKS (full-width ones included), then any of CLOSERS (quotes, brackets).
SENTENCE_MARKS = ".!?\u2026\u3002\uff01\uff1f"
CLOSERS = "\"'\u201d\u2019\u00bb)\\]"
# Text that ends as a sentence may: its last character a mark or a closer (the labelling rules' prose test).
ENDS_SENTENCE = re.compile(f"[{SENTENCE_MARKS}{CLOSERS}]$")
# Text that ends a whole sentence: a mark, then only closers.
ENDS_WITH_MARK = re.compile(f"[{SENTENCE_MARKS}][{CLOSERS}]*$")
SENTENCE_BREAK = re.compile(f"[{SENTENCE_MARKS}][{CLOSERS}]* ")  # a sentence's end inside text, and the space
_HAS_WORD = re.compile(r"\w")
_TOKEN = re.compile(r"[a-z]+")


def normalise_space(text: str) -> str:
    return _WS.sub(" ", text).strip()


def max_passage_chars() -> int:
    return int(limits()["max_passage_chars"])


def split_long(text: str, cap: int) -> list[str]:
    """`text` in pieces of at most `cap` characters: cut after the last sentence end in the second half of each
    window, else at its last space, else hard at `cap` (a run of characters with no space).

    >>> split_long("One two. Three four five. Six.", 16)
    ['One two.', 'Three four five.', 'Six.']
    >>> split_long("abcdefghij", 4)
    ['abcd', 'efgh', 'ij']
    """
    pieces, start = [], 0
    while len(text) - start > cap:
        window = text[start : start + cap + 1]
        ends = [m.end() for m in SENTENCE_BREAK.finditer(window) if m.end() > cap // 2]
        cut = ends[-1] if ends else window.rfind(" ", cap // 2) + 1 or cap
        cut = min(cut, cap)
        piece = text[start : start + cut].strip()
        if piece:
            pieces.append(piece)
        start += cut
        while start < len(text) and text[start] == " ":
            start += 1
    rest = text[start:].strip()
    return pieces + ([rest] if rest else [])



def _capped(texts: list[str], cap: int) -> list[str]:
    return [piece for t in texts for piece in (split_long(t, cap) if len(t) > cap else [t])]
