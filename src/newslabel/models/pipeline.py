"""scikit-learn pipelines for the four tasks, built from a model config.

Every pipeline takes a DataFrame (the dataset's columns) and gives calibrated probabilities:
- topic, bias: word and char TF-IDF of the passage -> a linear model; topic with `static` settings
  (configs/train.yaml) inside `topic.TopicHead`, which adds static embeddings of each line for long texts;
- stance: TF-IDF of the headline and of the passage, plus pair overlap features; with
  `two_stage` (the default in configs), a relatedness model on splines of `SimilarityFeatures`
  decides `unrelated`, and the linear model picks agree / disagree / discuss among related pairs;
- role: char/word TF-IDF of the passage plus its page context (`RoleContext`), then an
  optional HMM pass (forward-backward over the page's passage sequence) that smooths roles.

>>> from omegaconf import OmegaConf
>>> cfg = OmegaConf.create({"classifier": "logreg", "C": 1.0, "class_weight": None, "calibration": "none",
...     "word_ngrams": [1, 1], "char_ngrams": [2, 3], "max_features": 1000, "min_df": 1, "sublinear_tf": True})
>>> pipe = build_pipeline("bias", cfg, {}, seed=0)
>>> X = pd.DataFrame({"text": ["a shameful disaster", "the council met", "a disgraceful farce", "rates rose 2%"]})
>>> pipe.fit(X, ["biased", "neutral", "biased", "neutral"]).predict(pd.DataFrame({"text": ["a shameful farce"]})).tolist()
['biased']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, SplineTransformer
from sklearn.svm import LinearSVC

from newslabel.models.body_gate import BodyGate
from newslabel.models.linear import fast_proba
from newslabel.models.role_context import RoleContext
from newslabel.models.sequence import SequenceSmoother
from newslabel.models.text import CompactTfidf, Deduplicated, PairFeatures, SimilarityFeatures, TextColumn


def _tfidf(column: str, cfg, analyzer: str, dedup: bool = False) -> Pipeline:
    ngrams = tuple(cfg.word_ngrams if analyzer == "word" else cfg.char_ngrams)
    vec = CompactTfidf(analyzer=analyzer, ngram_range=ngrams, min_df=cfg.min_df, sublinear_tf=cfg.sublinear_tf,
                          max_features=cfg.max_features, lowercase=True, dtype=np.float32)
    return make_pipeline(TextColumn(column), Deduplicated(vec) if dedup else vec)


def _classifier(cfg, seed: int, min_class_count: int | None = None):
    if cfg.classifier == "logreg" and cfg.get("solver") == "liblinear":
        # one-vs-rest liblinear: on ~100k sparse features lbfgs spends minutes inside its own bookkeeping
        clf = OneVsRestClassifier(LogisticRegression(C=cfg.C, class_weight=cfg.class_weight, solver="liblinear",
                                                     max_iter=2000, random_state=seed))
    elif cfg.classifier == "logreg":
        clf = LogisticRegression(C=cfg.C, class_weight=cfg.class_weight, max_iter=2000, random_state=seed)
    elif cfg.classifier == "linear_svc":
        clf = LinearSVC(C=cfg.C, class_weight=cfg.class_weight, random_state=seed)
    else:
        raise ValueError(f"unknown classifier {cfg.classifier!r}; expected logreg or linear_svc")
    if cfg.calibration in (None, "none"):
        if not hasattr(clf, "predict_proba"):
            raise ValueError("linear_svc gives no probabilities: set model.calibration to sigmoid or isotonic")
        return clf
    # Cross-validated calibration needs every class in every fold: fewer folds for rare classes.
    cv = min(cfg["calibration_cv"], min_class_count or cfg["calibration_cv"])
    if cv < 2 and hasattr(clf, "predict_proba"):
        return clf  # a class with one example: logistic regression's own probabilities
    if cv < 2:
        raise ValueError(f"{cfg.calibration} calibration needs at least 2 training examples of every class")
    # ensemble=False keeps one classifier (fit on all data) and one calibrator: a third of the predict cost.
    return CalibratedClassifierCV(clf, method=cfg.calibration, cv=cv, ensemble=cfg["calibration_ensemble"])


# Config keys (configs/train.yaml tasks.role) -> the estimators' parameters. A key the config leaves out keeps
# the estimator's default: each default is written once, in the estimator's signature.
CONTEXT_KEYS = {"template_dropout": "template_dropout", "use_html": "use_html", "comment_section": "comments"}
GATE_KEYS = ("html_only", "text_weight", "n_jobs", "html_offset", "text_offset")


def given(cfg: dict, keys: dict[str, str]) -> dict:
    """The keyword arguments `cfg` sets, renamed by `keys` (config key -> parameter).

    >>> given({"hmm_prior_power": 0.5, "other": 1}, {"hmm_prior_power": "prior_power", "absent": "x"})
    {'prior_power': 0.5}
    """
    return {param: cfg[key] for key, param in keys.items() if key in cfg}


def build_pipeline(task: str, cfg, task_cfg: dict, seed: int, min_class_count: int | None = None) -> BaseEstimator:
    """The untrained pipeline for a task (see the module docstring for what each reads).

    A model config with `kind: transformer` gives a fine-tuned encoder instead (`transformer.py`).
    """
    if cfg.get("kind", "sklearn") == "transformer":
        from newslabel.models.transformer import TransformerClassifier

        return TransformerClassifier.from_config(task, cfg, seed)
    if task_cfg.get("model"):  # per-task settings of the text model (configs/train.yaml tasks.<task>.model)
        from omegaconf import OmegaConf

        cfg = OmegaConf.merge(OmegaConf.to_container(cfg, resolve=True), task_cfg["model"])
    # Stance pairs repeat each body (FNC-1: ~24 headlines a body): vectorise every distinct text once.
    dedup = bool(task_cfg.get("dedup_texts", False))
    parts = [("word", _tfidf("text", cfg, "word", dedup)), ("char", _tfidf("text", cfg, "char_wb", dedup))]
    if task_cfg.get("char_ngrams", True) is False:
        parts = parts[:1]  # long FNC-1 bodies: char n-grams cost minutes; role's HTML body model: configs/train.yaml
    if task == "stance":
        parts += [("headline", _tfidf("headline", cfg, "word", dedup)), ("pair", PairFeatures())]
        if task_cfg.get("two_stage"):
            parts.append(("similarity", make_pipeline(SimilarityFeatures(), MaxAbsScaler())))
    if task == "role" and task_cfg.get("context"):  # configs/train.yaml turns it on
        ctx = make_pipeline(RoleContext(**given(task_cfg, CONTEXT_KEYS)), MaxAbsScaler())
        parts.append(("context", ctx))
    if task == "role" and cfg.get("html_features"):
        from newslabel.models.dom_features import html_part

        parts.append(html_part(cfg.html_features))
    pipe = Pipeline([("features", FeatureUnion(parts)), ("clf", _classifier(cfg, seed, min_class_count))])
    if task == "topic" and task_cfg.get("static"):  # word n-grams for headlines, static embeddings for bodies
        from newslabel.models.topic import TopicSettings, topic_head

        return topic_head(pipe, TopicSettings(**task_cfg["static"]), seed)
    if task == "stance" and task_cfg.get("two_stage"):
        return TwoStageStance(pipe, seed=seed)
    if task == "role" and task_cfg.get("smoothing", "none") == "hmm":
        pipe = SequenceSmoother(pipe, **given(task_cfg, {"hmm_prior_power": "prior_power"}))
    gate = task_cfg.get("body_gate") or {}
    if task == "role" and gate.get("enabled") and cfg.get("kind", "sklearn") == "sklearn":
        text = _body_model(cfg, gate.get("model"), gate.get("text_overrides"), seed) if gate.get("text") else None
        html_body = _body_model(cfg, gate.get("model"), None, seed, gate.get("char_ngrams", True))
        return BodyGate(pipe, html_body, text, **given(gate, {k: k for k in GATE_KEYS}))
    return pipe


def _body_model(cfg, model: dict | None, overrides: dict | None, seed: int, char_ngrams: bool = True) -> BaseEstimator:
    """A body-or-not model of `BodyGate`: the text model with `model`'s settings (its HTML features), and for the
    text-dump model `overrides` over them, merged as any task's own model settings are."""
    if overrides:
        from omegaconf import OmegaConf

        model = OmegaConf.merge(model or {}, overrides)
    return build_pipeline("role", cfg, {"context": False, "smoothing": "none", "model": model, "char_ngrams": char_ngrams},
                          seed)


