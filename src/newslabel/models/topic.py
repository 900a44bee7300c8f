"""The topic head: word n-grams for short texts, static embeddings of each line for long ones.

A text's topic probabilities are a mix of two models, weighted by its length:
- `words`: the TF-IDF pipeline (`pipeline.build_pipeline`'s text model) on the whole text. Headlines and
  AG-style summaries are what it was trained on, and it is best there.
- `lines_`: a logistic regression on the `StaticEmbedding` of each line (a paragraph of a body, a headline,
  an IPTC definition), averaged over a text's lines weighted by their tokens. A 600-word body is read as
  the paragraphs it is made of, each of a length the training rows have.
The mix gives the lines the weight n / (n + `mix_tokens`), n the tokens read of the text: a headline leans on
the words, a full article on its lines. A body that says nothing clear averages to flat probabilities: a low
score.

Training rows are weighted by source (`source_weights`, the source named by the doc_id's prefix, as the
importers write it: ``bbc-``, ``agnews-``, ``huffpost-``, ``iptc-``, ``rule-``): each listed source's lines weigh
w / (sum of w) of the total, so 22k one-line headlines do not drown 7k article paragraphs; rows of other
sources (the sample corpus) weigh 1 a line.

>>> import pandas as pd
>>> from sklearn.dummy import DummyClassifier
>>> from tokenizers import Tokenizer, models, pre_tokenizers
>>> tok = Tokenizer(models.WordLevel({"[UNK]": 0, "goal": 1, "match": 2, "vote": 3, "poll": 4}, unk_token="[UNK]"))
>>> tok.pre_tokenizer = pre_tokenizers.Whitespace()
>>> vec = np.array([[0, 0], [1, 0], [1, 0.1], [0, 1], [0.1, 1]], dtype=np.float32)
>>> head = TopicHead(DummyClassifier(strategy="prior"), FixedEmbedding(vec, tok.to_str()), TopicSettings(mix_tokens=1))
>>> X = pd.DataFrame({"text": ["goal", "vote", "goal goal", "poll vote"], "doc_id": ["a", "b", "c", "d"]})
>>> head.fit(X, ["sport", "politics", "sport", "politics"]).predict(pd.DataFrame({"text": ["match\\ngoal", "poll"]}))
array(['sport', 'politics'], dtype=object)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression

from newslabel.models.inputs import strings
from newslabel.models.linear import fast_proba
from newslabel.models.static_embed import MAX_TOKENS, SIF, StaticEmbedding


@dataclass(frozen=True)
class TopicSettings:
    """tasks.topic.static in configs/train.yaml; the values were chosen on validation (docs/decisions.md, ## Topic)."""

    vectors: str = ""  # the distilled vectors' .npz (made once if missing)
    C: float = 1.0  # the line model's inverse regularisation
    sif: float = SIF  # token weights a / (a + p)
    max_tokens: int = MAX_TOKENS  # tokens read a line
    mix_tokens: float = 100.0  # the lines' share of a text of n tokens: n / (n + mix_tokens)
    source_weights: dict = field(default_factory=lambda: {"bbc": 2.0, "agnews": 1.0, "huffpost": 1.0, "iptc": 0.5,
                                                           "rule": 0.25})


class FixedEmbedding(StaticEmbedding):
    """A `StaticEmbedding` from vectors and a tokenizer at hand instead of an .npz (tests, doctests)."""

    def __init__(self, arrays=None, tokenizer: str = "", sif: float = SIF, max_tokens: int = MAX_TOKENS):
        super().__init__("", sif, max_tokens)
        self.arrays = arrays
        self.tokenizer = tokenizer

    def fit(self, X, y=None):
        return self.fit_arrays(np.asarray(self.arrays, dtype=np.float32), self.tokenizer, X)


def split_lines(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Each text's non-blank lines, and for each line the index of its text; an empty text is one empty line.

    >>> split_lines(["a\\n\\nb", "", "c"])
    (['a', 'b', '', 'c'], array([0, 0, 1, 2]))
    """
    lines = [[ln for ln in t.split("\n") if ln.strip()] or [""] for t in texts]
    return [ln for x in lines for ln in x], np.repeat(np.arange(len(lines)), [len(x) for x in lines])


def source_weights(doc_ids: list[str], owner: np.ndarray, weights: dict) -> np.ndarray:
    """A weight a line: lines of a listed source (doc_id prefix before "-") share w/(sum of w) of all lines.

    >>> w = source_weights(["bbc-1", "hp-1", "hp-2", "hp-3", "x"], np.array([0, 0, 1, 2, 3, 4]), {"bbc": 1, "hp": 1})
    >>> w.round(2).tolist()  # bbc's 2 lines and hp's 3 weigh 2.5 each; x is not listed
    [1.25, 1.25, 0.83, 0.83, 0.83, 1.0]
    """
    source = np.array([str(d).split("-", 1)[0] for d in doc_ids], dtype=object)[owner]
    out = np.ones(len(owner))
    listed = {k: float(v) for k, v in weights.items() if (source == k).any()}
    total = sum(listed.values())
    n_listed = sum(int((source == k).sum()) for k in listed)
    for k, w in listed.items():
        rows = source == k
        out[rows] = w / total * n_listed / rows.sum()
    return out


class TopicHead(BaseEstimator, ClassifierMixin):
    """Topic probabilities from `words` (any classifier of the text frame) and the line model (module docstring)."""

    def __init__(self, words=None, embedding=None, settings: TopicSettings | None = None, seed: int = 0):
        self.words = words
        self.embedding = embedding
        self.settings = settings
        self.seed = seed

    def _s(self) -> TopicSettings:
        return self.settings or TopicSettings()

    def fit(self, X: pd.DataFrame, y):
        y, s = np.asarray(y, dtype=object), self._s()
        self.words_ = clone(self.words).fit(X, y)
        lines, owner = split_lines(strings(X, "text"))
        doc_ids = strings(X, "doc_id") if "doc_id" in X else [""] * len(X)
        weight = source_weights(doc_ids, owner, s.source_weights)
        self.embedding_ = clone(self.embedding).fit(lines)
        self.lines_ = LogisticRegression(C=s.C, class_weight="balanced", max_iter=2000, random_state=self.seed)
        self.lines_.fit(self.embedding_.transform(lines), y[owner], sample_weight=weight)
        self.classes_ = self.lines_.classes_
        if list(self.words_.classes_) != list(self.classes_):
            raise ValueError("TopicHead: the word model and the line model learnt different label sets")
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        by_text, words, share = self.mix_parts(X)
        return share * by_text + (1 - share) * words

    def mix_parts(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What `predict_proba` mixes: the line model's text probabilities, the word model's, the lines' share."""
        lines, owner = split_lines(strings(X, "text"))
        vectors, tokens = self.embedding_.embed(lines)
        per_line = self.lines_.predict_proba(vectors)
        tokens = tokens.astype(float)
        n = len(X)
        read = np.bincount(owner, weights=tokens, minlength=n)
        by_text = np.zeros((n, len(self.classes_)))
        np.add.at(by_text, owner, per_line * np.maximum(tokens, 1e-9)[:, None])
        by_text /= np.maximum(by_text.sum(axis=1, keepdims=True), 1e-12)
        share = (read / (read + self._s().mix_tokens))[:, None]
        return by_text, fast_proba(self.words_, X), share

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def topic_head(words, settings: TopicSettings, seed: int) -> TopicHead:
    """The configured head around the text model `words`."""
    embedding = StaticEmbedding(settings.vectors, settings.sif, settings.max_tokens)
    return TopicHead(words, embedding, settings, seed)
