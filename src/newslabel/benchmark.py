"""Benchmarks on the public sets: our models against peers and baselines on the same test items.

`python -m src.benchmark NAME|all [--limit N]` runs `run_benchmark` for webextract, bbc, agnews, fnc1 and
babe (configs/benchmark.yaml). Each benchmark

- trains our model with `train.fit_task` from the composed training config (`ours[].overrides`, the overrides
  of `python -m src.train`) on the set's training split only, and predicts its test split;
- scores the peers and baselines on the same test items in the same run;
- logs one MLflow run per system in the experiment ``benchmark-NAME``, every run with the same metric names
  (``seconds_per_item`` and ``cpu_seconds_per_item`` included), so the UI's compare view is the table;
- adds the README's published figures as runs tagged ``measured=false`` (rows marked *published*).

Each full run also writes the committed result file ``benchmarks/results/NAME.json`` (`save_result`): every
figure with its 95% interval, validation metrics where our model holds out a validation split, the command, the
git commit, the date, the machine and the package versions. `write_docs` renders docs/benchmarks.md from those
files only (a table per benchmark; ``NAME-gpu.json`` below it), so running one benchmark rewrites its own section
and the others keep theirs. Neither file is edited by hand.

webextract is scored at passage level by the README's rule (`peers.score_passages`): a peer's output text,
or the body text our model predicts, marks a passage as body when it covers at least half its tokens. Our
model predicts the README's passages directly, so its decisions are scored as they are.

>>> m = passage_metrics([True, True, False, False], [True, False, True, False])
>>> m["precision_body"], m["recall_body"], m["body_f1"], m["accuracy"]
(0.5, 0.5, 0.5, 0.5)
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from .config import CONFIG_DIR, ROOT

BENCHMARKS = ("webextract", "bbc", "agnews", "fnc1", "babe")
RESULTS_DIR = ROOT / "benchmarks" / "results"
RESULT_FORMAT = 1
STANCE_LABELS = ("agree", "disagree", "discuss", "unrelated")

# Table columns per benchmark: (metric, header, format). The runs carry these metric names.
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "webextract": [("precision_body", "P", ".3f"), ("recall_body", "R", ".3f"), ("body_f1", "body F1", ".3f"),
                   ("body_f1_ci", "F1 95% CI (pages)", ""), ("macro_f1", "macro-F1", ".3f"),
                   ("accuracy", "accuracy", ".3f"), ("seconds_per_item", "s/page", ".4f"),
                   ("cpu_seconds_per_item", "CPU s/page", ".4f")],
    "bbc": [("accuracy", "accuracy", ".4f"), ("accuracy_ci", "accuracy 95% CI", ""), ("macro_f1", "macro-F1", ".4f"),
            ("seconds_per_item", "s/article", ".5f"),
            ("cpu_seconds_per_item", "CPU s/article", ".5f"), ("fit_seconds", "fit s", ".1f")],
    "agnews": [("accuracy", "accuracy", ".4f"), ("accuracy_ci", "accuracy 95% CI", ""), ("macro_f1", "macro-F1", ".4f"),
               ("seconds_per_item", "s/item", ".5f"),
               ("cpu_seconds_per_item", "CPU s/item", ".5f"), ("fit_seconds", "fit s", ".1f")],
    "fnc1": [("fnc_score", "FNC score", ".2f"), ("fnc_relative", "relative", ".4f"),
             ("fnc_relative_ci", "relative 95% CI", ""), ("macro_f1", "macro-F1", ".3f"),
             ("f1_agree", "F1 agree", ".3f"), ("f1_disagree", "F1 disagree", ".3f"), ("f1_discuss", "F1 discuss", ".3f"),
             ("f1_unrelated", "F1 unrelated", ".3f"), ("accuracy", "accuracy", ".3f"),
             ("seconds_per_item", "s/pair", ".5f"), ("cpu_seconds_per_item", "CPU s/pair", ".5f"),
             ("fit_seconds", "fit s", ".1f")],
    "babe": [("macro_f1", "test macro-F1", ".3f"), ("macro_f1_ci", "95% CI", ""), ("f1_biased", "test F1 biased", ".3f"),
             ("accuracy", "test accuracy", ".3f"), ("cv_macro_f1", "CV macro-F1", ".3f"),
             ("cv_macro_f1_std", "CV std", ".3f"), ("seconds_per_item", "s/sentence", ".5f"),
             ("cpu_seconds_per_item", "CPU s/sentence", ".5f"), ("fit_seconds", "fit s", ".1f")],
}
KIND_ORDER = {"ours": 0, "peer": 1, "baseline": 2, "published": 3}
CI_COLUMNS = ("body_f1_ci", "accuracy_ci", "macro_f1_ci", "fnc_relative_ci")  # rendered from <m>_ci_low/_high


class Skipped(Exception):
    """A benchmark's data is not there; the message says which folder is missing."""


@dataclass
class Row:
    system: str
    kind: str  # ours | peer | baseline | published
    metrics: dict[str, float]
    params: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    note: str = ""
    errors: str = ""  # what the errors look like (ours): the commonest confusions, or missed / false body
    validation: dict[str, float] = field(default_factory=dict)  # ours, where a validation split is held out


@dataclass
class Report:
    name: str
    rows: list[Row]
    meta: dict[str, str]


# -- configuration ----------------------------------------------------------------------------
def load_config(path: Path | None = None) -> DictConfig:
    return OmegaConf.load(path or CONFIG_DIR / "benchmark.yaml")


def default_shared() -> Path:
    return ROOT.parent / "shared"