class TwoStageStance(BaseEstimator, ClassifierMixin):
    """Stance in two steps: related or not, then which stance among the related.

    Step one is a logistic regression on splines of the dense `SimilarityFeatures` (cosines and overlaps
    of the headline with the passage and its context): relatedness is a non-linear function of a few
    similarities, and splines let a linear model bend with it (cheap, unlike boosting, on 2 busy cores). Step two, `estimator`, is fitted on the related rows only. Probabilities combine as
    p(unrelated) = 1 - p(related) and p(s) = p(related) * p(s | related).
    """

    def __init__(self, estimator, seed: int = 0, unrelated: str = "unrelated"):
        self.estimator = estimator
        self.seed = seed
        self.unrelated = unrelated

    def fit(self, X: pd.DataFrame, y):
        y = np.asarray(y)
        self.similarity_ = SimilarityFeatures().fit(X)
        related = y != self.unrelated
        self.relatedness_ = make_pipeline(SplineTransformer(n_knots=6, degree=3, extrapolation="constant"),
                                          LogisticRegression(C=1.0, max_iter=2000, random_state=self.seed))
        self.relatedness_.fit(self.similarity_.transform(X).toarray(), related)
        self.stance_ = clone(self.estimator).fit(X[related].reset_index(drop=True), y[related])
        self.classes_ = np.array(sorted({*self.stance_.classes_, self.unrelated}))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p_rel = self.relatedness_.predict_proba(self.similarity_.transform(X).toarray())[:, 1]
        inner = fast_proba(self.stance_, X)
        out = np.zeros((len(X), len(self.classes_)))
        where = {c: k for k, c in enumerate(self.classes_)}
        for j, c in enumerate(self.stance_.classes_):
            out[:, where[c]] = p_rel * inner[:, j]
        out[:, where[self.unrelated]] = 1 - p_rel
        return out

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
