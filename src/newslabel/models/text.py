"""Feature transformers for the scikit-learn pipelines (picklable, in the named package).

- `TextColumn`: one column of a DataFrame as a list of strings (for TF-IDF).
- `CompactTfidf`: scikit-learn's TfidfVectorizer whose saved state keeps the vocabulary as one array.
- `shared_analysis`: within it, CompactTfidfs with the same analysis settings analyse and count each text once.
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

import contextlib
import contextvars
import math
import re
from functools import cache, lru_cache, partial
from itertools import chain, repeat

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer, _analyze
from sklearn.utils._sparse import _align_api_if_sparse
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from newslabel.ingest.text import SENTENCE_MARKS
from newslabel.labels.context import norm_line
from newslabel.models.inputs import strings

_WORD = re.compile(r"\w+")
STOPWORDS = frozenset("the a an of to in and or for on at by with from is are was were be been it that this as".split())
# What scikit-learn's build_analyzer reads: decoding, preprocessing, tokenizing, stop words and n-grams.
ANALYSIS_PARAMS = ("input", "encoding", "decode_error", "strip_accents", "lowercase", "preprocessor", "tokenizer",
                   "token_pattern", "stop_words", "ngram_range", "analyzer")
# {analysis settings: _Shared} while `shared_analysis` is open, else None; per thread (a ContextVar).
_SHARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("newslabel_shared_analysis", default=None)


@contextlib.contextmanager
def shared_analysis():
    """Within it, CompactTfidfs with the same analysis settings analyse and count each text once.

    A page's role passages go through three char_wb (2, 4) vectorisers (the six-role model's, the body model's
    and its stacked text model's) and two word ones, each with its own vocabulary, and bias reads the body
    passages again. A transform is mostly n-gram generation and one dictionary look-up per n-gram; shared, the
    first texts of each setting (the page's passages) are counted once over their own n-grams (a few thousand
    distinct ones against ~16k n-grams a page), and each vocabulary looks up those. The memo lives as long as
    the block (one page), so it stays small and never carries one page's texts into another's; counts are a
    function of the text and the settings, so each vectoriser gives the matrix it gives alone.

    >>> a, b = CompactTfidf(analyzer="char_wb").fit(["rain fell"]), CompactTfidf(analyzer="char_wb").fit(["sun"])
    >>> with shared_analysis():
    ...     a.build_analyzer() is b.build_analyzer()
    True
    """
    if _SHARED.get() is not None:  # nested: the outer block's memo serves
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


class _Shared:
    """What the vectorisers of one analysis setting share in `shared_analysis`: a memoised analyzer, and the
    counts of the first texts they are given over those texts' own n-grams (`_PageCounts`)."""

    def __init__(self, analyze):
        self.analyze = cache(analyze)
        self.first: _PageCounts | None = None

    def counts(self, docs: list, vocabulary: dict) -> sparse.csr_matrix | None:
        """CountVectorizer's counts of `docs` over `vocabulary`; None unless all are among the first texts."""
        if self.first is None and docs:
            self.first = _PageCounts(docs, self.analyze)
        return self.first.over(docs, vocabulary) if self.first is not None else None


