"""The two kinds of benchmark run: webextract (passage-level body text, our model against the peers) and the
label sets (bbc, agnews, fnc1, babe: our model against TF-IDF baselines), each on the set's own splits."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from newslabel.bench.metrics import (
    body_errors,
    confusions,
    item_bootstrap,
    label_metrics,
    page_bootstrap,
    passage_metrics,
    stance_metrics,
)
from newslabel.bench.report import Row, Skipped


# -- data ------------------------------------------------------------------------------------
def load_data(name: str, bench: DictConfig, shared: Path) -> dict[str, pd.DataFrame]:
    """{train, validation, test} frames of a benchmark's set, read in place from shared/data/<folder>."""
    from newslabel.data.importers.registry import IMPORTERS
    from newslabel.errors import MissingDataError

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
    from newslabel.labels.schema import TASKS

    known = TASKS[task].names if task in TASKS else ()
    present = {lab for df in frames.values() if len(df) for lab in df["label"]}
    return sorted(present, key=lambda x: (known.index(x) if x in known else len(known), x))


def compose_ours(system: DictConfig, shared: Path, limit: int = 0) -> DictConfig:
    """The training config of one of our systems; a smoke run (limit) adds its `smoke_overrides`."""
    from newslabel.config import compose

    smoke = list(system.get("smoke_overrides", [])) if limit else []
    return compose("train", [*system.overrides, *smoke, f"paths.shared={shared}"])


def text_only(df: pd.DataFrame) -> pd.DataFrame:
    """The passages as a plain-text dump gives them: no HTML tag, no <title>; the title is read from the text."""
    from newslabel.ingest.metadata import text_metadata

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
    from newslabel.training.fit import fit_task

    task = cfg.task.names[0]
    data = {"train": train, "validation": validation, "test": train.iloc[:0]}
    model, result, _ = fit_task(task, cfg, data, labels)
    return model, float(result["fit_seconds"]), {k: float(v) for k, v in result.items() if k.startswith("val_")}


def predict_timed(model, df: pd.DataFrame) -> tuple[np.ndarray, float, float]:
    """(predicted labels, wall seconds, CPU seconds) for a frame."""
    from newslabel.training.fit import inputs

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
    from newslabel.ingest import peers

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
    from newslabel.ingest.peers import versions

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


@dataclass
class _Scorer:
    """Scores every system of a label benchmark on the same test items, the same way."""

    name: str
    bench: DictConfig
    conf: DictConfig
    gold: list[str]
    labels: list[str]
    log: Callable = print

    def cv(self, everything: pd.DataFrame, fit_predict) -> list[float]:
        """Macro-F1 of each fold; `fit_predict(train, test)` -> predictions."""
        out = []
        for tr, te in cv_splits(everything, int(self.bench.get("cv_folds", 0) or 0)):
            out.append(_score(self.name, te["label"].tolist(), [str(p) for p in fit_predict(tr, te)], self.labels)
                       ["macro_f1"])
        return out

    def row(self, system, kind, pred, fit_s, wall, cpu, params, targets=None, cv=None) -> Row:
        n, pred = len(self.gold), [str(p) for p in pred]
        m = _score(self.name, self.gold, pred, self.labels)
        m.update(seconds_per_item=wall / n, cpu_seconds_per_item=cpu / n, fit_seconds=fit_s, n_items=float(n))
        m.update(item_bootstrap(self.gold, pred, self.labels, int(self.conf.bootstrap), int(self.conf.seed),
                                fnc=self.name == "fnc1"))
        if cv is not None:
            m.update(cv_macro_f1=float(np.mean(cv)), cv_macro_f1_std=float(np.std(cv)),
                     **{f"cv_fold{k}_macro_f1": v for k, v in enumerate(cv)})
        shown = "fnc_relative" if self.name == "fnc1" else "accuracy" if self.bench.task == "topic" else "macro_f1"
        self.log(f"  {system}: {shown} {m[shown]:.4f} ({m['seconds_per_item']:.5f} s/item, fit {fit_s:.0f} s)")
        return Row(system, kind, m, params, dict(targets or {}))


def run_labels(name: str, bench: DictConfig, frames: dict[str, pd.DataFrame], shared: Path, conf: DictConfig,
               log=print, limit: int = 0) -> list[Row]:
    """topic (bbc, agnews), stance (fnc1) and bias (babe): ours, then the baselines, on the test split."""
    scorer = _Scorer(name, bench, conf, frames["test"]["label"].tolist(), label_names(bench.task, frames), log)
    everything = pd.concat([frames[s] for s in ("train", "validation", "test")], ignore_index=True)
    rows = [_ours_row(system, scorer, frames, everything, shared, limit) for system in bench.ours]
    return rows + [_baseline_row(spec, scorer, frames, everything) for spec in bench.get("baselines", [])]


def _ours_row(system, scorer: _Scorer, frames, everything, shared: Path, limit: int) -> Row:
    cfg, test = compose_ours(system, shared, limit), frames["test"]
    train, validation = _split_for_ours(system, frames)
    model, fit_s, val = fit_ours(system, cfg, train, validation, scorer.labels)
    pred, wall, cpu = predict_timed(model, test)
    do_cv = bool(scorer.bench.get("cv_folds", 0)) and bool(system.get("cv", True))
    params = {**_ours_params(system, cfg, len(train), len(test)), "cv": str(do_cv)}

    def fold(tr, te):
        return predict_timed(fit_ours(system, cfg, tr, tr.iloc[:0], scorer.labels)[0], te)[0]

    cv = scorer.cv(everything, fold) if do_cv else None
    row = scorer.row(system.system, "ours", pred, fit_s, wall, cpu, params, system.get("targets"), cv)
    row.errors = confusions(scorer.gold, [str(p) for p in pred])
    row.validation = val
    return row


def _baseline_row(spec, scorer: _Scorer, frames, everything) -> Row:
    test, seed = frames["test"], int(scorer.conf.seed)
    folds = bool(scorer.bench.get("cv_folds", 0))
    params = {**{k: str(v) for k, v in spec.items() if k != "system"}, "cv": str(folds)}
    if spec.kind == "constant":
        wall, cpu = time.perf_counter(), time.process_time()
        pred = [spec.label] * len(test)
        return scorer.row(spec.system, "baseline", pred, 0.0, time.perf_counter() - wall, time.process_time() - cpu,
                          params)
    fit = BASELINES[spec.kind]
    pred, fit_s, wall, cpu = fit(pd.concat([frames["train"], frames["validation"]], ignore_index=True), test, spec, seed)
    cv = scorer.cv(everything, lambda tr, te: fit(tr, te, spec, seed)[0]) if folds else None
    return scorer.row(spec.system, "baseline", pred, fit_s, wall, cpu, params, cv=cv)


def cv_splits(frame: pd.DataFrame, folds: int):
    """Grouped cross-validation over the `cv_fold` column: (train, test) for each fold."""
    for k in range(folds):
        test = frame["cv_fold"] == k
        yield frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)
