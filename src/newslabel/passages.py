"""Passages: raw documents -> pages of ordered passages, with the page's title, source and date.

Text dumps: one passage a non-blank line, keeping its 1-based line number.
HTML: a browser-like text dump. Block elements end the running line, inline elements join it,
so every heading, paragraph, list item, table cell and caption is a passage; each keeps its
tag, tag path, class/id tokens and link density as structural features.

>>> page = segment_text("d", "d.txt", "Logo\\n\\nBig news today\\nIt happened.")
>>> [(p.line, p.text) for p in page.passages]
[(1, 'Logo'), (3, 'Big news today'), (4, 'It happened.')]
>>> split_glued_byline("Independent21-06-2025")
('Independent', '2025-06-21')
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlparse

from lxml import etree
from lxml import html as lxml_html

from .ingest import RawDoc, limits
from .types import InputError, Page, Passage

# -- HTML structure ------------------------------------------------------------------------
BLOCK_TAGS = frozenset(
    "p div li h1 h2 h3 h4 h5 h6 td th tr table ul ol dl dt dd blockquote pre figure figcaption "
    "section article header footer nav aside main form address center details summary caption "
    "legend body html hr fieldset menu".split()
)
SKIP_TAGS = frozenset(
    "script style noscript template head title svg math iframe object embed canvas audio video "
    "select option textarea input img picture map button".split()
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"[\s\u00a0\u200b\u200c\u200d\ufeff]+")
_HAS_WORD = re.compile(r"\w")
_TOKEN = re.compile(r"[a-z]+")

# -- metadata patterns ---------------------------------------------------------------------
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


def normalise_space(text: str) -> str:
    return _WS.sub(" ", text).strip()


def segment(doc: RawDoc, max_chars: int | None = None) -> Page:
    """A raw document -> a Page; raises InputError for truncated or unusable HTML.

    Passages longer than `max_chars` (default: configs/ingest `max_passage_chars`) are split, see `split_long`.
    `page.extra["warnings"]` carries the document's warnings and any repair made here.
    """
    cap = max_chars or max_passage_chars()
    warnings = list(doc.warnings)
    if doc.kind == "html":
        page = segment_html(doc.doc_id, doc.source_path, doc.content, url=doc.url, max_chars=cap, warnings=warnings)
    else:
        page = segment_text(doc.doc_id, doc.source_path, doc.content, url=doc.url, max_chars=cap)
    if not page.passages:
        raise InputError(doc.source_path, f"page {doc.doc_id!r} has no text passages")
    page.extra["warnings"] = warnings
    return page


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
        ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() > cap // 2]
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


_SENTENCE_END = re.compile(r"[.!?\u2026\u3002][\"'\u201d\u2019)\]]* ")


def _capped(texts: list[str], cap: int) -> list[str]:
    return [piece for t in texts for piece in (split_long(t, cap) if len(t) > cap else [t])]


def segment_text(doc_id: str, source_path: str, text: str, url: str | None = None,
                 max_chars: int | None = None) -> Page:
    max_chars = max_chars or max_passage_chars()
    passages = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = normalise_space(raw)
        for piece in _capped([line], max_chars) if line else []:
            passages.append(Passage(doc_id, source_path, len(passages), n, piece))
    page = Page(doc_id, source_path, "text", passages, url=url, site=site_of(source_path, url))
    page.title, page.source, page.date = text_metadata([p.text for p in passages])
    return page


# -- HTML ------------------------------------------------------------------------------------
def parse_html(source_path: str, text: str, warnings: list[str] | None = None):
    """HTML -> an lxml root; InputError when the document is cut off (`check_html_end`) or cannot be parsed.

    `<noscript>` content is dropped before parsing, as a browser with scripting on reads it (raw text up to
    `</noscript>`), so a stray tag inside it cannot swallow the body. libxml2 drops, silently, everything nested
    deeper than 2,048 elements even with huge_tree: such a page is parsed again with its div tags turned into
    line breaks (a warning says so), and is an error if it is still too deep.
    """
    check_html_end(source_path, text)
    text = drop_noscript(text)
    root, too_deep = _parse(source_path, text)
    if too_deep:
        root, too_deep = _parse(source_path, _DIV_TAG.sub("<br>", text))
        if too_deep:
            raise InputError(source_path, f"HTML nests elements over {MAX_HTML_DEPTH:,} deep (the parser's limit)")
        if warnings is not None:
            warnings.append(f"{source_path}: HTML nests elements over {MAX_HTML_DEPTH:,} deep; parsed with its "
                            "<div> tags read as line breaks")
    return root


MAX_HTML_DEPTH = 2048  # libxml2's XML_PARSE_HUGE depth limit
_DIV_TAG = re.compile(r"</?div\b[^>]*>", re.I)


def _parse(source_path: str, text: str):
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = lxml_html.document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(source_path, f"cannot parse HTML ({exc})") from None
    return root, any("Excessive depth" in e.message for e in parser.error_log)


def drop_noscript(text: str) -> str:
    """Each `<noscript>...</noscript>` removed; an unclosed `<noscript>` tag removed alone (its content kept).

    >>> drop_noscript('<p>a</p><noscript><div>Enable JS</noscript><p>b</p><NOSCRIPT>c')
    '<p>a</p><p>b</p>c'
    """
    low = text.lower()
    if "<noscript" not in low:
        return text
    out, pos = [], 0
    while (start := low.find("<noscript", pos)) >= 0:
        out.append(text[pos:start])
        open_end = low.find(">", start)
        if open_end < 0:
            pos = len(text)
            break
        close = low.find("</noscript", open_end)
        close_end = low.find(">", close) if close >= 0 else -1
        pos = close_end + 1 if close_end >= 0 else open_end + 1
    out.append(text[pos:])
    return "".join(out)


def check_html_end(source_path: str, text: str) -> None:
    """InputError when an HTML document is cut off. The rule (HTML5 lets `</body>` and `</html>` be left out):
    a document with a `</body>` or `</html>` end tag is complete (whatever follows it is ignored, as browsers
    do). Otherwise, after trailing white space and complete comments it must not end (1) inside a comment
    (an `<!--` with no `-->` after it), (2) inside a tag (a `<` with no `>` after it), or (3) with text after
    its last tag; and (4) if it opens `<html>` or `<body>` it must close one of them, since a page cut right
    after a tag lacks both.

    >>> check_html_end("ok.html", "<html><body><p>Done.</p></body>")
    >>> check_html_end("ok.html", "<div><p>A fragment.</p></div>\\n<!-- cached -->\\n")
    >>> check_html_end("cut.html", "<html><body><p>Cut half way thr")
    Traceback (most recent call last):
    newslabel.types.InputError: cut.html: truncated HTML: ends in the middle of text ('<p>Cut half way thr')
    """
    if _CLOSE_DOC.search(text):
        return
    tail = text[-20000:].rstrip()
    while tail.endswith("-->") and (start := tail.rfind("<!--")) >= 0:
        tail = tail[:start].rstrip()
    lt, gt = tail.rfind("<"), tail.rfind(">")
    if tail.rfind("<!--") > tail.rfind("-->"):
        raise InputError(source_path, f"truncated HTML: ends inside a comment ({_end(tail, tail.rfind('<!--'))})")
    if lt > gt:
        raise InputError(source_path, f"truncated HTML: ends inside a tag ({_end(tail, lt)})")
    last_tag = _end(tail, tail.rfind("<", 0, gt))
    if tail[gt + 1 :].strip():
        raise InputError(source_path, f"truncated HTML: ends in the middle of text ({last_tag})")
    opened = _OPEN_DOC.search(text)
    if opened:
        raise InputError(source_path, f"truncated HTML: <{opened.group(1).lower()}> is never closed "
                                      f"(no </body> or </html>; it ends {last_tag})")


_OPEN_DOC = re.compile(r"<(html|body)[\s>]", re.I)
_CLOSE_DOC = re.compile(r"</(body|html)\s*>", re.I)


def _end(tail: str, start: int) -> str:
    """The document's last characters from `start`, at most 40, for an error message."""
    snippet = tail[max(start, 0) :]
    return repr(snippet if len(snippet) <= 40 else "…" + snippet[-39:])


