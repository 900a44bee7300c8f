"""`RoleContext`: a passage in its page (position, neighbours, section switches, title similarity, template
share and the labelling rules' votes), with template statistics learned in `fit`, never from the batch."""

from __future__ import annotations

import math
import operator
from collections import Counter
from itertools import accumulate

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from newslabel import hashing
from newslabel.ingest.text import ENDS_SENTENCE
from newslabel.labels.context import TemplateStats, norm_line, page_context, page_slices, window_mean
from newslabel.labels.rules import RULES, RuleModel, apply_rules, is_prose, page_cues
from newslabel.labels.schema import ROLE
from newslabel.models.compact_state import CompactCounts
from newslabel.models.inputs import records
from newslabel.models.text import _tokens
from newslabel.models.vocab import CORE_HINTS, CORE_TAGS

WINDOW = 3  # passages each side for the local prose density


class RoleContext(CompactCounts, BaseEstimator, TransformerMixin):
    """Dense page-context features, one row a passage; rows of a page must be contiguous and ordered.

    Site template statistics (how many pages of a site carry each line) are learned in `fit` from the
    training pages and kept on the transformer (``site_pages_``, ``site_lines_``); `transform` reads them
    and the page's own lines only, so a page gets the same features alone or in any batch.

    `template_dropout` hides the template-share feature on that share of training pages (chosen
    by hash), so the model also learns to do without it: a single page from an unseen site has
    no template statistics.

    `comments` adds a last column: is the passage in the readers' comments (`rules.comment_section`)?
    """

    _COUNT_TABLES = ("site_pages_", "site_lines_")  # saved as arrays (`compact_state`)

    def __init__(self, template_dropout: float = 0.5, use_html: bool = True, comments: bool = False):
        self.template_dropout = template_dropout
        self.use_html = use_html
        self.comments = comments

    def fit(self, X, y=None):
        self._learn(_pages(records(X)))
        return self

    def fit_transform(self, X, y=None, **fit_params):
        pages = _pages(records(X))
        self._learn(pages)
        return self._transform(pages, dropout=self.template_dropout, own_page=False)

    def transform(self, X):
        return self._transform(_pages(records(X)), dropout=0.0, own_page=True)

    def _learn(self, pages: list[list[dict]]) -> None:
        stats = TemplateStats.from_pages([[r["text"] for r in p] for p in pages], [p[0].get("site") or "" for p in pages])
        self.site_pages_, self.site_lines_ = stats.pages_per_site, stats.line_counts

    def _transform(self, pages: list[list[dict]], dropout: float, own_page: bool):
        stats = TemplateStats(self.site_pages_, self.site_lines_)
        rows = []
        for page in pages:
            drop = dropout > 0 and hashing.share(page[0]["doc_id"]) < dropout
            rows.extend(page_features(page, None if drop else stats, self.use_html, own_page, self.comments))
        return sparse.csr_matrix(np.asarray(rows, dtype=np.float64))


def _pages(records: list[dict]) -> list[list[dict]]:
    return [records[s] for s in page_slices([r["doc_id"] for r in records])]


def _main_block(prose: list[bool]) -> tuple[int, int]:
    """The longest run of prose passages, allowing single non-prose gaps: (start, end) inclusive."""
    best, start, gap = (0, -1), None, 0
    for i, p in enumerate(prose + [False, False]):
        if p:
            start = i if start is None else start
            gap = 0
            end = i
            if end - start > best[1] - best[0]:
                best = (start, end)
        elif start is not None:
            gap += 1
            if gap > 1:
                start, gap = None, 0
    return best


def page_features(page: list[dict], stats: TemplateStats | None, use_html: bool = True,
                  own_page: bool = False, comments: bool = False) -> list[list[float]]:
    ctx = page_context(page, stats, own_page)
    cues = page_cues(ctx)
    votes = apply_rules(ctx, cues)
    vote_model = RuleModel()
    combined = [vote_model.predict_one(v)[0] for v in votes]
    prose = [is_prose(t) for t in ctx.texts]
    prose_near = window_mean(prose, WINDOW).tolist()
    b0, b1 = _main_block(prose)
    keys = [norm_line(t) for t in ctx.texts]
    counts = Counter(keys)
    related_before = [False, *accumulate(cues.related, operator.or_)][:-1]  # any related header above
    title_tokens = _tokens(ctx.title or "")
    n = ctx.n
    rule_names = list(RULES)
    out = []
    for i, text in enumerate(ctx.texts):
        words = text.split()
        tt = _tokens(text)
        share = ctx.template_share[i]
        f = [
            i / max(1, n - 1), math.log1p(i), math.log1p(n - 1 - i), math.log1p(len(words)), math.log1p(len(text)),
            float(bool(ENDS_SENTENCE.search(text))), float(prose[i]), float(text.isupper()),
            sum(map(str.isdigit, text)) / len(text), sum(map(text.count, ",;:")) / max(1, len(words)),
            len(tt & title_tokens) / (len(tt | title_tokens) or 1), float(i in cues.title_at),
            float(cues.related[i]), float(related_before[i]),
            float(prose[i - 1]) if i > 0 else 0.0, float(prose[i + 1]) if i < n - 1 else 0.0,
            prose_near[i],
            float(b0 <= i <= b1), (i - b0) / n if i < b0 else 0.0, (i - b1) / n if i > b1 else 0.0,
            math.log1p(counts[keys[i]] - 1),
            share if share is not None else 0.0, float(share is None),
            float(i < (cues.title_at[0] if cues.title_at else cues.first_prose)),
        ]
        f += [float(name in votes[i]) for name in rule_names]
        f += [float(combined[i] == r) for r in ROLE.names]
        for j in (i - 1, i + 1):
            f += [float(0 <= j < n and combined[j] == r) for r in ROLE.names]
        if use_html:
            f.append(ctx.link_density[i])
            f += [float(ctx.tags[i] == t) for t in CORE_TAGS]
            cls = ctx.class_tokens[i]
            f += [float(h in cls) for h in CORE_HINTS]
        if comments:
            f.append(float(cues.comments[i]))
        out.append(f)
    return out
