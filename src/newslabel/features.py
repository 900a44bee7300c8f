"""Feature transformers for the scikit-learn pipelines (picklable, in the named package).

- `TextColumn`: one column of a DataFrame as a list of strings (for TF-IDF).
- `CompactTfidf`: scikit-learn's TfidfVectorizer whose saved state keeps the vocabulary as one array.
- `PairFeatures`: stance reads (headline, passage): overlap and cosine features of the pair.
- `SimilarityFeatures`: stance's relatedness cues: TF-IDF cosine of the headline with the passage
  and with its context (the whole body, or the teaser story), plus the pair overlap features.
- `RoleContext`: a passage in its page: position, neighbours, section switches, title
  similarity, template share, HTML structure and the labelling rules' votes.

>>> import pandas as pd
>>> X = pd.DataFrame({"headline": ["Rain floods the city"], "text": ["The city was flooded by rain."]})
>>> PairFeatures().fit_transform(X).shape
(1, 5)
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from .context import TemplateStats, norm_line, page_context
from .rules import RULES, SENTENCE_END, RuleModel, apply_rules, page_cues
from .schema import ROLE

_WORD = re.compile(r"\w+")
STOPWORDS = frozenset("the a an of to in and or for on at by with from is are was were be been it that this as".split())
HTML_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "div", "a", "span", "figcaption", "caption",
             "blockquote", "dd", "dt", "pre", "footer", "header", "nav", "aside")
CLASS_HINTS = ("related", "footer", "nav", "menu", "promo", "newsletter", "comment", "share", "social", "byline",
               "author", "caption", "article", "content", "body", "story", "post", "entry", "main", "sidebar", "ad",
               "cookie", "subscribe", "teaser", "widget", "header", "breadcrumb", "tags", "text", "paragraph")
WINDOW = 3  # passages each side for the local prose density


class CompactTfidf(TfidfVectorizer):
    """TfidfVectorizer whose saved state holds the vocabulary as one string array, not a dict.

    skops writes a dict entry by entry: a 250k-term vocabulary took ~14 s to save and load back and 113 MB;
    as an array, 0.5 s and 15 MB. `stop_words_` (the terms cut by min_df/max_features; scikit-learn says it
    is for introspection only) is not saved. Transforms are unchanged.

    >>> import pickle
    >>> v = CompactTfidf().fit(["rain fell", "rain stopped"])
    >>> w = pickle.loads(pickle.dumps(v))
    >>> w.vocabulary_ == v.vocabulary_, sorted(w.__getstate__()["vocabulary_terms_"].tolist())
    (True, ['fell', 'rain', 'stopped'])
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # object.__getstate__ returns __dict__ itself: copy before popping
        vocabulary = state.pop("vocabulary_", None)
        state.pop("stop_words_", None)
        if vocabulary is not None:
            terms = [""] * len(vocabulary)
            for term, i in vocabulary.items():
                terms[i] = term
            state["vocabulary_terms_"] = np.array(terms, dtype=str)
        return state

    def __setstate__(self, state):
        state = dict(state)
        terms = state.pop("vocabulary_terms_", None)
        if terms is not None:
            state["vocabulary_"] = {t: i for i, t in enumerate(terms.tolist())}
        super().__setstate__(state)


class TextColumn(BaseEstimator, TransformerMixin):
    def __init__(self, column: str = "text"):
        self.column = column

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X[self.column].fillna("").astype(str).tolist()


class Deduplicated(BaseEstimator, TransformerMixin):
    """Vectorise each distinct text once: FNC-1 pairs repeat one body over dozens of headlines.

    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> d = Deduplicated(CountVectorizer()).fit(["rain fell", "fell hard", "rain fell"])
    >>> d.transform(["rain fell", "rain fell", "hard"]).toarray().tolist()
    [[1, 0, 1], [1, 0, 1], [0, 1, 0]]
    """

    def __init__(self, vectorizer):
        self.vectorizer = vectorizer

    def fit(self, X, y=None):
        unique = list(dict.fromkeys(X))
        self.vectorizer.fit(unique)
        self.n_distinct_ = len(unique)  # the trailing underscore marks it fitted for scikit-learn
        return self

    def transform(self, X):
        unique = list(dict.fromkeys(X))
        where = {text: i for i, text in enumerate(unique)}
        return self.vectorizer.transform(unique)[[where[text] for text in X]]


