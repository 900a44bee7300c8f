"""`BodyGate`: the role model as a six-role model plus a body-or-not model that has read many more real pages.

The sample's pages are labelled with all six roles; the public extraction sets (webextract, extraction-merged)
say only whether a passage is body (``boilerplate`` otherwise). So the six-role model (`roles`) is fit on the
pages labelled with roles, and the body model (`body`, a binary classifier) on every page. On a page with
HTML the body model's probability replaces the six-role model's p(body), and the other roles share the rest
in the six-role model's proportions:

    p(body) = g,    p(r) = (1 - g) * p_roles(r) / (1 - p_roles(body))    for r != body

On a text dump (no HTML) a second body model, `text_body`, fit on the same rows with their HTML taken
away (the dumps of those pages), is averaged with the six-role model's p(body), `text_weight` its share:
the six-role model knows the sample's aggregator dumps, the text model the public sets' pages. Without it
(``text_body=None``) text dumps keep the six-role model's probabilities.

>>> p = np.array([[0.6, 0.3, 0.1]])    # classes body, chrome, title
>>> mix_body(p, np.array([0.2]), 0).round(3).tolist()
[[0.2, 0.6, 0.2]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from newslabel.ingest.files import HTML_SUFFIXES
from newslabel.models.inputs import strings

BODY = "body"
COARSE = "boilerplate"  # the extraction sets' name for everything that is not body
HTML_COLUMNS = ("html", "source_path", "tag", "tag_path", "class_tokens", "link_density")  # what a dump lacks


def mix_body(p: np.ndarray, gate: np.ndarray, body: int) -> np.ndarray:
    """The six-role probabilities `p` with column `body` set to `gate` and the others rescaled to 1 - gate."""
    out = p.astype(float).copy()
    rest = 1.0 - out[:, body]
    others = np.delete(np.arange(out.shape[1]), body)
    share = np.where(rest[:, None] > 1e-9, out[:, others] / np.maximum(rest, 1e-9)[:, None], 1.0 / len(others))
    out[:, others] = share * (1.0 - gate)[:, None]
    out[:, body] = gate
    return out


def shift_odds(p: np.ndarray, offset: float) -> np.ndarray:
    """`p` with `offset` added to its log-odds: > 0 leans to body, < 0 away from it; 0 leaves it as it is.

    >>> shift_odds(np.array([0.5, 0.2]), np.log(4)).round(3).tolist()
    [0.8, 0.5]
    """
    if not offset:
        return p
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return 1.0 / (1.0 + (1 - q) / q * np.exp(-offset))


def has_html(X: pd.DataFrame) -> np.ndarray:
    """Per row: does its page come with HTML (an `html` cell, else a `source_path` naming an HTML file)?"""
    html = np.array([len(h) > 0 for h in strings(X, "html")], bool) if "html" in X else np.zeros(len(X), bool)
    if "source_path" in X:
        paths = X["source_path"].fillna("").astype(str).str.lower().str.removesuffix(".gz")
        html |= paths.str.endswith(HTML_SUFFIXES).to_numpy()  # ingest's rule for an HTML file
    return html


def text_view(X: pd.DataFrame) -> pd.DataFrame:
    """The rows as a text dump of their pages gives them: the passages without their HTML and DOM columns."""
    return X.drop(columns=[c for c in HTML_COLUMNS if c in X.columns])


def _fit(model, X: pd.DataFrame, y: np.ndarray):
    return model.fit(X, y)


def _p_body(model, X: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(X.reset_index(drop=True))[:, list(model.classes_).index(BODY)]


class BodyGate(BaseEstimator, ClassifierMixin):
    """Six roles from `roles`, p(body) from `body` on pages with HTML (see the module docstring)."""

    def __init__(self, roles, body, text_body=None, html_only: bool = True, text_weight: float = 0.5,
                 n_jobs: int | None = None, html_offset: float = 0.0, text_offset: float = 0.0):
        self.roles = roles
        self.body = body
        self.text_body = text_body
        self.html_only = html_only
        self.text_weight = text_weight
        self.n_jobs = n_jobs
        self.html_offset = html_offset
        self.text_offset = text_offset

    def fit(self, X: pd.DataFrame, y):
        y = np.asarray(y, dtype=object)
        coarse_pages = set(X.loc[y == COARSE, "doc_id"])
        fine = ~X["doc_id"].isin(coarse_pages).to_numpy()
        if not fine.any():
            raise ValueError("BodyGate: no page is labelled with the six roles (every page has `boilerplate` rows); "
                             "train with tasks.role.body_gate.enabled=false")
        from joblib import Parallel, delayed

        coarse = np.where(y == BODY, BODY, COARSE)
        fits = [(self.body, X, coarse), (self.roles, X[fine].reset_index(drop=True), y[fine])]  # longest first
        if self.text_body is not None:
            fits.append((self.text_body, text_view(X), coarse))
        # The models are independent: on n_jobs processes the text model's fit hides behind the body model's.
        fitted = Parallel(n_jobs=self.n_jobs)(delayed(_fit)(clone(m), Xm, ym) for m, Xm, ym in fits)
        self.body_, self.roles_ = fitted[:2]
        self.text_body_ = fitted[2] if self.text_body is not None else None
        self.classes_ = self.roles_.classes_
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.roles_.predict_proba(X)
        body = list(self.classes_).index(BODY)
        html = has_html(X) if self.html_only else np.ones(len(X), bool)
        if html.any():
            gate = shift_odds(_p_body(self.body_, X[html]), self.html_offset)
            p[html] = mix_body(p[html], gate, body)
        text_body = self.text_body_
        if text_body is not None and (~html).any():
            w = self.text_weight
            gate = w * _p_body(text_body, text_view(X[~html])) + (1 - w) * p[~html, body]
            p[~html] = mix_body(p[~html], shift_odds(gate, self.text_offset), body)
        return p

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
