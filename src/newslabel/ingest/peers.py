"""Peer extractors for the webextract benchmark and the passage-level scoring rule.

This is the only module that imports trafilatura, readability-lxml and jusText (the ``peers`` extra).

- `tokens`: the webextract README's tokens: Unicode NFKC + casefold, a token is a run of letters and
  digits, except that each CJK ideograph or kana character is a token of its own; punctuation is ignored.
- `passage_coverage` / `score_passages`: all passages of a page are concatenated in order and aligned
  against the tokens of a reference text (the ground truth, or a tool's output) with an order-preserving
  alignment (`difflib.SequenceMatcher`, autojunk off). A passage's coverage is the share of its tokens
  that the alignment matches; it is predicted body when the coverage is at least 0.5.
- `EXTRACTORS`: each peer as a function decoded HTML string -> output text ("" when the tool finds nothing).
- `heuristic`: the README's length/punctuation rule (at least 5 tokens and a sentence mark).
- `trafilatura_coverage`: trafilatura's own decision per passage, as a feature for the role model.

>>> tokens("Hello, World! 3.5 km · 東京です")
['hello', 'world', '3', '5', 'km', '東', '京', 'で', 'す']
>>> score_passages(["Home", "News", "The council met on Monday.", "It approved the plan.", "Share this"],
...                "The council met on Monday. It approved the plan.")
[False, False, True, True, False]
>>> heuristic(["Home", "The council met on Monday."])
[False, True]
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from difflib import SequenceMatcher
from functools import lru_cache

THRESHOLD = 0.5  # a passage is body when at least this share of its tokens is matched
HEURISTIC_MIN_TOKENS = 5  # picked on the dev split by the README (from 3 ... 40)
HEURISTIC_MARKS = ".!?。！？"  # the README's heuristic: a passage with one of these is body


# CJK ideographs (unified, extensions A-F, compatibility) and kana (hiragana, katakana and their
# extensions; NFKC has already turned half-width katakana into full-width).
_CJK = (
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U0001b000-\U0001b16f\U00020000-\U0002fa1f\U00030000-\U0003134f"
)
_TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[^\W_])+")


def tokens(text: str) -> list[str]:
    """NFKC + casefold, then runs of letters/digits, each CJK ideograph or kana its own token."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def passage_coverage(passage_texts: list[str], reference_text: str) -> list[float]:
    """For each passage, the share of its tokens matched by the page-level order-preserving alignment.

    A passage without tokens has coverage 0.0.

    >>> passage_coverage(["a b", "c d", "x"], "a c d")
    [0.5, 1.0, 0.0]
    """
    return _coverage([tokens(t) for t in passage_texts], reference_text)


def _coverage(per: list[list[str]], reference_text: str) -> list[float]:
    """`passage_coverage` of passages already tokenised (`per`: one token list a passage)."""
    page = [tok for toks in per for tok in toks]
    ref = tokens(reference_text or "")
    matched = [False] * len(page)
    if page and ref:
        for block in SequenceMatcher(None, page, ref, autojunk=False).get_matching_blocks():
            for k in range(block.a, block.a + block.size):
                matched[k] = True
    out, start = [], 0
    for toks in per:
        n = len(toks)
        out.append(sum(matched[start:start + n]) / n if n else 0.0)
        start += n
    return out


def score_passages(passage_texts: list[str], extracted_text: str, threshold: float = THRESHOLD) -> list[bool]:
    """Predicted body per passage: coverage by the extracted text's tokens >= threshold (README rule)."""
    return [c >= threshold for c in passage_coverage(passage_texts, extracted_text)]


def heuristic(passage_texts: list[str], min_tokens: int = HEURISTIC_MIN_TOKENS) -> list[bool]:
    """Body when the passage has at least `min_tokens` tokens and contains one of . ! ? 。 ！ ？."""
    return [len(tokens(t)) >= min_tokens and any(m in t for m in HEURISTIC_MARKS) for t in passage_texts]


# -- the peers: decoded HTML -> text ----------------------------------------------------------
def trafilatura_text(html: str, *, favor_precision: bool = True, favor_recall: bool = False,
                     include_comments: bool = False) -> str:
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # "discarding data: None" on every empty page
    out = trafilatura.extract(html, include_comments=include_comments, favor_precision=favor_precision,
                              favor_recall=favor_recall)
    return out or ""


def trafilatura_metadata(html: str, url: str | None = None) -> dict:
    """trafilatura's `extract_metadata` (its defaults: htmldate in extensive mode) as newslabel's fields: title,
    date, author (its `;`-joined names as a list), site_name, url; the metadata benchmark's peer."""
    from trafilatura.metadata import extract_metadata

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    doc = extract_metadata(html, default_url=url)
    return {"title": doc.title, "date": doc.date, "author": [a.strip() for a in (doc.author or "").split(";") if a.strip()],
            "site_name": doc.sitename, "url": doc.url}


