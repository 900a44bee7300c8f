"""Passages: raw documents -> pages of ordered passages, with the page's title, source and date.

Text dumps: one passage a non-blank line, keeping its 1-based line number.
HTML: a browser-like text dump. Block elements end the running line, inline elements join it,
so every heading, paragraph, list item, table cell and caption is a passage; each keeps its
tag, tag path, class/id tokens and link density as structural features.

>>> page = segment_text("d", "d.txt", "Logo\\n\\nBig news today\\nIt happened.")
>>> [(p.line, p.text) for p in page.passages]
[(1, 'Logo'), (3, 'Big news today'), (4, 'It happened.')]
"""

from __future__ import annotations

from newslabel.errors import InputError
from newslabel.ingest.files import RawDoc
from newslabel.ingest.html import segment_html
from newslabel.ingest.language import page_language
from newslabel.ingest.metadata import site_of, text_authors, text_metadata
from newslabel.ingest.text import _capped, max_passage_chars, normalise_space
from newslabel.types import Page, Passage


def segment(doc: RawDoc, max_chars: int | None = None) -> Page:
    """A raw document -> a Page; raises InputError for truncated or unusable HTML.

    Passages longer than `max_chars` (default: configs/ingest `max_passage_chars`) are split, see `split_long`.
    `page.extra["warnings"]` carries the document's warnings and any repair made here, `page.extra["html"]` an
    HTML page's source.
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
    if doc.kind == "html":
        page.extra["html"] = doc.content  # the role model's DOM features read the page again
    return page


def segment_text(doc_id: str, source_path: str, text: str, url: str | None = None,
                 max_chars: int | None = None) -> Page:
    max_chars = max_chars or max_passage_chars()
    passages = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = normalise_space(raw)
        for piece in _capped([line], max_chars) if line else []:
            passages.append(Passage(doc_id, source_path, len(passages), n, piece))
    page = Page(doc_id, source_path, "text", passages, url=url, site=site_of(source_path, url))
    texts = [p.text for p in passages]
    page.title, page.source, page.date = text_metadata(texts)
    page.site_name, page.author, page.language = page.source, text_authors(texts), page_language(texts)[0]
    page.extra["meta_sources"] = {f: "text" for f in ("title", "date", "author", "site_name", "language")
                                  if getattr(page, f)}
    return page