class _PageCounts:
    """Counts of a page's texts over the n-grams they hold, re-indexed to any vocabulary in `over`."""

    def __init__(self, docs: list, analyze):
        self.row = {d: i for i, d in enumerate(dict.fromkeys(docs))}
        grams = [analyze(d) for d in self.row]
        flat = list(chain.from_iterable(grams))
        self.terms = list(dict.fromkeys(flat))
        index = {t: i for i, t in enumerate(self.terms)}
        column = np.fromiter(map(index.__getitem__, flat), np.int64, len(flat))
        row = np.repeat(np.arange(len(grams)), [len(g) for g in grams])
        # to CSR, the repeats of an n-gram in a text are summed: its count
        self.counts = sparse.csr_matrix((np.ones(len(flat), np.int64), (row, column)),
                                        shape=(len(grams), len(self.terms)))

    def over(self, docs: list, vocabulary: dict) -> sparse.csr_matrix | None:
        rows = [self.row.get(d) for d in docs]
        if None in rows:
            return None
        C = self.counts[rows]
        column = np.fromiter(map(vocabulary.get, self.terms, repeat(-1)), np.int64, len(self.terms))[C.indices]
        known = column >= 0  # n-grams out of the vocabulary are dropped, as scikit-learn does
        indptr = np.concatenate([[0], np.cumsum(known)])[C.indptr]
        X = sparse.csr_matrix((C.data[known], column[known], indptr), shape=(len(docs), len(vocabulary)))
        X.sort_indices()
        return X


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

    def transform(self, raw_documents):
        """TfidfVectorizer's transform: counts, sublinear TF, IDF, L2 rows, the same arithmetic on the same arrays,
        without the input and parameter checks scikit-learn repeats on every call (a page makes a dozen calls).
        Settings this does not cover (no IDF, binary, another norm, a file input) go through scikit-learn."""
        if (isinstance(raw_documents, str) or not hasattr(self, "vocabulary_") or not self.use_idf or self.binary
                or self.norm != "l2" or self.input != "content"):
            return super().transform(raw_documents)
        _, X = self._count_vocab(raw_documents, fixed_vocab=True)
        if X.dtype not in (np.float32, np.float64):  # TfidfTransformer's accepted dtypes; others become float64
            X = X.astype(np.float64)
        if self.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        X.data *= self.idf_[X.indices]
        inplace_csr_row_normalize_l2(X)
        return _align_api_if_sparse(X)

    def build_analyzer(self):
        """scikit-learn's analyzer; inside `shared_analysis`, one memoised for all vectorisers of these settings."""
        shared = self._shared()
        return super().build_analyzer() if shared is None else shared.analyze

    def _count_vocab(self, raw_documents, fixed_vocab):
        """scikit-learn's counting; a transform inside `shared_analysis` re-indexes the page's shared counts.
        (A private step of scikit-learn, pinned in pyproject.toml; tests/test_features.py compares the matrices.)"""
        shared = self._shared() if fixed_vocab else None
        if shared is None:
            return super()._count_vocab(raw_documents, fixed_vocab)
        docs = list(raw_documents)
        X = shared.counts(docs, self.vocabulary_)
        if X is None:
            return super()._count_vocab(docs, fixed_vocab)
        return self.vocabulary_, X.astype(self.dtype)

    def _word_memo_analyzer(self):
        """scikit-learn's char_wb analyzer, each distinct word's n-grams made once (a text's are its words' in turn,
        as `_char_wb_ngrams` makes them word by word of `text.split()`), remembered across pages (`_word_ngrams`)."""
        word_ngrams = _word_ngrams(tuple(self.ngram_range))

        def ngrams(text: str) -> list[str]:
            return list(chain.from_iterable(map(word_ngrams, text.split())))

        return partial(_analyze, ngrams=ngrams, preprocessor=self.build_preprocessor(), decoder=self.decode)

    def _shared(self) -> _Shared | None:
        """This vectoriser's settings' share of the open `shared_analysis`, if any."""
        registry = _SHARED.get()
        key = tuple(getattr(self, name) for name in ANALYSIS_PARAMS)
        if registry is None or self.input != "content":  # a file is read once: its second analysis would differ
            return None
        try:
            if key not in registry:
                registry[key] = _Shared(self._word_memo_analyzer() if self.analyzer == "char_wb"
                                        else super().build_analyzer())
        except TypeError:  # an unhashable setting (a stop word list): no sharing
            return None
        return registry[key]


@cache
def _word_ngrams(ngram_range: tuple[int, int]):
    """One word's char_wb n-grams (a function of the word and the range alone), the last 20k words remembered
    (~1 kB a word for (2, 4): ~20 MB)."""
    return lru_cache(maxsize=20_000)(TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range)._char_wb_ngrams)


class TextColumn(BaseEstimator, TransformerMixin):
    def __init__(self, column: str = "text"):
        self.column = column

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return strings(X, self.column)


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


def _page_memo(name: str) -> dict:
    """A dict that lives as long as the open `shared_analysis` block (one page), else a fresh one."""
    registry = _SHARED.get()
    return {} if registry is None else registry.setdefault(("memo", name), {})


