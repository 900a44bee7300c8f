"""DOM features of a passage in its page's HTML, and trafilatura's decision, for the role model.

`HtmlFeatures` reads each page's HTML (an ``html`` column, else the file at ``source_path``, plain or
gzipped), walks the DOM into a browser-like text dump (block elements end a line, inline elements join
it: the same dump the passages come from) and aligns the page's passages to those lines, so it works on
any passage list of the page (``passages.segment_html``'s, or a dataset's own). For each passage:

- where it sits in the DOM: depth, the tag that opened it, link density, and the class/id tokens of its
  ancestors (curated hints as flags, all tokens hashed);
- the main-content container: the deepest element holding more than half of the page's prose (lines with
  >= 10 tokens that end a sentence and are mostly not links), a readability-style best paragraph parent,
  and the prose share, prose density and link density of the passage's parent and grandparent;
- trafilatura's own decision (`peers.trafilatura_coverage`): the share of the passage matched by its
  output in precision, default and recall mode, and the same averaged over the neighbouring passages.

Rows of a page must be contiguous and in page order (as for `RoleContext`).

The role model uses it when the model config has ``html_features`` (``configs/model/role_html.yaml``), by
these lines in `models.build_pipeline`, after the context part (`benchmark` adds the part itself until then)::

    if task == "role" and cfg.get("html_features"):
        from newslabel.models.dom_features import html_part

        parts.append(html_part(cfg.html_features))

>>> paras = ["The council met on Monday and approved the harbour plan after a debate.",
...          "Work on the new harbour starts in the spring, officials said on Monday.",
...          "The plan was first put forward three years ago by local fishermen."]
>>> html = "<html><body><nav><a href='/'>Home</a></nav><article><h1>Rain</h1>" \\
...        + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>"
>>> X = pd.DataFrame({"doc_id": ["d"] * 5, "html": [html] * 5, "text": ["Home", "Rain", *paras]})
>>> F = HtmlFeatures(trafilatura=False, hashed_tokens=0).fit_transform(X).toarray()
>>> F.shape[0], [float(v) for v in F[:, FEATURE_NAMES.index("in_main")]]
(5, [0.0, 1.0, 1.0, 1.0, 1.0])
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.model_selection import PredefinedSplit, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler

from newslabel import hashing
from newslabel.labels.context import page_slices
from newslabel.models.compact_state import CompactCounts
from newslabel.models.dom import FEATURE_NAMES, TRAFILATURA_MODES, _read_html, page_features, trafilatura_column
from newslabel.models.inputs import strings


class HtmlFeatures(CompactCounts, BaseEstimator, TransformerMixin):
    """DOM and trafilatura features of each passage (see the module docstring); sparse output.

    With ``stack=True`` the output is instead the cross-fitted log-probabilities of a boosted-tree model
    (`HistGradientBoostingClassifier`) over the dense features above, plus, where enabled, the page-context
    features of `models.role_context.RoleContext` (``context``), how many training pages of other sites carry the same
    line (``line_frequency``; learned in `fit`, like the context's site templates, never read from the batch) and a stacked character n-gram TF-IDF logistic regression (``text_model``). On the
    training rows the outputs come from models fit on the other folds of pages (``folds``), so the outer linear
    model learns how far to trust them. With ``dom`` and ``trafilatura`` off, it reads the text dump only.
    """

    _COUNT_TABLES = ("site_line_pages_", "site_pages_", "line_pages_")  # saved as arrays (`compact_state`)

    def __init__(self, dom: bool = True, trafilatura: bool = True, hashed_tokens: int = 4096, stack: bool = False,
                 context: bool = True, line_frequency: bool = True, text_model: bool = True, folds: int = 4,
                 learning_rate: float = 0.05, max_iter: int = 300, max_leaf_nodes: int = 15, seed: int = 0,
                 trafilatura_modes: tuple[str, ...] = TRAFILATURA_MODES, comment_section: bool = False):
        # scikit-learn's rule (parameters stored as given, nothing else), written once for all of them
        for name, value in locals().items():
            if name != "self":
                setattr(self, name, value)

    # -- the features --------------------------------------------------------------------------
    def _page_block(self, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        texts = strings(X, "text")
        docs = X["doc_id"].astype(str).to_numpy()
        dense = np.zeros((len(X), len(FEATURE_NAMES)))
        tokens = [""] * len(X)
        if not (self.dom or self.trafilatura):
            return dense, tokens
        html_col = X["html"].tolist() if "html" in X else None
        paths = X["source_path"].tolist() if "source_path" in X else [None] * len(X)
        for rows in page_slices(docs):
            html = html_col[rows.start] if html_col is not None else _read_html(paths[rows.start])
            dense[rows], tokens[rows] = page_features(texts[rows], html, self.dom, self.trafilatura, self._modes())
        return dense, tokens

    def _modes(self) -> tuple[str, ...]:
        return tuple(self.trafilatura_modes)

    def _plain(self, X: pd.DataFrame):
        dense, tokens = self._page_block(X)
        blocks = [sparse.csr_matrix(dense)]
        if self.dom and self.hashed_tokens:
            vec = HashingVectorizer(n_features=self.hashed_tokens, alternate_sign=False, binary=True, norm=None,
                                    token_pattern=r"[a-z]{2,}", lowercase=False, dtype=np.float64)
            blocks.append(vec.transform(tokens))
        return sparse.hstack(blocks, format="csr")

    def _stack_inputs(self, X: pd.DataFrame, training: bool) -> np.ndarray:
        dense, _ = self._page_block(X)
        keep = [k for k, name in enumerate(FEATURE_NAMES) if (self.dom or not name.startswith(_DOM_PREFIXES))
                and (not name.startswith("traf_") or self.trafilatura and trafilatura_column(name, self._modes()))]
        blocks = [dense[:, keep]]
        if self.context:
            from newslabel.models.role_context import RoleContext

            if training:
                self.context_ = RoleContext(use_html=self.dom, comments=self.comment_section)
                blocks.append(self.context_.fit_transform(X).toarray())
            else:
                blocks.append(self.context_.transform(X).toarray())
        if self.line_frequency:
            if training:
                self.site_line_pages_, self.site_pages_ = line_counts(X)
                self.line_pages_ = _totals(self.site_line_pages_)
            blocks.append(line_frequency(X, self.site_line_pages_, self.site_pages_, self.line_pages_))
        return np.hstack(blocks)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        if not self.stack:
            return self._plain(X)
        if y is None:
            raise ValueError("HtmlFeatures(stack=True) is supervised: fit it with the labels")
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression

        from newslabel.models.text import CompactTfidf

        y = np.asarray(y)
        texts = strings(X, "text")
        base = self._stack_inputs(X, training=True)
        fold = _page_folds(X["doc_id"].astype(str).to_numpy(), self.folds)
        parts = [base]
        if self.text_model:
            self.text_vectorizer_ = CompactTfidf(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                                    max_features=100000, dtype=np.float32)
            T = self.text_vectorizer_.fit_transform(texts)

            def text_lr():
                return LogisticRegression(C=4.0, max_iter=2000, random_state=self.seed)

            parts.append(cross_val_predict(text_lr(), T, y, cv=PredefinedSplit(fold), method="predict_proba"))
            self.text_lr_ = text_lr().fit(T, y)
        A = np.hstack(parts)

        def gbm():
            return HistGradientBoostingClassifier(learning_rate=self.learning_rate, max_iter=self.max_iter,
                                                  max_leaf_nodes=self.max_leaf_nodes, random_state=self.seed)

        with _one_thread():  # OpenMP threads on a busy 2-core machine make the trees ~6x slower, not faster
            oof = cross_val_predict(gbm(), A, y, cv=PredefinedSplit(fold), method="predict_proba")
            self.gbm_ = gbm().fit(A, y)
        return sparse.csr_matrix(_log_odds(oof))

    def transform(self, X: pd.DataFrame):
        if not self.stack:
            return self._plain(X)
        parts = [self._stack_inputs(X, training=False)]
        if self.text_model:
            T = self.text_vectorizer_.transform(strings(X, "text"))
            parts.append(self.text_lr_.predict_proba(T))
        with _one_thread():
            proba = self.gbm_.predict_proba(np.hstack(parts))
        return sparse.csr_matrix(_log_odds(proba))


_DOM_PREFIXES = ("matched", "log_depth", "link_density", "prose", "in_", "main_", "before_main", "after_main",
                 "best_", "parent_", "grand_", "page_log", "tag_", "hint_")


def _one_thread():
    return _threadpools().limit(limits=1, user_api="openmp")


@cache
def _threadpools():
    """The process's thread pools, found once: `threadpool_limits` scans the loaded libraries on each call (~4 ms a
    page). Called first after the boosted trees' module is imported, so their OpenMP runtime is among them."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _page_folds(docs: np.ndarray, folds: int) -> np.ndarray:
    """A fold per row, the same for every row of a page (by a hash of its doc_id)."""
    ids = {d: hashing.fold(d, folds) for d in set(docs)}
    return np.asarray([ids[d] for d in docs])


