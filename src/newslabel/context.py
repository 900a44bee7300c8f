"""Page context shared by the labelling rules and the role model's features.

A passage's role depends on its page: where it sits, what came before (a "Related Articles"
header switches everything after it), whether it repeats the title, and how many pages of the
same site carry the very same line (templates: menus, footers, promos).

>>> stats = TemplateStats.from_pages([["Home", "A"], ["Home", "B"], ["Home", "C"]], ["s", "s", "s"])
>>> stats.share("s", "Home"), stats.share("s", "A")
(1.0, 0.3333333333333333)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

MIN_SITE_PAGES = 3  # below this many pages of a site, template shares are unknown (None)
_NORM = re.compile(r"\W+")


def norm_line(text: str) -> str:
    """Case- and punctuation-insensitive form of a line, for repeats and templates."""
    return _NORM.sub(" ", text.lower()).strip()


@dataclass
class TemplateStats:
    """For each site, how many of its pages carry each (normalised) line."""

    pages_per_site: Counter = field(default_factory=Counter)
    line_counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    @classmethod
    def from_pages(cls, pages_texts: list[list[str]], sites: list[str]) -> TemplateStats:
        stats = cls()
        for texts, site in zip(pages_texts, sites):
            stats.pages_per_site[site] += 1
            stats.line_counts[site].update({norm_line(t) for t in texts})
        return stats

    def share(self, site: str, text: str) -> float | None:
        """Share of the site's pages that carry this line; None when the site has too few pages."""
        n = self.pages_per_site.get(site, 0)
        if n < MIN_SITE_PAGES:
            return None
        return self.line_counts[site][norm_line(text)] / n


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


def page_context(records: list[dict], stats: TemplateStats | None) -> PageContext:
    """A page's passages (dicts with text, title, site, and optional HTML fields) -> its context."""
    texts = [r["text"] for r in records]
    site = records[0].get("site") or ""
    shares = [stats.share(site, t) if stats else None for t in texts]
    return PageContext(
        texts=texts,
        title=records[0].get("title"),
        site=site,
        template_share=shares,
        tags=[r.get("tag") or "" for r in records],
        link_density=[float(r.get("link_density") or 0.0) for r in records],
        class_tokens=[r.get("class_tokens") or "" for r in records],
    )