def pair_features(heads: list[str], texts: list[str]) -> np.ndarray:
    """`PairFeatures` of each (headline, text) pair, a row of 5 floats; within `shared_analysis` each distinct
    pair is computed once a page (stance reads (headline, passage) three times and (headline, body) twice)."""
    memo = _page_memo("pairs")
    # FNC-1 repeats each body over dozens of headlines, a page its body over each of its passages
    tokens, norm = cache(_tokens), cache(norm_line)
    rows = []
    for h, t in zip(heads, texts):
        row = memo.get((h, t))
        if row is None:
            ht, tt = tokens(h), tokens(t)
            same = norm(h) == norm(t)
            inter = len(ht & tt)
            row = memo[h, t] = [inter / (len(ht | tt) or 1), inter / (len(ht) or 1), math.log1p(inter),
                                math.log1p(len(tt)), float(same)]
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), 5)


class PairFeatures(BaseEstimator, TransformerMixin):
    """Dense features of a (headline, text) pair: token overlap, containment, length ratios."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return sparse.csr_matrix(pair_features(strings(X, "headline"), strings(X, "text")))


class SimilarityFeatures(BaseEstimator, TransformerMixin):
    """Dense relatedness features of (headline, text, context): the cue that tells `unrelated` apart.

    A TF-IDF space (English stop words, sublinear TF) is fitted on the distinct texts; each row gets the
    cosine of the headline with the text and with the context, the best cosine of the headline with one
    sentence of the context, and `PairFeatures` of both pairs. `context` defaults to the text. Each distinct
    text (headline, passage, context, sentence) is vectorised once, in one call.

    >>> import pandas as pd
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

    def transform(self, X):
        heads, texts = _col(X, "headline"), _col(X, "text")
        contexts = [c or t for c, t in zip(_col(X, "context"), texts)]
        spans, sentences = _sentences(contexts)
        unique = list(dict.fromkeys([*heads, *texts, *contexts, *sentences]))
        where = {t: i for i, t in enumerate(unique)}
        vectors = self.vectorizer_.transform(unique).tocsr()
        h, t, c = (vectors[[where[x] for x in column]] for column in (heads, texts, contexts))
        cos_t = np.asarray(h.multiply(t).sum(axis=1)).ravel()
        cos_c = np.asarray(h.multiply(c).sum(axis=1)).ravel()
        distinct = list(dict.fromkeys(heads))
        # cosines of every sentence with every distinct headline, in one sparse product (dense, a training set's
        # sentences x headlines would be hundreds of MB)
        sims = (vectors[[where[x] for x in sentences]] @ vectors[[where[x] for x in distinct]].T).tocsc()
        best = _best_sentence(sims, {x: j for j, x in enumerate(distinct)}, spans, heads, contexts)
        dense = np.column_stack([cos_t, cos_c, best, pair_features(heads, texts), pair_features(heads, contexts)])
        return sparse.csr_matrix(dense.astype(np.float64))


def _sentences(contexts: list[str]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """The first 60 sentences of each distinct context, one list, and each context's (start, end) in it."""
    spans, sentences = {}, []
    for c in dict.fromkeys(contexts):
        parts = [x for x in _SENTENCE.split(c) if x.strip()][:60] or [c]
        spans[c] = (len(sentences), len(sentences) + len(parts))
        sentences += parts
    return spans, sentences


def _best_sentence(sims, column: dict, spans: dict, heads: list[str], contexts: list[str]) -> np.ndarray:
    """max over the context's sentences of cosine(headline, sentence), from `sims` (sparse, sentences x
    headlines), one headline's column made dense at a time; cosines are >= 0, so a context no sentence of which
    shares a term gets 0."""
    contexts_of: dict[str, list[str]] = {}  # a page's body rows share one (headline, context) pair
    for h, c in dict.fromkeys(zip(heads, contexts)):
        contexts_of.setdefault(h, []).append(c)
    best: dict[tuple[str, str], float] = {}
    for h, cs in contexts_of.items():
        cosines = sims[:, column[h]].toarray().ravel()
        best.update({(h, c): cosines[slice(*spans[c])].max() for c in cs})
    return np.array([best[h, c] for h, c in zip(heads, contexts)], dtype=float)


_SENTENCE = re.compile(f"(?<=[{SENTENCE_MARKS}])\\s+|\n+")


def _col(X, name: str) -> list[str]:
    if name not in X:
        return [""] * len(X)
    return strings(X, name)
