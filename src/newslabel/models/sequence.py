"""`SequenceSmoother`: roles smoothed along each page by forward-backward over a learned transition matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from newslabel.labels.context import page_slices


class SequenceSmoother(BaseEstimator, ClassifierMixin):
    """A per-passage classifier followed by forward-backward over each page's passages.

    Transition probabilities are counted on the training pages (add-one smoothing); the
    classifier's posteriors divided by the class priors act as emission likelihoods, so
    `predict_proba` still returns probabilities, now informed by the neighbours' roles.
    """

    def __init__(self, estimator, prior_power: float = 1.0):
        self.estimator = estimator
        self.prior_power = prior_power

    def fit(self, X: pd.DataFrame, y):
        y = np.asarray(y)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        idx = {c: k for k, c in enumerate(self.classes_)}
        k = len(self.classes_)
        trans, start = np.ones((k, k)), np.ones(k)
        for _, labels in _by_page(X, y):
            start[idx[labels[0]]] += 1
            for a, b in zip(labels[:-1], labels[1:]):
                trans[idx[a], idx[b]] += 1
        self.log_trans_ = np.log(trans / trans.sum(axis=1, keepdims=True))
        self.log_start_ = np.log(start / start.sum())
        self.log_prior_ = np.log(np.bincount([idx[v] for v in y], minlength=k) / len(y) + 1e-9)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        raw = self.estimator_.predict_proba(X)
        out = np.empty_like(raw)
        for rows in page_slices(X["doc_id"].to_numpy()):
            out[rows] = self._forward_backward(np.log(raw[rows] + 1e-12) - self.prior_power * self.log_prior_)
        return out

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def _forward_backward(self, emit: np.ndarray) -> np.ndarray:
        n, k = emit.shape
        fwd, bwd = np.zeros((n, k)), np.zeros((n, k))
        fwd[0] = self.log_start_ + emit[0]
        for t in range(1, n):
            fwd[t] = emit[t] + np.logaddexp.reduce(fwd[t - 1][:, None] + self.log_trans_, axis=0)
        for t in range(n - 2, -1, -1):
            bwd[t] = np.logaddexp.reduce(self.log_trans_ + emit[t + 1] + bwd[t + 1], axis=1)
        post = fwd + bwd
        post -= post.max(axis=1, keepdims=True)
        post = np.exp(post)
        return post / post.sum(axis=1, keepdims=True)


def _by_page(X: pd.DataFrame, y: np.ndarray):
    for s in page_slices(X["doc_id"].to_numpy()):
        yield X["doc_id"].iloc[s.start], list(y[s])
