"""Page context shared by the labelling rules and the role model's features.

A passage's role depends on its page: where it sits, what came before (a "Related Articles"
header switches everything after it), whether it repeats the title, and how many pages of the
same site carry the very same line (templates: menus, footers, promos).

Template statistics are learned from the training pages (`newslabel.models.role_context.RoleContext.fit`), never from the batch
being labelled: a page is labelled the same alone or among others. A page that is not among the pages the
statistics were counted on is added to them (``own_page=True``), so its own lines count once, as a training
page's do.

>>> stats = TemplateStats.from_pages([["Home", "A"], ["Home", "B"], ["Home", "C"]], ["s", "s", "s"])
>>> stats.share("s", "Home"), stats.share("s", "A")
(1.0, 0.3333333333333333)
>>> stats.share("s", "Home", own_page=True), stats.share("s", "D", own_page=True), stats.share("t", "Home")
(1.0, 0.25, None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

MIN_SITE_PAGES = 3  # below this many pages of a site, template shares are unknown (None)
_NORM = re.compile(r"\W+")


def norm_line(text: str) -> str:
    """Case- and punctuation-insensitive form of a line, for repeats and templates."""
    return _NORM.sub(" ", text.lower()).strip()


@dataclass
class TemplateStats:
    """For each site, how many of its pages carry each (normalised) line; plain dicts, so a fitted model
    that holds them needs no pickle."""

    pages_per_site: dict[str, int] = field(default_factory=dict)
    line_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_pages(cls, pages_texts: list[list[str]], sites: list[str]) -> TemplateStats:
        stats = cls()
        for texts, site in zip(pages_texts, sites):
            stats.pages_per_site[site] = stats.pages_per_site.get(site, 0) + 1
            lines = stats.line_counts.setdefault(site, {})
            for key in {norm_line(t) for t in texts}:
                lines[key] = lines.get(key, 0) + 1
        return stats

    def share(self, site: str, text: str, own_page: bool = False) -> float | None:
        """Share of the site's pages that carry this line; None when the site has too few pages.

        own_page: the line's page is not among the counted pages; count it (it carries the line).
        """
        n = self.pages_per_site.get(site, 0) + own_page
        if n < MIN_SITE_PAGES:
            return None
        return (self.line_counts.get(site, {}).get(norm_line(text), 0) + own_page) / n


@dataclass
class PageContext:
    texts: list[str]
    title: str | None
    site: str
    template_share: list[float | None]
    tags: list[str]
    link_density: list[float]
    class_tokens: list[str]

    @property
    def n(self) -> int:
        return len(self.texts)

    def title_positions(self) -> list[int]:
        key = norm_line(self.title or "")
        return [i for i, t in enumerate(self.texts) if key and norm_line(t) == key]


def page_context(records: list[dict], stats: TemplateStats | None, own_page: bool = False) -> PageContext:
    """A page's passages (dicts with text, title, site, and optional HTML fields) -> its context.

    own_page: the page is not among the pages `stats` counted (see `TemplateStats.share`).
    """
    texts = [r["text"] for r in records]
    site = records[0].get("site") or ""
    shares = [stats.share(site, t, own_page) if stats else None for t in texts]
    return PageContext(
        texts=texts,
        title=records[0].get("title"),
        site=site,
        template_share=shares,
        tags=[r.get("tag") or "" for r in records],
        link_density=[float(r.get("link_density") or 0.0) for r in records],
        class_tokens=[r.get("class_tokens") or "" for r in records],
    )


def window_mean(values, half: int) -> np.ndarray:
    """Each value's mean with its `half` neighbours on each side of one page's sequence, the window cut at the
    page's ends.

    >>> window_mean([1.0, 0.0, 0.0, 1.0], half=1).round(3).tolist()
    [0.5, 0.333, 0.333, 0.5]
    """
    values = np.asarray(values, dtype=float)
    if not len(values):
        return values
    kernel = np.ones(2 * half + 1)
    window = slice(half, half + len(values))  # numpy's "same" returns the kernel's length for shorter inputs
    return np.convolve(values, kernel, "full")[window] / np.convolve(np.ones(len(values)), kernel, "full")[window]


def page_slices(doc_ids) -> list[slice]:
    """Rows in passage order -> one slice a page (a run of equal doc_id), as every page-level feature reads them.

    >>> page_slices(["a", "a", "b", "a"])
    [slice(0, 2, None), slice(2, 3, None), slice(3, 4, None)]
    """
    cuts = [0] + [i for i in range(1, len(doc_ids)) if doc_ids[i] != doc_ids[i - 1]] + [len(doc_ids)]
    return [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
