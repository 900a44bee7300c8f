"""A fitted text pipeline's probabilities for one page's units without scikit-learn's per-call bookkeeping.

A page gives each head a handful of rows. scikit-learn checks its input and parameters on every call of every
step (a one-vs-rest topic model: 17 logistic regressions, each validating the same matrix), which cost more
than the arithmetic. `fast_proba(pipeline, X)` reads the same fitted objects and does the same arithmetic:
the feature union's parts stacked as `FeatureUnion` stacks them, and a one-vs-rest logistic regression's
classes as one matrix product, expit and row normalisation, as `OneVsRestClassifier.predict_proba` computes
them class by class (each column sums a row's products in the same order, so the values are the same).
Anything else (other classifiers, weighted unions) goes through scikit-learn's own `predict_proba`.

>>> import pandas as pd
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.multiclass import OneVsRestClassifier
>>> from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
>>> from newslabel.models.text import CompactTfidf, TextColumn
>>> X = pd.DataFrame({"text": ["rain fell", "goal scored", "vote cast", "rain again", "late goal", "a vote"]})
>>> y = ["weather", "sport", "politics"] * 2
>>> words = make_pipeline(TextColumn(), CompactTfidf())
>>> pipe = Pipeline([("features", FeatureUnion([("word", words)])),
...                  ("clf", OneVsRestClassifier(LogisticRegression(solver="liblinear")))]).fit(X, y)
>>> bool((fast_proba(pipe, X) == pipe.predict_proba(X)).all())
True
"""

from __future__ import annotations

import weakref

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

# a one-vs-rest model -> (its classes' coefficients as the columns of one matrix, their intercepts)
_STACKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def fast_proba(model, X) -> np.ndarray:
    """`model.predict_proba(X)`, through `union_transform` and `ovr_proba` where `model` is a
    Pipeline(FeatureUnion, one-vs-rest logistic regression) (the module docstring)."""
    if not (isinstance(model, Pipeline) and len(model.steps) == 2 and isinstance(model.steps[0][1], FeatureUnion)
            and _is_ovr_logreg(model.steps[1][1])):
        return model.predict_proba(X)
    return ovr_proba(model.steps[1][1], union_transform(model.steps[0][1], X))


def union_transform(union: FeatureUnion, X):
    """`union.transform(X)` for an unweighted union of sparse parts: each part's matrix, stacked as CSR."""
    parts = [t for _, t in union.transformer_list if t not in ("drop", "passthrough")]
    if union.transformer_weights or len(parts) != len(union.transformer_list):
        return union.transform(X)
    blocks = [t.transform(X) for t in parts]
    if not all(sparse.issparse(b) for b in blocks):
        return union.transform(X)
    return sparse.hstack(blocks).tocsr()


def _is_ovr_logreg(clf) -> bool:
    return (isinstance(clf, OneVsRestClassifier) and not clf.multilabel_ and len(clf.estimators_) > 1
            and all(type(e) is LogisticRegression and e.coef_.shape[0] == 1 for e in clf.estimators_))


def ovr_proba(clf: OneVsRestClassifier, X) -> np.ndarray:
    """`clf.predict_proba(X)` of a fitted one-vs-rest binary logistic regression, as one matrix product."""
    coef = _STACKED.get(clf)
    if coef is None:  # once a model, kept beside it (not on it: a model saved after predicting stays as fitted)
        # C order: scipy copies a Fortran-ordered right-hand side on every product (1.7M floats for topic's 17 classes)
        coef = (np.ascontiguousarray(np.vstack([e.coef_ for e in clf.estimators_]).T),
                np.concatenate([e.intercept_ for e in clf.estimators_]))
        _STACKED[clf] = coef
    scores = X @ coef[0] + coef[1]
    Y = expit(np.asarray(scores))
    row_sums = np.sum(Y, axis=1)[:, np.newaxis]
    np.divide(Y, row_sums, out=Y, where=row_sums != 0)
    return Y