def _tokens(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


class PairFeatures(BaseEstimator, TransformerMixin):
    """Dense features of a (headline, text) pair: token overlap, containment, length ratios."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        rows = []
        cache: dict[str, set[str]] = {}  # FNC-1 repeats each body over dozens of headlines
        for h, t in zip(X["headline"].fillna(""), X["text"].fillna("")):
            ht = cache[h] if h in cache else cache.setdefault(h, _tokens(h))
            tt = cache[t] if t in cache else cache.setdefault(t, _tokens(t))
            inter = len(ht & tt)
            rows.append([
                inter / (len(ht | tt) or 1),
                inter / (len(ht) or 1),
                math.log1p(inter),
                math.log1p(len(tt)),
                float(norm_line(h) == norm_line(t)),
            ])
        return sparse.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(rows), 5))


class SimilarityFeatures(BaseEstimator, TransformerMixin):
    """Dense relatedness features of (headline, text, context): the cue that tells `unrelated` apart.

    A TF-IDF space (English stop words, sublinear TF) is fitted on the distinct texts; each row gets the
    cosine of the headline with the text and with the context, the best cosine of the headline with one
    sentence of the context, and `PairFeatures` of both pairs. `context` defaults to the text.

    >>> X = pd.DataFrame({"headline": ["Rain floods the city", "Rain floods the city"],
    ...                   "text": ["The city was flooded by rain.", "Shares rose on Monday."]})
    >>> f = SimilarityFeatures().fit(X).transform(X).toarray()
    >>> f.shape, bool(f[0, 0] > f[1, 0])
    ((2, 13), True)
    """

    def fit(self, X, y=None):
        texts = list(dict.fromkeys([*_col(X, "headline"), *_col(X, "text"), *_col(X, "context")]))
        self.vectorizer_ = CompactTfidf(stop_words="english", sublinear_tf=True, min_df=1, dtype=np.float32)
        self.vectorizer_.fit(texts)
        return self

    def _vectors(self, texts: list[str]):
        unique = list(dict.fromkeys(texts))
        where = {t: i for i, t in enumerate(unique)}
        return self.vectorizer_.transform(unique)[[where[t] for t in texts]]

    def transform(self, X):
        heads, texts = _col(X, "headline"), _col(X, "text")
        contexts = [c or t for c, t in zip(_col(X, "context"), texts)]
        h, t, c = self._vectors(heads), self._vectors(texts), self._vectors(contexts)
        cos_t = np.asarray(h.multiply(t).sum(axis=1)).ravel()
        cos_c = np.asarray(h.multiply(c).sum(axis=1)).ravel()
        best = self._best_sentence(heads, contexts)
        pair_t = PairFeatures().transform(pd.DataFrame({"headline": heads, "text": texts})).toarray()
        pair_c = PairFeatures().transform(pd.DataFrame({"headline": heads, "text": contexts})).toarray()
        dense = np.column_stack([cos_t, cos_c, best, pair_t, pair_c])
        return sparse.csr_matrix(dense.astype(np.float64))

    def _best_sentence(self, heads: list[str], contexts: list[str]) -> np.ndarray:
        """max over the context's sentences (the first 60) of cosine(headline, sentence)."""
        distinct = list(dict.fromkeys(contexts))
        spans, sentences = {}, []
        for c in distinct:
            parts = [x for x in _SENTENCE.split(c) if x.strip()][:60] or [c]
            spans[c] = (len(sentences), len(sentences) + len(parts))
            sentences += parts
        S = self.vectorizer_.transform(sentences).tocsr()
        H = self._vectors(heads).tocsr()
        out = np.zeros(len(heads))
        for k, c in enumerate(contexts):
            a, b = spans[c]
            sims = S[a:b] @ H[k].T
            out[k] = sims.max() if sims.nnz else 0.0
        return out


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _col(X, name: str) -> list[str]:
    if name not in X:
        return [""] * len(X)
    return X[name].fillna("").astype(str).tolist()


class RoleContext(BaseEstimator, TransformerMixin):
    """Dense page-context features, one row a passage; rows of a page must be contiguous and ordered.

    Site template statistics (how many pages of a site carry each line) are learned in `fit` from the
    training pages and kept on the transformer (``site_pages_``, ``site_lines_``); `transform` reads them
    and the page's own lines only, so a page gets the same features alone or in any batch.

    `template_dropout` hides the template-share feature on that share of training pages (chosen
    by hash), so the model also learns to do without it: a single page from an unseen site has
    no template statistics.
    """

    def __init__(self, template_dropout: float = 0.5, use_html: bool = True):
        self.template_dropout = template_dropout
        self.use_html = use_html

    def fit(self, X, y=None):
        self._learn(_pages(X.to_dict("records")))
        return self

    def fit_transform(self, X, y=None, **fit_params):
        pages = _pages(X.to_dict("records"))
        self._learn(pages)
        return self._transform(pages, dropout=self.template_dropout, own_page=False)

    def transform(self, X):
        return self._transform(_pages(X.to_dict("records")), dropout=0.0, own_page=True)

    def _learn(self, pages: list[list[dict]]) -> None:
        stats = TemplateStats.from_pages([[r["text"] for r in p] for p in pages], [p[0].get("site") or "" for p in pages])
        self.site_pages_, self.site_lines_ = stats.pages_per_site, stats.line_counts

    def _transform(self, pages: list[list[dict]], dropout: float, own_page: bool):
        # Models fitted before the statistics were learned have none: pages are then read on their own.
        stats = TemplateStats(getattr(self, "site_pages_", {}), getattr(self, "site_lines_", {}))
        rows = []
        for page in pages:
            drop = dropout > 0 and _hash_share(page[0]["doc_id"]) < dropout
            rows.extend(page_features(page, None if drop else stats, self.use_html, own_page))
        return sparse.csr_matrix(np.asarray(rows, dtype=np.float64))


def _hash_share(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _pages(records: list[dict]) -> list[list[dict]]:
    pages: list[list[dict]] = []
    for r in records:
        if not pages or pages[-1][0]["doc_id"] != r["doc_id"]:
            pages.append([])
        pages[-1].append(r)
    return pages


def _prose(text: str) -> bool:
    return len(text.split()) >= 10 and bool(SENTENCE_END.search(text))


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
                  own_page: bool = False) -> list[list[float]]:
    ctx = page_context(page, stats, own_page)
    cues = page_cues(ctx)
    votes = apply_rules(ctx, cues)
    vote_model = RuleModel()
    combined = [vote_model.predict_one(v)[0] for v in votes]
    prose = [_prose(t) for t in ctx.texts]
    b0, b1 = _main_block(prose)
    counts = Counter(norm_line(t) for t in ctx.texts)
    title_tokens = _tokens(ctx.title or "")
    n = ctx.n
    rule_names = list(RULES)
    out = []
    for i, text in enumerate(ctx.texts):
        words = text.split()
        tt = _tokens(text)
        lo, hi = max(0, i - WINDOW), min(n, i + WINDOW + 1)
        share = ctx.template_share[i]
        f = [
            i / max(1, n - 1), math.log1p(i), math.log1p(n - 1 - i), math.log1p(len(words)), math.log1p(len(text)),
            float(bool(SENTENCE_END.search(text))), float(prose[i]), float(text.isupper()),
            sum(c.isdigit() for c in text) / len(text), sum(c in ",;:" for c in text) / max(1, len(words)),
            len(tt & title_tokens) / (len(tt | title_tokens) or 1), float(i in cues.title_at),
            float(cues.related[i]), float(any(cues.related[:i])),
            float(prose[i - 1]) if i > 0 else 0.0, float(prose[i + 1]) if i < n - 1 else 0.0,
            sum(prose[lo:hi]) / (hi - lo),
            float(b0 <= i <= b1), (i - b0) / n if i < b0 else 0.0, (i - b1) / n if i > b1 else 0.0,
            math.log1p(counts[norm_line(text)] - 1),
            share if share is not None else 0.0, float(share is None),
            float(i < (cues.title_at[0] if cues.title_at else cues.first_prose)),
        ]
        f += [float(name in votes[i]) for name in rule_names]
        f += [float(combined[i] == r) for r in ROLE.names]
        for j in (i - 1, i + 1):
            f += [float(0 <= j < n and combined[j] == r) for r in ROLE.names]
        if use_html:
            f.append(ctx.link_density[i])
            f += [float(ctx.tags[i] == t) for t in HTML_TAGS]
            cls = ctx.class_tokens[i]
            f += [float(h in cls) for h in CLASS_HINTS]
        out.append(f)
    return out