def reset_caches() -> None:
    """Empty trafilatura's (and htmldate's) LRU caches, so that a timed pass over pages starts as cold as the first."""
    from trafilatura.meta import reset_caches as reset

    reset()


def readability_text(html: str) -> str:
    """readability-lxml's `Document(html).summary()`, as text (block elements on their own lines)."""
    from lxml import html as lxml_html
    from readability import Document

    logging.getLogger("readability").setLevel(logging.ERROR)
    try:
        doc = Document(html)
        summary = doc.summary()
        if not lxml_html.fromstring(summary).text_content().strip():
            # readability-lxml 0.9 can lose the article when it wraps it in <html><body> (one webextract
            # page); the same article without the wrapper is what the tool found.
            summary = doc.summary(html_partial=True)
    except Exception:  # readability raises on pages it cannot parse: that page gets no text
        return ""
    if not summary.strip():
        return ""
    root = lxml_html.fromstring(summary)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    return root.text_content()


_BLOCKS = frozenset("p div li h1 h2 h3 h4 h5 h6 td th tr blockquote pre br figcaption dt dd".split())


# 22 major languages for jusText's per-page stoplist (the README: the stoplist with the highest share
# of stopwords among the page's words; below 10%, or mostly CJK, the language-independent mode).
JUSTEXT_LANGUAGES = (
    "English", "German", "French", "Spanish", "Portuguese", "Italian", "Dutch", "Russian", "Polish", "Czech",
    "Swedish", "Turkish", "Indonesian", "Hungarian", "Romanian", "Greek", "Ukrainian", "Korean", "Vietnamese",
    "Arabic", "Hindi", "Persian",
)
STOPLIST_MIN_SHARE = 0.10


@lru_cache(maxsize=1)
def _utf8_parser():
    from lxml import html as lxml_html

    return lxml_html.HTMLParser(encoding="utf-8")


@lru_cache(maxsize=1)
def _stoplists() -> dict[str, frozenset[str]]:
    import justext

    available = set(justext.get_stoplists())
    return {lang: frozenset(w.casefold() for w in justext.get_stoplist(lang))
            for lang in JUSTEXT_LANGUAGES if lang in available}


def pick_stoplist(html: str) -> str | None:
    """The stoplist language whose stopwords make up the largest share of the page's words, or None."""
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(html.encode("utf-8"), parser=_utf8_parser())
        for bad in root.xpath("//script|//style|//noscript"):
            bad.drop_tree()
        words = tokens(root.text_content())
    except Exception:
        return None
    if not words:
        return None
    cjk = sum(1 for w in words if len(w) == 1 and re.fullmatch(f"[{_CJK}]", w))
    if cjk > len(words) / 2:
        return None
    best, share = None, 0.0
    for lang, stop in _stoplists().items():
        s = sum(w in stop for w in words) / len(words)
        if s > share:
            best, share = lang, s
    return best if share >= STOPLIST_MIN_SHARE else None


def justext_text(html: str) -> str:
    """jusText's non-boilerplate paragraphs, joined; stoplist picked per page (see `pick_stoplist`)."""
    import justext

    lang = pick_stoplist(html)
    try:
        if lang is None:
            paras = justext.justext(html.encode("utf-8"), frozenset(), stopwords_low=0, stopwords_high=0,
                                    encoding="utf-8")
        else:
            paras = justext.justext(html.encode("utf-8"), justext.get_stoplist(lang), encoding="utf-8")
    except Exception:  # jusText raises on some malformed pages: no text
        return ""
    return "\n".join(p.text for p in paras if not p.is_boilerplate)


EXTRACTORS: dict[str, Callable[[str], str]] = {
    "trafilatura": trafilatura_text,
    "readability": readability_text,
    "justext": justext_text,
}


TRAFILATURA_MODES = {"precision": {"favor_precision": True}, "default": {"favor_precision": False},
                     "recall": {"favor_precision": False, "favor_recall": True}}


def trafilatura_coverage(passage_texts: list[str], html: str,
                         modes: tuple[str, ...] = tuple(TRAFILATURA_MODES)) -> dict[str, list[float]]:
    """trafilatura's own decisions as features: the coverage of each passage by its output in each of `modes`
    (`TRAFILATURA_MODES`; each is a full extraction)."""
    outputs = {mode: trafilatura_text(html, **TRAFILATURA_MODES[mode]) for mode in modes}
    per = [tokens(t) for t in passage_texts]
    # The modes often agree (default and recall on 57 of 60 webextract pages): align each distinct output once.
    aligned = {text: _coverage(per, text) for text in dict.fromkeys(outputs.values())}
    return {mode: list(aligned[text]) for mode, text in outputs.items()}


def versions() -> dict[str, str]:
    """Installed versions of the peer tools ("missing" where one is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("trafilatura", "readability-lxml", "justext", "lxml"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out