def segment_html(doc_id: str, source_path: str, text: str, url: str | None = None, max_chars: int | None = None,
                 warnings: list[str] | None = None) -> Page:
    max_chars = max_chars or max_passage_chars()
    root = parse_html(source_path, text, warnings)
    walker = _PassageWalker(doc_id, source_path, max_chars)
    walker.run(root)
    meta = html_metadata(root)
    url = url or meta.pop("url", None)
    page = Page(doc_id, source_path, "html", walker.passages, url=url, site=site_of(source_path, url))
    title = meta.get("title") or text_metadata([p.text for p in walker.passages])[0]
    page.title = title[:max_chars] if title else None
    page.source, page.date = meta.get("source"), meta.get("date")
    return page


class BlockWalker:
    """Walks the DOM in document order and cuts a line of text at every block boundary.

    The walk is shared; what an element contributes and what a finished line becomes are not: `enter` gives the
    state an element's children and its own text carry (here: tag, tag path, class tokens), `emit` receives each
    line with the state of its first text and its link density. `skip_tags` and `normalise` say which elements
    are dropped with their text and how white space is folded (html_features' DOM dump uses the webextract
    README's choices).
    """

    skip_tags = SKIP_TAGS
    root_state: object = ("", (), ())

    def __init__(self):
        self.parts: list[tuple[str, bool]] = []  # (text, inside a link)
        self.context = None

    @staticmethod
    def normalise(text: str) -> str:
        return normalise_space(text)

    def enter(self, el, tag: str, state):
        path = state[1] + (tag,)
        tokens = _TOKEN.findall(f"{el.get('class', '')} {el.get('id', '')}".lower())
        return tag, path, (state[2] + tuple(tokens))[-12:]

    def emit(self, text: str, context, link_density: float) -> None:
        raise NotImplementedError

    def run(self, root) -> None:
        body = root.find("body")
        self.walk(body if body is not None else root, self.root_state)
        self.flush()

    def add(self, text: str | None, ctx, in_link: bool) -> None:
        if text and text.strip():
            if not self.parts:
                self.context = ctx
            self.parts.append((text, in_link))
        elif text and self.parts:
            self.parts.append((" ", in_link))

    def flush(self) -> None:
        text = self.normalise("".join(t for t, _ in self.parts))
        if text and _HAS_WORD.search(text):
            linked = sum(len(self.normalise(t)) for t, in_link in self.parts if in_link)
            self.emit(text, self.context, min(1.0, linked / len(text)))
        self.parts, self.context = [], None

    def walk(self, el, state, in_link: bool = False) -> None:
        """Document order without recursion (a page may nest thousands of elements): a stack of elements to
        enter, tails to add after a child's subtree, and block ends to flush."""
        stack: list[tuple] = [(_ENTER, el, state, in_link)]
        while stack:
            op, node, state, in_link = stack.pop()
            if op is _TAIL:
                self.add(node, state, in_link)
            elif op is _END:
                self.flush()
            else:
                self._enter(node, state, in_link, stack)

    def _enter(self, el, state, in_link: bool, stack: list) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag or tag in self.skip_tags or _hidden(el):
            return
        state = self.enter(el, tag, state)
        in_link = in_link or tag == "a"
        block = tag in BLOCK_TAGS
        if block or tag == "br":
            self.flush()
        if tag == "pre":
            for line in (el.text_content() or "").splitlines():
                self.add(line, state, in_link)
                self.flush()
            return
        self.add(el.text, state, in_link)
        if block:
            stack.append((_END, None, None, None))
        for child in reversed(el):
            stack.append((_TAIL, child.tail, state, in_link))
            stack.append((_ENTER, child, state, in_link))