# -- metrics ---------------------------------------------------------------------------------
def passage_metrics(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    """Passage-level (micro) P/R/F1 of the body class, boilerplate F1, macro-F1 and accuracy."""
    g, p = np.asarray(gold, dtype=bool), np.asarray(pred, dtype=bool)
    tp, fp, fn, tn = int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum()), int((~g & ~p).sum())
    return _counts_metrics(tp, fp, fn, tn)


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _counts_metrics(tp: int, fp: int, fn: int, tn: int) -> dict[str, float]:
    body, boiler = _f1(tp, fp, fn), _f1(tn, fn, fp)
    n = tp + fp + fn + tn
    return {
        "precision_body": tp / (tp + fp) if tp + fp else 0.0,
        "recall_body": tp / (tp + fn) if tp + fn else 0.0,
        "body_f1": body,
        "f1_boilerplate": boiler,
        "macro_f1": (body + boiler) / 2,
        "accuracy": (tp + tn) / n if n else 0.0,
    }


def page_bootstrap(gold: list[bool], pred: list[bool], pages: list[str], n: int, seed: int = 0) -> tuple[float, float]:
    """95% interval of body F1 over pages resampled with replacement (n resamples)."""
    frame = pd.DataFrame({"g": np.asarray(gold, bool), "p": np.asarray(pred, bool), "page": pages})
    counts = frame.assign(tp=frame.g & frame.p, fp=~frame.g & frame.p, fn=frame.g & ~frame.p)
    per_page = counts.groupby("page", sort=False)[["tp", "fp", "fn"]].sum().to_numpy(dtype=float)
    if n <= 0 or len(per_page) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(per_page), size=(n, len(per_page)))
    sums = per_page[idx].sum(axis=1)
    tp, fp, fn = sums[:, 0], sums[:, 1], sums[:, 2]
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0)
    return float(np.percentile(f1, 2.5)), float(np.percentile(f1, 97.5))


def item_bootstrap(gold: list[str], pred: list[str], labels: list[str], n: int, seed: int = 0,
                   fnc: bool = False) -> dict[str, float]:
    """95% intervals of accuracy and macro-F1 (over `labels`; FNC-1: also the relative score) over test items
    resampled with replacement: {metric_ci_low, metric_ci_high}.

    >>> ci = item_bootstrap(["a", "b"], ["a", "a"], ["a", "b"], 500, seed=1)
    >>> ci["accuracy_ci_low"], ci["accuracy_ci_high"]
    (0.0, 1.0)
    """
    index = {lab: k for k, lab in enumerate(labels)}
    g = np.asarray([index[x] for x in gold])
    p = np.asarray([index.get(x, len(labels)) for x in pred])
    if n <= 0 or len(g) < 2:
        return {}
    k = len(labels) + 1
    rng = np.random.default_rng(seed)
    acc, macro, rel = np.empty(n), np.empty(n), np.empty(n)
    related = np.asarray([lab != "unrelated" for lab in labels] + [False])
    for b in range(n):
        idx = rng.integers(0, len(g), size=len(g))
        cm = np.bincount(g[idx] * k + p[idx], minlength=k * k).reshape(k, k)[: len(labels)]
        tp = np.diag(cm[:, : len(labels)]).astype(float)
        support, predicted = cm.sum(axis=1), cm[:, : len(labels)].sum(axis=0)
        present = (support + predicted) > 0
        f1 = np.where(present, 2 * tp / np.maximum(support + predicted, 1), 0.0)
        acc[b], macro[b] = tp.sum() / len(g), f1[present].mean() if present.any() else 0.0
        if fnc:
            gi, pi = g[idx], p[idx]
            same_side = related[gi] == related[pi]
            score = 0.25 * same_side + 0.75 * (same_side & related[gi] & (gi == pi))
            rel[b] = score.sum() / np.where(related[gi], 1.0, 0.25).sum()
    out = {}
    for name, values in (("accuracy", acc), ("macro_f1", macro), *((("fnc_relative", rel),) if fnc else ())):
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = (float(np.percentile(values, 2.5)),
                                                          float(np.percentile(values, 97.5)))
    return out


def confusions(gold: list[str], pred: list[str], top: int = 4) -> str:
    """The commonest errors as `gold→predicted count`, after the error count.

    >>> confusions(["a", "a", "b", "c", "c"], ["a", "b", "b", "a", "b"])
    '3 of 5 wrong: a→b 1, c→a 1, c→b 1'
    """
    pairs = pd.Series([f"{g}→{p}" for g, p in zip(gold, pred) if g != p], dtype=object)
    counts = pairs.value_counts(sort=False).sort_index().sort_values(ascending=False, kind="stable").head(top)
    head = f"{len(pairs)} of {len(gold)} wrong"
    return head + (": " + ", ".join(f"{k} {v}" for k, v in counts.items()) if len(pairs) else "")


def body_errors(gold: list[bool], pred: list[bool], test: pd.DataFrame, top: int = 3) -> str:
    """Missed and false body passages, each with its commonest HTML tags and median length in tokens."""
    g, p = np.asarray(gold, bool), np.asarray(pred, bool)
    tags = test["tag"].fillna("").astype(str).replace("", "?").to_numpy() if "tag" in test else np.full(len(g), "?")
    tokens = test["text"].astype(str).str.split().str.len().to_numpy()
    parts = []
    for what, mask in (("missed body", g & ~p), ("false body", ~g & p)):
        common = pd.Series(tags[mask], dtype=object).value_counts().head(top)
        median = int(np.median(tokens[mask])) if mask.any() else 0
        parts.append(f"{what} {int(mask.sum())} (tags {', '.join(f'{k} {v}' for k, v in common.items()) or '—'}; "
                     f"median {median} tokens)")
    return "; ".join(parts)


