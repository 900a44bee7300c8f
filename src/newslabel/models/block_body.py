"""`BlockBody`: is a passage of an HTML page part of its main text? One boosted-tree model over block features.

The decision: the ingest walk records where each passage sits in the page's tree (`types.Passage` depth and block
ancestors); `block_features.block_matrix` turns a page's passages into one row of numbers each (its size and
text ratios, its block's, parent's and grandparent's share of the page's words, tag, position, neighbours,
repeated structure, class/id hints); gradient-boosted trees (scikit-learn's HistGradientBoosting) give
p(body) a passage. Every label other than `body` counts as not body, so the sample's six-role pages, the public
extraction sets and wcxb-dev all train it. No second parse of the page and no external extractor.

>>> X = pd.DataFrame({"doc_id": ["a", "a", "b", "b"], "text": ["Home", "The council met on Monday.", "Menu",
...     "Rain fell all day in the town."], "tag": ["a", "p", "a", "p"], "blocks": ["1", "2 3", "1", "2 3"]})
>>> m = BlockBody(BlockBodySettings(max_iter=5, min_samples_leaf=1)).fit(X, ["chrome", "body", "chrome", "body"])
>>> m.predict(X).tolist()
['boilerplate', 'body', 'boilerplate', 'body']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from newslabel.models.block_features import FEATURE_NAMES, block_matrix

BODY, NOT_BODY = "body", "boilerplate"


@dataclass(frozen=True)
class BlockBodySettings:
    """The boosted trees' settings (configs/train.yaml tasks.role.block_body overrides them)."""

    learning_rate: float = 0.1
    max_iter: int = 300
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 1.0
    seed: int = 0


class BlockBody(BaseEstimator, ClassifierMixin):
    """p(body) a passage of an HTML page from `block_features` (see the module docstring)."""

    def __init__(self, settings: BlockBodySettings | None = None):
        self.settings = settings

    def fit(self, X: pd.DataFrame, y):
        from sklearn.ensemble import HistGradientBoostingClassifier

        from newslabel.models.dom_features import _one_thread

        s = self.settings or BlockBodySettings()
        target = np.where(np.asarray(y, dtype=object) == BODY, BODY, NOT_BODY)
        params = {k: v for k, v in asdict(s).items() if k != "seed"}
        self.trees_ = HistGradientBoostingClassifier(**params, early_stopping=False, random_state=s.seed,
                                                     categorical_features=[FEATURE_NAMES.index("tag")])
        with _one_thread():  # OpenMP threads on a busy 2-core machine make the trees slower, not faster
            self.trees_.fit(block_matrix(X), target)
        self.classes_ = self.trees_.classes_
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        from newslabel.models.dom_features import _one_thread

        with _one_thread():
            return self.trees_.predict_proba(block_matrix(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
