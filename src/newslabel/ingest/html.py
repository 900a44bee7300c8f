"""HTML -> passages: parse (lxml, huge-tree safe), check the document is complete, drop hidden elements, and cut
a line of text at every block boundary (`BlockWalker`), keeping tag, tag path, class tokens and link density."""

from __future__ import annotations

import html as html_lib
import re

from lxml import etree
from lxml import html as lxml_html

from newslabel.errors import InputError
from newslabel.ingest.metadata import site_of, text_metadata
from newslabel.ingest.page_meta import html_page_metadata
from newslabel.ingest.text import _HAS_WORD, _TOKEN, ENDS_WITH_MARK, _capped, max_passage_chars, normalise_space
from newslabel.types import Page, Passage

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


# -- HTML ------------------------------------------------------------------------------------
def parse_html(source_path: str, text: str, warnings: list[str] | None = None):
    """HTML -> an lxml root; InputError when the document is cut off (`check_html_end`) or cannot be parsed.

    `<noscript>` content is dropped before parsing, as a browser with scripting on reads it (raw text up to
    `</noscript>`), so a stray tag inside it cannot swallow the body. libxml2 drops, silently, everything nested
    deeper than 2,048 elements even with huge_tree: such a page is parsed again with its div tags turned into
    line breaks (a warning says so), and is an error if it is still too deep.
    """
    check_html_end(source_path, text, warnings)
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


def check_html_end(source_path: str, text: str, warnings: list[str] | None = None) -> None:
    """InputError when an HTML document is cut off. The rule (HTML5 lets `</body>` and `</html>` be left out):
    a document with a `</body>` or `</html>` end tag is complete (whatever follows it is ignored, as browsers
    do). Otherwise, after trailing white space and complete comments it must not end (1) inside a comment
    (an `<!--` with no `-->` after it), (2) inside a tag (a `<` with no `>` after it), or (3) with text after
    its last tag that stops short of a sentence's end. (4) A page that opens `<html>` or `<body>` and closes
    neither, or ends in a whole sentence after its last tag, may be cut there, but many real pages simply
    leave both end tags out (12 of extraction-merged's 1,525; 2 of them end in text, "... main page."): it is
    read as it is, with a warning. Trailing white space includes `&nbsp;`.

    >>> check_html_end("ok.html", "<html><body><p>Done.</p></body>")
    >>> check_html_end("ok.html", "<div><p>A fragment.</p></div>\\n<!-- cached -->\\n")
    >>> check_html_end("cut.html", "<html><body><p>Cut half way thr")
    Traceback (most recent call last):
    newslabel.errors.InputError: cut.html: truncated HTML: ends in the middle of text ('<p>Cut half way thr')
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
    trailing = html_lib.unescape(tail[gt + 1 :]).strip()  # "&nbsp;" is white space too
    if trailing and not ENDS_WITH_MARK.search(trailing):
        raise InputError(source_path, f"truncated HTML: ends in the middle of text ({last_tag})")
    opened = _OPEN_DOC.search(text)
    if warnings is None or not (opened or trailing):
        return
    what = f"<{opened.group(1).lower()}> is never closed" if opened else "the page ends in text after its last tag"
    warnings.append(f"{source_path}: {what} (no </body> or </html>; it ends {last_tag}): read as it is, it may be "
                    "cut off")


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
    passages = html_passages(root, doc_id, source_path, max_chars)
    texts = [p.text for p in passages]
    meta = html_page_metadata(root, url, texts)  # the same tree: metadata never parses the page again
    page = Page(doc_id, source_path, "html", passages, url=meta["url"] or url,
                site=site_of(source_path, url or meta["site_url"]), date=meta["date"], author=meta["author"],
                site_name=meta["site_name"], language=meta["language"])
    title = meta["page_title"] or text_metadata(texts)[0]
    page.title = title[:max_chars] if title else None  # what the models were trained to read: the title as found
    page.source = page.site_name
    page.extra["headline"] = meta["title"][:max_chars] if meta["title"] else page.title  # the output's title
    page.extra["meta_sources"] = meta["sources"] | ({"title": "text"} if title and not meta["title"] else {})
    return page


def html_passages(root, doc_id: str, source_path: str, max_chars: int) -> list[Passage]:
    """A parsed page's passages in document order (`_PassageWalker`)."""
    walker = _PassageWalker(doc_id, source_path, max_chars)
    walker.run(root)
    return walker.passages


HEAD_TAGS = frozenset("title meta link style script base noscript template".split())  # HTML5: what <head> holds


def content_roots(root) -> list:
    """Where a page's text is: its <body>; without one, whatever libxml2 left in <head> from the first element
    that does not belong there on (HTML5 closes the head there and reads the rest as body), then the root.

    >>> root = lxml_html.document_fromstring("<html><head><title>T</title><mbox><p>Story text</p></mbox>")
    >>> [el.tag for el in content_roots(root)]
    ['mbox', 'html']
    """
    body = root.find("body")
    if body is not None:
        return [body]
    head = root.find("head")
    stray = [] if head is None else [el for el in head if isinstance(el.tag, str)]
    first = next((i for i, el in enumerate(stray) if el.tag not in HEAD_TAGS), len(stray))
    return [el for el in stray[first:] if el.tag not in SKIP_TAGS] + [root]


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
        for part in content_roots(root):
            self.walk(part, self.root_state)
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


class _PassageWalker(BlockWalker):
    """Each line a `Passage` with its tag, tag path, class/id tokens, depth and block ancestors.

    Every element gets an id in document order; a passage's `blocks` are the ids of the block elements from the
    content root down to the innermost one holding its first text, so that page-level code can sum the words of
    any ancestor block (`models.block_features`) without walking the tree again.
    """

    root_state = ("", (), (), ())

    def __init__(self, doc_id: str, source_path: str, max_chars: int):
        super().__init__()
        self.doc_id, self.source_path, self.max_chars = doc_id, source_path, max_chars
        self.passages: list[Passage] = []
        self.elements = 0

    def enter(self, el, tag: str, state):
        self.elements += 1
        blocks = state[3] + (self.elements,) if tag in BLOCK_TAGS else state[3]
        return (*super().enter(el, tag, state), blocks)

    def emit(self, text: str, context, link_density: float) -> None:
        tag, path, classes, blocks = context
        for piece in _capped([text], self.max_chars):
            self.passages.append(
                Passage(self.doc_id, self.source_path, len(self.passages), None, piece, tag=tag,
                        tag_path=">".join(path[-6:]), class_tokens=" ".join(classes),
                        link_density=round(link_density, 4), depth=len(path),
                        blocks=" ".join(map(str, blocks)))
            )


def _hidden(el) -> bool:
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style", "")))


_ENTER, _TAIL, _END = object(), object(), object()