def label_metrics(gold: list[str], pred: list[str], labels: list[str]) -> dict[str, float]:
    """accuracy, macro_f1 and f1_<label> (evaluate.metrics without a prefix)."""
    from .evaluate import metrics

    return metrics(list(gold), list(pred), list(labels), prefix="")


def stance_metrics(gold: list[str], pred: list[str]) -> dict[str, float]:
    """The official FNC-1 score (raw and relative to the maximum), macro-F1 over the four classes, per-class F1."""
    from .evaluate import fnc_score

    raw, best = fnc_score(list(gold), list(pred))
    out = label_metrics(gold, pred, list(STANCE_LABELS))
    from sklearn.metrics import f1_score

    out["macro_f1"] = float(f1_score(list(gold), list(pred), labels=list(STANCE_LABELS), average="macro",
                                     zero_division=0))
    out.update(fnc_score=raw, fnc_max=best, fnc_relative=raw / best if best else 0.0)
    return out


# -- data ------------------------------------------------------------------------------------
def load_data(name: str, bench: DictConfig, shared: Path) -> dict[str, pd.DataFrame]:
    """{train, validation, test} frames of a benchmark's set, read in place from shared/data/<folder>."""
    from .importers import IMPORTERS, MissingDataError

    root = Path(shared) / "data" / bench.folder
    if not root.is_dir():
        raise Skipped(f"skipped {name}: {root} not found (the {name} data lives in ../shared/data/{bench.folder}, "
                      "beside the checkout)")
    try:
        splits = IMPORTERS[name](root)[bench.task]
    except MissingDataError as exc:
        raise Skipped(f"skipped {name}: {exc}") from None
    return {s: pd.DataFrame(rows).reset_index(drop=True) for s, rows in splits.items()}


def limit_frames(frames: dict[str, pd.DataFrame], limit: int, by_page: bool) -> dict[str, pd.DataFrame]:
    """A smoke-run subset: the first `limit` pages (by_page) or at most `limit` rows of each label, per split."""
    if not limit:
        return frames
    out = {}
    for split, df in frames.items():
        if not len(df):
            out[split] = df
        elif by_page:
            keep = list(dict.fromkeys(df["doc_id"]))[:limit]
            out[split] = df[df["doc_id"].isin(keep)].reset_index(drop=True)
        else:
            out[split] = df.groupby("label", sort=False, group_keys=False).head(limit).reset_index(drop=True)
    return out


def label_names(task: str, frames: dict[str, pd.DataFrame]) -> list[str]:
    from .schema import TASKS

    known = TASKS[task].names if task in TASKS else ()
    present = {lab for df in frames.values() if len(df) for lab in df["label"]}
    return sorted(present, key=lambda x: (known.index(x) if x in known else len(known), x))


# -- our model -------------------------------------------------------------------------------
@contextmanager
def _html_wiring():
    """Make `train.build_pipeline` honour a model config's ``html_features`` (see html_features.ensure_wired).

    A no-op once models.build_pipeline wires the html part itself.
    """
    from . import train as train_mod
    from .html_features import ensure_wired

    original = train_mod.build_pipeline

    def build(task, cfg, task_cfg, seed, min_class_count=None):
        pipe = original(task, cfg, task_cfg, seed, min_class_count)
        if task == "role" and cfg.get("html_features") and cfg.get("kind", "sklearn") == "sklearn":
            ensure_wired(pipe, cfg.html_features)
        return pipe

    train_mod.build_pipeline = build
    try:
        yield
    finally:
        train_mod.build_pipeline = original


def compose_ours(system: DictConfig, shared: Path, limit: int = 0) -> DictConfig:
    """The training config of one of our systems; a smoke run (limit) adds its `smoke_overrides`."""
    from .config import compose

    smoke = list(system.get("smoke_overrides", [])) if limit else []
    return compose("train", [*system.overrides, *smoke, f"paths.shared={shared}"])


def text_only(df: pd.DataFrame) -> pd.DataFrame:
    """The passages as a plain-text dump gives them: no HTML tag, no <title>; the title is read from the text."""
    from .passages import text_metadata

    out = df.copy()
    for col in ("tag", "tag_path", "class_tokens"):
        if col in out:
            out[col] = ""
    if "link_density" in out:
        out["link_density"] = 0.0
    if "source_path" in out:
        out["source_path"] = ""
    titles = {doc: text_metadata(list(g["text"]))[0] for doc, g in out.groupby("doc_id", sort=False)}
    out["title"] = pd.Series([titles[d] for d in out["doc_id"]], index=out.index, dtype=object)
    return out


def fit_ours(system: DictConfig, cfg: DictConfig, train: pd.DataFrame, validation: pd.DataFrame,
             labels: list[str]):
    """Fit our model as `python -m src.train` would; returns (model, fit wall seconds, validation metrics).

    The validation metrics (`train.fit_task`'s ``val_*``) are empty when the validation rows were trained on.
    """
    from .train import fit_task

    task = cfg.task.names[0]
    data = {"train": train, "validation": validation, "test": train.iloc[:0]}
    with _html_wiring():
        model, result, _ = fit_task(task, cfg, data, labels)
    return model, float(result["fit_seconds"]), {k: float(v) for k, v in result.items() if k.startswith("val_")}