_ENTER, _TAIL, _END = object(), object(), object()


class _PassageWalker(BlockWalker):
    """Each line a `Passage` with its tag, tag path and class/id tokens."""

    def __init__(self, doc_id: str, source_path: str, max_chars: int):
        super().__init__()
        self.doc_id, self.source_path, self.max_chars = doc_id, source_path, max_chars
        self.passages: list[Passage] = []

    def emit(self, text: str, context, link_density: float) -> None:
        tag, path, classes = context
        for piece in _capped([text], self.max_chars):
            self.passages.append(
                Passage(self.doc_id, self.source_path, len(self.passages), None, piece, tag=tag,
                        tag_path=">".join(path[-6:]), class_tokens=" ".join(classes),
                        link_density=round(link_density, 4))
            )


def _hidden(el) -> bool:
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style", "")))


def html_metadata(root) -> dict:
    def meta(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name", "itemprop"):
                found = root.xpath(f'//meta[@{attr}="{name}"]/@content')
                if found and found[0].strip():
                    return normalise_space(found[0])
        return None

    h1 = root.xpath("//h1")
    title_el = root.find(".//title")
    title = meta("og:title", "twitter:title") or (normalise_space(h1[0].text_content()) if h1 else None)
    title = title or (normalise_space(title_el.text_content()) if title_el is not None else None)
    times = root.xpath("//time/@datetime")
    raw_date = meta("article:published_time", "datePublished", "pubdate", "date", "dc.date") or (times[0] if times else None)
    canonical = root.xpath('//link[@rel="canonical"]/@href')
    return {
        "title": title or None,
        "source": meta("og:site_name", "application-name", "publisher"),
        "date": parse_date(raw_date) if raw_date else None,
        "url": meta("og:url") or (canonical[0] if canonical else None),
    }


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


__all__ = ["segment", "segment_text", "segment_html", "text_metadata", "parse_date", "site_of"]
