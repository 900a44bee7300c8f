"""Shared types: a page, its passages, and the errors ingest reports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Passage:
    """One block of a page. `line` is the 1-based line of a text dump (None for HTML)."""

    doc_id: str
    source_path: str
    index: int
    line: int | None
    text: str
    # HTML structure; empty for text dumps.
    tag: str = ""
    tag_path: str = ""
    class_tokens: str = ""
    link_density: float = 0.0
    depth: int = 0  # elements above the passage's first text, from the content root
    blocks: str = ""  # ids (document order, space-separated) of the block elements from the root down to its own

    def to_dict(self) -> dict:
        return dict(self.__dict__)  # dataclasses.asdict's deep copy costs 6 ms a page; every field is a scalar


@dataclass
class Page:
    doc_id: str
    source_path: str
    kind: str  # "text" or "html"
    passages: list[Passage]
    title: str | None = None
    source: str | None = None
    date: str | None = None  # ISO 8601 yyyy-mm-dd
    url: str | None = None
    site: str | None = None  # groups pages for splits and template-frequency features
    author: list[str] = field(default_factory=list)  # the byline's names, in order
    site_name: str | None = None  # the publication's name (og:site_name, JSON-LD publisher; a dump's byline source)
    language: str | None = None  # BCP 47 primary tag from the page's text, e.g. "en"
    extra: dict = field(default_factory=dict)  # "meta_sources": which source gave each metadata field

    def records(self) -> list[dict]:
        """One flat dict a passage, with the page's metadata, as `python -m src.passages` writes them."""
        meta = {"title": self.title, "source": self.source, "date": self.date, "url": self.url, "site": self.site}
        return [{**p.to_dict(), **meta} for p in self.passages]


# A page's metadata as every output carries it: label_page's result and the --articles line (as keys), each
# passage row of the pyfunc (HTTP, Spark) as columns; `author` is a list of names (a Spark array<string>).
PAGE_FIELDS = ("title", "date", "author", "site_name", "url", "language")

# A labelled passage's fields, in output order: the JSONL of `newslabel label`, the pyfunc's columns (plus `error`).
PASSAGE_FIELDS = ("doc_id", "source_path", "index", "line", "text", "role", "role_score", "is_body", "topic",
                  "topic_score", "stance", "stance_score", "bias", "bias_score", "model_version")
