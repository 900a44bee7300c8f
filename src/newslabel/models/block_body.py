"""`BlockBody`: is a passage of an HTML page part of its main text? Boosted trees over block features, twice.

The decision: the ingest walk records where each passage sits in the page's tree (`types.Passage` depth and block
ancestors); `block_features.block_matrix` turns a page's passages into one row of numbers each (size and text
ratios, its block's and ancestors' share of the page's words, tag, position, neighbours, repeated structure,
class/id hints), plus the log-odds of a hashed word-bigram linear model of its text (cross-fitted by page on the
training rows). LightGBM gives a first p(body); a second LightGBM reads the same row with the first stage's
p(body) of its neighbours (cross-fitted too) and decides. Every label but `body` counts as not body, so the
sample's six-role pages, the public extraction sets and wcxb-dev all train it. No second parse, no extractor.

>>> X = pd.DataFrame({"doc_id": list("aabbccdd"), "text": ["Home", "The council met on Monday.", "Menu",
...     "Rain fell all day in the town.", "Home", "The mayor spoke at length.", "Menu", "Roads closed at noon."],
...     "tag": ["a", "p"] * 4, "blocks": ["1", "2 3"] * 4})
>>> s = BlockBodySettings(trees=5, min_child_samples=1, folds=2)
>>> BlockBody(s).fit(X, ["chrome", "body"] * 4).predict(X).tolist()[:2]
['boilerplate', 'body']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GroupKFold, cross_val_predict

from newslabel.labels.context import page_slices
from newslabel.models.block_features import FEATURE_NAMES, _neighbours, block_matrix, rule_matrix
from newslabel.models.dom_features import _totals, line_counts, line_frequency
from newslabel.models.inputs import strings

BODY, NOT_BODY = "body", "boilerplate"
STAGE2_NAMES = ["p_m2", "p_m1", "p_p1", "p_p2", "p_mean5", "p_mean11", "p_page"]


@dataclass(frozen=True)
class BlockBodySettings:
    """Every setting of the model, with its default (not in training's configs yet: `benchmarks/block_body.py
    --set key=value` overrides them)."""

    trees: int = 400  # 400 x 63 leaves at 0.05 (B) over 300 x 31 at 0.1 (A) on validation: docs/decisions.md
    num_leaves: int = 63
    learning_rate: float = 0.05
    min_child_samples: int = 20
    text_features: int = 2**18  # hashed word uni- and bigrams of the text model (0: no text model)
    text_alpha: float = 2e-6  # the text model's L2 penalty (SGD logistic regression)
    folds: int = 4  # page folds for the cross-fitted text model and first stage
    stage2: bool = True  # a second model over the first stage's p(body) of the neighbours
    rules: bool = False  # + the labelling rules' page context (block_features.rule_matrix: 12-32 ms a page)
    line_frequency: bool = False  # + how many training pages of other sites carry the line (learned in fit)
    seed: int = 0


class BlockBody(BaseEstimator, ClassifierMixin):
    """p(body) a passage of an HTML page (see the module docstring). Fitted trees are kept as LightGBM's model
    text, a plain string, so the model saves with skops."""

    def __init__(self, settings: BlockBodySettings | None = None):
        self.settings = settings

    def _s(self) -> BlockBodySettings:
        return self.settings or BlockBodySettings()

    def fit(self, X: pd.DataFrame, y):
        s = self._s()
        yb = (np.asarray(y, dtype=object) == BODY).astype(int)
        docs = X["doc_id"].astype(str).tolist()
        if len(set(docs)) < 2:
            raise ValueError("BlockBody: the cross-fitted stages need at least 2 pages")
        cv = GroupKFold(n_splits=min(s.folds, len(set(docs))))
        if s.line_frequency:
            self.site_lines_, self.site_pages_ = line_counts(X)
            self.line_totals_ = _totals(self.site_lines_)
        F = self._block(X)
        if s.text_features:
            T = self._hashed(X)
            oof = cross_val_predict(self._text_model(), T, yb, groups=docs, cv=cv, method="decision_function")
            self.text_ = self._text_model().fit(T, yb)
            F = np.c_[F, oof]
        self.first_ = self._trees(F, yb)
        if s.stage2:
            oof = cross_val_predict(_Trees(self), F, yb, groups=docs, cv=cv, method="predict_proba")[:, 1]
            self.second_ = self._trees(np.c_[F, _stage2(oof, docs)], yb)
        self.classes_ = np.array([BODY, NOT_BODY])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        F = self._block(X)
        if self._s().text_features:
            F = np.c_[F, self.text_.decision_function(self._hashed(X))]
        p = _booster(self.first_).predict(F, num_threads=1)
        if self._s().stage2:
            p = _booster(self.second_).predict(np.c_[F, _stage2(p, X["doc_id"].astype(str).tolist())], num_threads=1)
        return np.c_[p, 1 - p]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 0] < 0.5).astype(int)]

    # -- parts -------------------------------------------------------------------------------------------------
    def _block(self, X: pd.DataFrame) -> np.ndarray:
        """The block features, then the rules' page context and line frequency where the settings ask."""
        s, F = self._s(), [block_matrix(X)]
        if s.rules:
            F.append(rule_matrix(X))
        if s.line_frequency:
            F.append(line_frequency(X, self.site_lines_, self.site_pages_, self.line_totals_))
        return np.hstack(F)

    def _hashed(self, X: pd.DataFrame):
        from sklearn.feature_extraction.text import HashingVectorizer

        vec = HashingVectorizer(n_features=self._s().text_features, ngram_range=(1, 2), alternate_sign=False,
                                token_pattern=r"(?u)\b\w+\b")
        return vec.transform(strings(X, "text"))

    def _text_model(self):
        from sklearn.linear_model import SGDClassifier

        s = self._s()
        return SGDClassifier(loss="log_loss", alpha=s.text_alpha, max_iter=10, tol=None, random_state=s.seed)

    def _trees(self, F: np.ndarray, yb: np.ndarray) -> str:
        """LightGBM's model text of trees fit on (F, yb)."""
        import lightgbm as lgb

        s = self._s()
        params = {"objective": "binary", "num_leaves": s.num_leaves, "learning_rate": s.learning_rate,
                  "min_child_samples": s.min_child_samples, "lambda_l2": 1.0, "num_threads": 1, "verbose": -1,
                  "seed": s.seed, "bin_construct_sample_cnt": 200000}
        data = lgb.Dataset(F, yb, categorical_feature=[FEATURE_NAMES.index("tag")], free_raw_data=True)
        return lgb.train(params, data, num_boost_round=s.trees).model_to_string()


class _Trees(BaseEstimator, ClassifierMixin):
    """The first stage as an estimator, refit on some folds by `cross_val_predict`."""

    def __init__(self, owner: BlockBody | None = None):
        self.owner = owner

    def fit(self, F, yb):
        self.model_ = self.owner._trees(F, yb)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, F) -> np.ndarray:
        p = _booster(self.model_).predict(F, num_threads=1)
        return np.c_[1 - p, p]

    def predict(self, F) -> np.ndarray:
        return self.predict_proba(F).argmax(axis=1)


_BOOSTERS: dict[int, object] = {}


def _booster(model_text: str):
    """The LightGBM booster of a model text, parsed once a process."""
    import lightgbm as lgb

    key = hash(model_text)
    if key not in _BOOSTERS:
        _BOOSTERS[key] = lgb.Booster(model_str=model_text)
    return _BOOSTERS[key]


def _stage2(p: np.ndarray, docs: list[str]) -> np.ndarray:
    """STAGE2_NAMES a row: the first stage's p(body) at -2..+2, its moving means and its page mean."""
    out = np.zeros((len(p), len(STAGE2_NAMES)))
    for sl in page_slices(docs):
        q = p[sl][:, None]
        out[sl, :6] = _neighbours(q)
        out[sl, 6] = q.mean()
    return out