def _log_odds(proba: np.ndarray) -> np.ndarray:
    p = np.clip(proba, 1e-4, 1 - 1e-4)
    if p.shape[1] == 2:
        return np.log(p[:, 1:] / p[:, :1])
    return np.log(p)


def _site_keys(X: pd.DataFrame) -> list[str]:
    """Each row's site; a page with no site is a site of its own."""
    docs = X["doc_id"].astype(str).tolist()
    sites = strings(X, "site") if "site" in X else [""] * len(docs)
    return [s or f"page:{d}" for s, d in zip(sites, docs)]


def line_counts(X: pd.DataFrame) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """({site: {normalised line: pages of the site carrying it}}, {site: pages}): learned on the training pages.

    >>> line_counts(pd.DataFrame({"doc_id": ["a", "a", "b"], "site": ["s", "s", ""], "text": ["Home", "Hi!", "hi"]}))
    ({'s': {'home': 1, 'hi': 1}, 'page:b': {'hi': 1}}, {'s': 1, 'page:b': 1})
    """
    from newslabel.labels.context import norm_line

    pages: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for t, d, site in zip(strings(X, "text"), X["doc_id"].astype(str), _site_keys(X)):
        pages[site][norm_line(t)].add(d)
    site_pages = {site: len(set().union(*lines.values())) for site, lines in pages.items()}
    return {site: {k: len(v) for k, v in lines.items()} for site, lines in pages.items()}, site_pages