def predict_timed(model, df: pd.DataFrame) -> tuple[np.ndarray, float, float]:
    """(predicted labels, wall seconds, CPU seconds) for a frame."""
    from .train import inputs

    wall, cpu = time.perf_counter(), time.process_time()
    proba = model.predict_proba(inputs(df))
    pred = np.asarray(model.classes_)[np.asarray(proba).argmax(axis=1)]
    return pred, time.perf_counter() - wall, time.process_time() - cpu


def _split_for_ours(system: DictConfig, frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, validation): the whole training part, or train with validation held out for early stopping."""
    if system.get("hold_out_validation", False):
        validation = frames["validation"]
        sample = int(system.get("validation_sample", 0) or 0)
        if sample and len(validation) > sample:  # early stopping reads a sample anyway; metrics on all cost time
            share = sample / len(validation)
            validation = (validation.groupby("label", group_keys=False, sort=False)
                          .sample(frac=share, random_state=0).sort_index().reset_index(drop=True))
        return frames["train"], validation
    train = pd.concat([frames["train"], frames["validation"]], ignore_index=True)
    return train, frames["validation"].iloc[:0]


def _ours_params(system: DictConfig, cfg: DictConfig, n_train: int, n_test: int) -> dict[str, str]:
    return {"train_command": "python -m src.train " + " ".join(system.overrides),
            "model": str(cfg.model.name), "model_config": OmegaConf.to_yaml(cfg.model)[:5000],
            "task_config": OmegaConf.to_yaml(cfg.tasks.get(cfg.task.names[0], {}))[:2000],
            "n_train": str(n_train), "n_test": str(n_test),
            "hold_out_validation": str(bool(system.get("hold_out_validation", False)))}


# -- webextract ------------------------------------------------------------------------------
def _read_page(path: str) -> str:
    return gzip.decompress(Path(path).read_bytes()).decode("utf-8")


def _peer_predict(peer: DictConfig, texts: list[str], html: str) -> tuple[list[bool], float, float]:
    from . import peers

    wall, cpu = time.perf_counter(), time.process_time()
    if peer.tool == "heuristic":
        pred = peers.heuristic(texts)
        return pred, time.perf_counter() - wall, time.process_time() - cpu
    if peer.tool == "trafilatura":
        out = peers.trafilatura_text(html, favor_precision=bool(peer.get("favor_precision", True)),
                                     favor_recall=bool(peer.get("favor_recall", False)),
                                     include_comments=bool(peer.get("include_comments", False)))
    else:
        out = peers.EXTRACTORS[peer.tool](html)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return peers.score_passages(texts, out), wall, cpu


def run_webextract(bench: DictConfig, frames: dict[str, pd.DataFrame], shared: Path, conf: DictConfig,
                   log=print, limit: int = 0) -> list[Row]:
    test = frames["test"]
    gold = (test["label"] == "body").tolist()
    pages = test["doc_id"].tolist()
    n_pages = test["doc_id"].nunique()
    labels = label_names("role", frames)
    rows = []

    def scored(system, kind, pred, wall, cpu, params, targets=None, extra=None):
        m = passage_metrics(gold, pred)
        m["body_f1_ci_low"], m["body_f1_ci_high"] = page_bootstrap(gold, pred, pages, int(conf.bootstrap),
                                                                   int(conf.seed))
        m.update(seconds_per_item=wall / n_pages, cpu_seconds_per_item=cpu / n_pages, n_items=float(n_pages),
                 n_passages=float(len(test)), **(extra or {}))
        log(f"  {system}: body F1 {m['body_f1']:.4f} ({m['seconds_per_item']:.4f} s/page)")
        return Row(system, kind, m, params, dict(targets or {}))

    for system in bench.ours:
        cfg = compose_ours(system, shared, limit)
        text_mode = system.get("input", "html") == "text"
        prep = text_only if text_mode else (lambda df: df)
        train, validation = _split_for_ours(system, frames)
        model, fit_s, val = fit_ours(system, cfg, prep(train), prep(validation), labels)
        pred, wall, cpu = predict_timed(model, prep(test))
        params = {**_ours_params(system, cfg, len(train), len(test)), "input": "text" if text_mode else "html"}
        row = scored(system.system, "ours", (pred == "body").tolist(), wall, cpu, params, system.get("targets"),
                     {"fit_seconds": fit_s})
        row.errors = body_errors(gold, (pred == "body").tolist(), test)
        row.validation = val
        rows.append(row)

    page_frames = list(test.groupby("doc_id", sort=False))
    htmls = {doc: _read_page(g["source_path"].iloc[0]) for doc, g in page_frames}
    from .peers import versions

    for peer in bench.peers:
        pred, wall, cpu = [], 0.0, 0.0
        for doc, g in page_frames:
            p, w, c = _peer_predict(peer, g["text"].tolist(), htmls[doc])
            pred.extend(p)
            wall, cpu = wall + w, cpu + c
        settings = {k: str(v) for k, v in peer.items() if k != "system"}
        params = {**settings, "version": versions().get({"readability": "readability-lxml"}.get(peer.tool, peer.tool),
                                                          "")}
        rows.append(scored(peer.system, "peer", pred, wall, cpu, params, extra={"fit_seconds": 0.0}))
    return rows


# -- topic and bias baselines ----------------------------------------------------------------
def tfidf_lr(train: pd.DataFrame, test: pd.DataFrame, spec: DictConfig, seed: int):
    """Word 1-2-gram TF-IDF (sublinear, min_df, accents stripped, lower-cased) + LogisticRegression (lbfgs)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    strip = spec.get("strip_accents", "unicode")
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=int(spec.get("min_df", 2)), strip_accents=strip,
                        lowercase=True),
        LogisticRegression(C=float(spec.C), max_iter=2000, random_state=seed),
    )
    start = time.perf_counter()
    model.fit(train["text"].tolist(), train["label"].to_numpy())
    fit_s = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    pred = model.predict(test["text"].tolist())
    return pred, fit_s, time.perf_counter() - wall, time.process_time() - cpu