def _totals(site_lines: dict[str, dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for lines in site_lines.values():
        for k, v in lines.items():
            out[k] += v
    return dict(out)


def line_frequency(X: pd.DataFrame, site_lines: dict[str, dict[str, int]], site_pages: dict[str, int],
                   totals: dict[str, int] | None = None) -> np.ndarray:
    """How many training pages of other sites carry the passage's (normalised) line, plus its own page: log
    count and share of pages.

    The page's own site is left out on training pages and new pages alike, so the feature reads the same for a
    page of an unseen site (the usual case: splits are by site) as for the training pages, and a page's features
    never depend on the other pages of the batch. Site templates are `models.role_context.RoleContext`'s template share.

    >>> site_lines, site_pages = {"s": {"home": 2, "rain": 1}, "t": {"home": 1}}, {"s": 2, "t": 1}
    >>> X = pd.DataFrame({"doc_id": ["new", "new", "old"], "site": ["u", "u", "s"], "text": ["Home", "Sun", "Home"]})
    >>> line_frequency(X, site_lines, site_pages).round(3).tolist()
    [[1.386, 1.0], [0.0, 0.25], [0.693, 1.0]]
    """
    from newslabel.labels.context import norm_line

    totals = _totals(site_lines) if totals is None else totals
    n_total = sum(site_pages.values())
    found, n = [], []
    for t, site in zip(strings(X, "text"), _site_keys(X)):
        k = norm_line(t)
        found.append(totals.get(k, 0) - site_lines.get(site, {}).get(k, 0) + 1)
        n.append(n_total - site_pages.get(site, 0) + 1)
    found_a, n_a = np.asarray(found, dtype=float), np.asarray(n, dtype=float)
    return np.c_[np.log(found_a), found_a / n_a]


def html_part(options) -> tuple[str, object]:
    """The ("html", transformer) FeatureUnion part for a model config's ``html_features`` block."""
    opts = dict(options) if options is not True else {}
    if "trafilatura_modes" in opts:
        opts["trafilatura_modes"] = tuple(opts["trafilatura_modes"])
        unknown = [m for m in opts["trafilatura_modes"] if m not in TRAFILATURA_MODES]
        if unknown or not opts["trafilatura_modes"]:
            raise ValueError(f"html_features.trafilatura_modes: {'unknown ' + ', '.join(unknown) if unknown else 'empty'}"
                             f"; expected one or more of {', '.join(TRAFILATURA_MODES)}")
    return "html", make_pipeline(HtmlFeatures(**opts), MaxAbsScaler())