def fnc_tfidf_lr(train: pd.DataFrame, test: pd.DataFrame, spec: DictConfig, seed: int):
    """The README's floor: TF-IDF (English stop words, sublinear) of headline and body, their cosine -> LR."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def features(vec, df):
        heads = vec.transform(df["headline"].tolist())
        uniq = list(dict.fromkeys(df["text"]))
        bodies_u = vec.transform(uniq)
        where = pd.Series(range(len(uniq)), index=uniq)
        bodies = bodies_u[where.loc[df["text"]].to_numpy()]
        cos = np.asarray(heads.multiply(bodies).sum(axis=1))
        return sparse.hstack([heads, bodies, sparse.csr_matrix(cos)], format="csr")

    start = time.perf_counter()
    vec = TfidfVectorizer(max_features=int(spec.max_features), stop_words="english", sublinear_tf=True)
    vec.fit(train["headline"].tolist() + list(dict.fromkeys(train["text"])))
    clf = LogisticRegression(max_iter=1000, class_weight=spec.get("class_weight"), random_state=seed)
    clf.fit(features(vec, train), train["label"].to_numpy())
    fit_s = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    pred = clf.predict(features(vec, test))
    return pred, fit_s, time.perf_counter() - wall, time.process_time() - cpu


BASELINES = {"tfidf_lr": tfidf_lr, "fnc_tfidf_lr": fnc_tfidf_lr}


def _score(name: str, gold, pred, labels: list[str]) -> dict[str, float]:
    if name == "fnc1":
        return stance_metrics(gold, pred)
    m = label_metrics(gold, pred, labels)
    return m


def run_labels(name: str, bench: DictConfig, frames: dict[str, pd.DataFrame], shared: Path, conf: DictConfig,
               log=print, limit: int = 0) -> list[Row]:
    """topic (bbc, agnews), stance (fnc1) and bias (babe): ours, then the baselines, on the test split."""
    test = frames["test"]
    gold = test["label"].tolist()
    labels = label_names(bench.task, frames)
    n = len(test)
    rows = []
    folds = int(bench.get("cv_folds", 0) or 0)
    everything = pd.concat([frames[s] for s in ("train", "validation", "test")], ignore_index=True)

    def finish(system, kind, pred, fit_s, wall, cpu, params, targets=None, cv=None):
        m = _score(name, gold, [str(p) for p in pred], labels)
        m.update(seconds_per_item=wall / n, cpu_seconds_per_item=cpu / n, fit_seconds=fit_s, n_items=float(n))
        m.update(item_bootstrap(gold, [str(p) for p in pred], labels, int(conf.bootstrap), int(conf.seed),
                                fnc=name == "fnc1"))
        if cv is not None:
            m.update(cv_macro_f1=float(np.mean(cv)), cv_macro_f1_std=float(np.std(cv)),
                     **{f"cv_fold{k}_macro_f1": v for k, v in enumerate(cv)})
        shown = "fnc_relative" if name == "fnc1" else "accuracy" if bench.task == "topic" else "macro_f1"
        log(f"  {system}: {shown} {m[shown]:.4f} ({m['seconds_per_item']:.5f} s/item, fit {fit_s:.0f} s)")
        return Row(system, kind, m, params, dict(targets or {}))

    for system in bench.ours:
        cfg = compose_ours(system, shared, limit)
        train, validation = _split_for_ours(system, frames)
        model, fit_s, val = fit_ours(system, cfg, train, validation, labels)
        pred, wall, cpu = predict_timed(model, test)
        cv = None
        do_cv = bool(folds) and bool(system.get("cv", True))
        params = {**_ours_params(system, cfg, len(train), n), "cv": str(do_cv)}
        if do_cv:
            cv = []
            for k, (tr, te) in enumerate(cv_splits(everything, folds)):
                m_k, _, _ = fit_ours(system, cfg, tr, tr.iloc[:0], labels)
                p_k, _, _ = predict_timed(m_k, te)
                cv.append(_score(name, te["label"].tolist(), [str(p) for p in p_k], labels)["macro_f1"])
                log(f"    fold {k}: macro-F1 {cv[-1]:.4f}")
        row = finish(system.system, "ours", pred, fit_s, wall, cpu, params, system.get("targets"), cv)
        row.errors = confusions(gold, [str(p) for p in pred])
        row.validation = val
        rows.append(row)

    train_all = pd.concat([frames["train"], frames["validation"]], ignore_index=True)
    for spec in bench.get("baselines", []):
        params = {**{k: str(v) for k, v in spec.items() if k != "system"}, "cv": str(bool(folds))}
        if spec.kind == "constant":
            wall, cpu = time.perf_counter(), time.process_time()
            pred = [spec.label] * n
            rows.append(finish(spec.system, "baseline", pred, 0.0, time.perf_counter() - wall,
                               time.process_time() - cpu, params))
            continue
        fit = BASELINES[spec.kind]
        pred, fit_s, wall, cpu = fit(train_all, test, spec, int(conf.seed))
        cv = None
        if folds:
            cv = []
            for tr, te in cv_splits(everything, folds):
                p_k = fit(tr, te, spec, int(conf.seed))[0]
                cv.append(_score(name, te["label"].tolist(), [str(p) for p in p_k], labels)["macro_f1"])
        rows.append(finish(spec.system, "baseline", pred, fit_s, wall, cpu, params, cv=cv))
    return rows


def cv_splits(frame: pd.DataFrame, folds: int):
    """Grouped cross-validation over the `cv_fold` column: (train, test) for each fold."""
    for k in range(folds):
        test = frame["cv_fold"] == k
        yield frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


# -- running and tracking --------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "n/a"
    return {"cores": str(os.cpu_count()), "cpu": cpu, "os": f"{platform.system()} {platform.release()}",
            "load_average_at_start": load}


def code_commit(root: Path) -> str:
    """HEAD, with ``-dirty`` when tracked files differ from it; the benchmark outputs themselves do not count, so
    a run of several benchmarks records the same commit for each."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":!docs/benchmarks.md", ":!benchmarks/results"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if dirty else "") if head.returncode == 0 else "unknown"


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("newslabel", "scikit-learn", "numpy", "pandas", "lxml", "mlflow", "trafilatura", "readability-lxml",
                "justext", "torch", "transformers"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return out


def run_benchmark(name: str, *, shared: Path | None = None, limit: int = 0, mlruns: Path | None = None,
                  command: str | None = None, conf: DictConfig | None = None, log=print) -> Report:
    """Run one benchmark, log its runs to MLflow (``benchmark-NAME``) and return the report."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)} or all")
    conf = conf or load_config()
    bench = conf.benchmarks[name]
    shared = Path(shared or default_shared())
    frames = limit_frames(load_data(name, bench, shared), limit, by_page=name == "webextract")
    started = datetime.now(UTC)
    meta = {"benchmark": name, "batch": uuid.uuid4().hex[:12], "date": started.strftime("%Y-%m-%d %H:%M UTC"),
            "git_commit": code_commit(ROOT),
            "command": command or f"python -m src.benchmark {name}" + (f" --limit {limit}" if limit else ""),
            "limit": str(limit), **{f"machine.{k}": v for k, v in machine().items()},
            **{f"version.{k}": v for k, v in package_versions().items()},
            "n_train": str(len(frames["train"]) + len(frames["validation"])), "n_test": str(len(frames["test"])),
            "n_test_items": str(frames["test"]["doc_id"].nunique() if name == "webextract" else len(frames["test"])),
            "item": str(bench.item)}
    log(f"{name}: {meta['n_train']} training rows, {meta['n_test']} test rows")
    wall = time.perf_counter()
    if name == "webextract":
        rows = run_webextract(bench, frames, shared, conf, log, limit)
    else:
        rows = run_labels(name, bench, frames, shared, conf, log, limit)
    for pub in bench.get("published", []):
        rows.append(Row(pub.system, "published", {k: float(v) for k, v in pub.metrics.items()},
                        note="published, not measured"))
    meta["wall_seconds"] = f"{time.perf_counter() - wall:.0f}"
    try:
        meta["machine.load_average_at_end"] = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        pass
    report = Report(name, rows, meta)
    log_report(report, mlruns or ROOT / "mlruns", conf)
    return report


def log_report(report: Report, mlruns: Path, conf: DictConfig) -> None:
    """One MLflow run per row in ``benchmark-NAME``; every run carries the batch's metadata as tags."""
    import mlflow

    from . import tracking

    tracking.configure(mlruns)
    experiment = f"{conf.experiment_prefix}{report.name}"
    for order, row in enumerate(report.rows):
        commit = report.meta.get("git_commit", "unknown")
        tags = {**{f"bench.{k}": v for k, v in report.meta.items()}, "kind": row.kind, "measured": str(row.kind !=
                "published").lower(), "row_order": str(order), "note": row.note, "errors": row.errors,
                "git_commit": commit, "mlflow.source.git.commit": commit,
                **{f"target.{k}": str(v) for k, v in row.targets.items()}}
        with tracking.run(experiment, mlruns, row.system, row.params, tags):
            mlflow.log_metrics({k: float(v) for k, v in {**row.metrics, **row.validation}.items() if v == v})


# -- result files (benchmarks/results/NAME.json) ---------------------------------------------
_PARAMS_KEPT = ("train_command", "model", "n_train", "n_test", "hold_out_validation", "input", "cv", "tool",
                "version", "kind", "C", "label", "max_features", "class_weight", "min_df", "favor_precision",
                "include_comments")


def _number(v):
    return None if v is None or v != v else float(v)


def save_result(report: Report, results_dir: Path) -> Path:
    """Write ``results_dir/NAME.json``: every figure (with its interval), validation metrics, how it was made."""
    meta = report.meta
    machine_info = {k.removeprefix("machine."): v for k, v in meta.items() if k.startswith("machine.")}
    versions = {k.removeprefix("version."): v for k, v in meta.items() if k.startswith("version.")}
    other = {k: v for k, v in meta.items() if not k.startswith(("machine.", "version."))
             and k not in ("command", "git_commit", "date")}
    data = {
        "format": RESULT_FORMAT, "benchmark": report.name, "command": meta.get("command", ""),
        "git_commit": meta.get("git_commit", "unknown"), "date": meta.get("date", ""), "machine": machine_info,
        "versions": versions, "run": other,
        "rows": [{"system": r.system, "kind": r.kind, "metrics": {k: _number(v) for k, v in r.metrics.items()},
                  "intervals": {m: [_number(r.metrics.get(f"{m}_ci_low")), _number(r.metrics.get(f"{m}_ci_high"))]
                                for m in ("body_f1", "accuracy", "macro_f1", "fnc_relative")
                                if f"{m}_ci_low" in r.metrics},
                  "validation": {k: _number(v) for k, v in r.validation.items()} or None,
                  "params": {k: v for k, v in r.params.items() if k in _PARAMS_KEPT},
                  "targets": r.targets, "note": r.note, "errors": r.errors} for r in report.rows],
    }
    path = Path(results_dir) / f"{report.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    return path


def load_result(path: Path) -> Report:
    """A result file back as the Report it was written from (intervals stay in the metrics)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    meta = {**data.get("run", {}), "command": data.get("command", ""), "git_commit": data.get("git_commit", ""),
            "date": data.get("date", ""), **{f"machine.{k}": v for k, v in data.get("machine", {}).items()},
            **{f"version.{k}": v for k, v in data.get("versions", {}).items()}}
    rows = [Row(r["system"], r["kind"], {k: (float("nan") if v is None else v) for k, v in r["metrics"].items()},
                r.get("params", {}), r.get("targets", {}), r.get("note", ""), r.get("errors", ""),
                {k: (float("nan") if v is None else v) for k, v in (r.get("validation") or {}).items()})
            for r in data["rows"]]
    return Report(data["benchmark"], rows, meta)


# -- docs/benchmarks.md ----------------------------------------------------------------------
def collect(name: str, mlruns: Path, conf: DictConfig, include_limited: bool = False) -> Report | None:
    """The latest batch of ``benchmark-NAME`` runs (full runs only, unless include_limited) as a Report."""
    import mlflow
    from mlflow import MlflowClient

    from . import tracking

    tracking.configure(mlruns)
    exp = mlflow.get_experiment_by_name(f"{conf.experiment_prefix}{name}")
    if exp is None:
        return None
    runs = MlflowClient().search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=2000)
    batch = next((r.data.tags.get("bench.batch") for r in runs if r.info.status == "FINISHED"
                  and (include_limited or r.data.tags.get("bench.limit") == "0")), None)
    if batch is None:
        return None
    chosen = sorted((r for r in runs if r.data.tags.get("bench.batch") == batch),
                    key=lambda r: int(r.data.tags.get("row_order", 0)))
    meta = {k.removeprefix("bench."): v for k, v in chosen[0].data.tags.items() if k.startswith("bench.")}
    rows = [Row(r.info.run_name, r.data.tags.get("kind", ""), dict(r.data.metrics), dict(r.data.params),
                {k.removeprefix("target."): float(v) for k, v in r.data.tags.items() if k.startswith("target.")},
                r.data.tags.get("note", ""), r.data.tags.get("errors", "")) for r in chosen]
    return Report(name, rows, meta)


def _cell(row: Row, metric: str, fmt: str) -> str:
    m = row.metrics
    if metric in CI_COLUMNS:
        lo, hi = m.get(f"{metric}_low"), m.get(f"{metric}_high")
        return f"{lo:.3f}–{hi:.3f}" if lo is not None and hi is not None and lo == lo and hi == hi else "—"
    if metric == "fit_seconds" and row.kind == "peer":
        return "—"
    v = m.get(metric)
    return "—" if v is None or v != v else format(v, fmt)


def _system(row: Row) -> str:
    if row.kind == "published":
        return f"*{row.system}* (published, not measured)"
    return f"**{row.system}**" if row.kind == "ours" else row.system


_VALIDATION_SHOWN = ("val_accuracy", "val_macro_f1", "val_body_f1", "val_fnc_relative", "val_f1_biased")


def render_report(report: Report) -> list[str]:
    base, _, gpu = report.name.partition("-")  # NAME-gpu: figures brought back from a GPU machine
    # GPU tables keep the columns they were first rendered with: no CPU time, no item intervals.
    cols = [c for c in COLUMNS[base] if not (gpu and (c[0] == "cpu_seconds_per_item" or
                                                      c[0] in CI_COLUMNS[1:]))]
    meta = report.meta
    lines = [f"### {base} on a GPU machine" if gpu else f"## {report.name}", ""]
    if gpu:
        lines += ["Measured on a GPU machine lent for the session, not on the 2-core machine of the table above: "
                  "`benchmarks/device_minilm.py` (its docstring says how), same splits and scorers. `s/item` is "
                  "prediction time there.", ""]
    if meta.get("limit", "0") != "0":
        lines += [f"Smoke run on at most {meta['limit']} items per label/pages per split: not a result.", ""]
    lines += [
        "| system | kind | " + " | ".join(h for _, h, _ in cols) + " |",
        "|---|---|" + "---:|" * len(cols),
    ]
    for row in sorted(report.rows, key=lambda r: KIND_ORDER.get(r.kind, 9)):
        lines.append(f"| {_system(row)} | {row.kind} | " + " | ".join(_cell(row, m, f) for m, _, f in cols) + " |")
    lines.append("")
    targets = [(row, metric, goal) for row in report.rows for metric, goal in row.targets.items()]
    for row, metric, goal in targets:
        v = row.metrics.get(metric)
        status = "met" if v is not None and v >= goal else "**missed**"
        where = " (set for the 2-core machine, shown for comparison)" if gpu else ""
        lines.append(f"- Target{where}: {row.system}: {metric} ≥ {goal} — measured {v:.4f}: {status}.")
    for row in report.rows:
        if row.kind == "ours" and "train_command" in row.params:
            held = row.params.get("hold_out_validation") == "True"
            rows_used = "the train rows, validation rows for early stopping" if held else \
                "the train and validation rows"
            lines.append(f"- {row.system}: the model of `{row.params['train_command']}` (model "
                         f"`{row.params.get('model')}`), fit on {rows_used} ({row.params.get('n_train')}).")
        if row.validation and not gpu:
            shown = ", ".join(f"{k.removeprefix('val_')} {v:.4f}" for k, v in row.validation.items()
                              if k in _VALIDATION_SHOWN and v == v)
            lines.append(f"- Validation ({row.system}; the held-out rows it early-stopped on): {shown}.")
        if row.errors:
            lines.append(f"- Errors of {row.system} (gold→predicted): {row.errors}.")
    versions = ", ".join(f"{k.removeprefix('version.')} {v}" for k, v in meta.items() if k.startswith("version."))
    commit = f"; git commit `{meta['git_commit']}`" if meta.get("git_commit") not in (None, "", "unknown") else ""
    lines += [
        f"- Command: `{meta.get('command', '')}`; date: {meta.get('date', '')}{commit}; whole benchmark "
        f"{meta.get('wall_seconds', '?')} s wall.",
        f"- Machine: {meta.get('machine.cores', '?')} cores ({meta.get('machine.cpu', '')}), "
        f"{meta.get('machine.os', '')}" + (
            f"; load average {meta['machine.load_average_at_start']} at start, "
            f"{meta.get('machine.load_average_at_end', '?')} at end (the machine is shared: timings are noisy)."
            if "machine.load_average_at_start" in meta else "."),
        f"- Versions: {versions}.",
        f"- Test items: {meta.get('n_test_items', '?')} {meta.get('item', '')}s ({meta.get('n_test', '?')} rows); "
        f"training rows: {meta.get('n_train', '?')}.",
        "",
    ]
    return lines


HEADER = """# Benchmarks

Rendered by `python -m src.benchmark NAME|all` (src/newslabel/benchmark.py, configs/benchmark.yaml) from the committed
result files `benchmarks/results/<name>.json` (and `<name>-gpu.json`): **do not edit by hand**. Each section is the
latest full run of that benchmark; running one benchmark rewrites its own file and section only. Every run is also
logged to the MLflow experiment `benchmark-<name>` (open it with `make ui`), tagged with its git commit. Our model is
trained on the set's training split only and evaluated on its test split; peers and baselines are scored on the same
items in the same run. Rows in *italics*, marked *published, not measured*, are figures quoted from the data folder's
README (their own settings and, in places, their own splits). `s/item` is wall-clock prediction time per test item in
one process (for our models: the whole pipeline on the test split, features included; for webextract peers: the
tool's extraction of one decoded HTML string), `CPU s/item` the process CPU time. The machine is shared, so times are
noisy. 95% intervals resample test pages (webextract) or test items (the others), 1000 times.

webextract is scored over passages (micro) by the rule in ../shared/data/webextract/README.md: a passage is
predicted body when at least 50% of its tokens are matched by an order-preserving alignment against the tool's
output text.
"""


def write_docs(path: Path | None = None, results_dir: Path | None = None, conf: DictConfig | None = None) -> Path:
    """Render docs/benchmarks.md from the result files in `results_dir` (default benchmarks/results)."""
    conf = conf or load_config()
    path = Path(path or ROOT / conf.docs)
    results_dir = Path(results_dir or RESULTS_DIR)
    lines = [HEADER]
    for name in BENCHMARKS:
        for key in (name, f"{name}-gpu"):
            file = results_dir / f"{key}.json"
            if file.is_file():
                lines += render_report(load_result(file))
            elif key == name:
                lines += [f"## {name}", "", f"Not run yet: `python -m src.benchmark {name}`.", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path


def main(names: list[str], *, limit: int = 0, shared: Path | None = None, mlruns: Path | None = None,
         docs: Path | None = None, results: Path | None = None, log=print) -> int:
    """The CLI: run the named benchmarks (`all`: every one), write their result files, render the docs.

    A full run writes benchmarks/results/NAME.json and docs/benchmarks.md (or `results`, `docs`). A smoke run
    (`limit`) never touches the committed files: it writes results and docs only where `results` or `docs` say
    (results beside the docs when only `docs` is given). Returns an exit code.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    conf = load_config()
    wanted = list(BENCHMARKS) if "all" in names else names
    unknown = [n for n in wanted if n not in (*BENCHMARKS, "labeller")]
    if unknown:
        log(f"error: unknown benchmark(s) {', '.join(unknown)}; expected {', '.join(BENCHMARKS)}, labeller or all")
        return 2
    if "labeller" in wanted:  # the shipped champions through the user's calls (labeller_eval.py)
        from .labeller_eval import run as run_labeller

        run_labeller(shared=shared, mlruns=mlruns, limit=limit, log=log)
        wanted.remove("labeller")
    if limit:
        results = results or (Path(docs).parent / "results" if docs is not None else None)
    else:
        results = results or RESULTS_DIR
    ran = 0
    start = time.perf_counter()
    command = "python -m src.benchmark " + " ".join(sys.argv[1:]) if sys.argv[1:] else None
    for name in wanted:
        try:
            report = run_benchmark(name, shared=shared, limit=limit, mlruns=mlruns, command=command, conf=conf,
                                   log=log)
        except Skipped as exc:
            log(str(exc))
            continue
        ran += 1
        if results is not None:
            log(f"wrote {save_result(report, results)}")
            if docs is not None or not limit:  # after each benchmark, so a later failure keeps this one's section
                log(f"wrote {write_docs(docs, results, conf)}")
    log(f"done: {ran} of {len(wanted)} benchmark(s) in {time.perf_counter() - start:.0f} s")
    return 0
