"""Fit one task: its datasets as frames, the model inputs, and `fit_task` (build the pipeline, fit, evaluate)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from newslabel.data.store import load_task
from newslabel.models.pipeline import build_pipeline
from newslabel.training.evaluate import by_source, coarse_view, fnc_score, metrics

LABEL_COLUMNS = ("label", "label_source", "confidence", "source")


# Columns that describe how a row was labelled, never model inputs (webextract's gold_coverage is the share of
# the passage found in the gold extract: its label's own source); native_label is the set's unmapped label.
NOT_INPUTS = ("gold_coverage", "native_label")


def ensure_datasets(cfg: DictConfig) -> None:
    processed = Path(cfg.paths.processed)
    missing = [t for t in cfg.data.tasks if not (processed / t / cfg.data.name / "digest.json").exists()]
    if missing or cfg.rebuild_datasets:
        from newslabel.data.sources import build_and_save

        built = build_and_save(cfg)
        for err in built.errors:
            print(f"error: {err}", file=sys.stderr)
        summaries = built.summaries
        print(f"built datasets of {cfg.data.name} in {cfg.paths.processed}: "
              + ", ".join(f"{t} {sum(sum(c.values()) for c in s['counts'].values())} rows" for t, s in summaries.items()))


def frames(task: str, cfg: DictConfig):
    dsd, summary = load_task(task, cfg.data.name, Path(cfg.paths.processed))
    summary = {**summary, "path": str(Path(cfg.paths.processed) / task / cfg.data.name)}  # where it is now
    names = dsd["train"].features["label"].names
    out = {}
    for split in ("train", "validation", "test"):
        df = dsd[split].to_pandas()
        if len(df):
            df["label"] = [names[i] for i in df["label"]]
        out[split] = df.reset_index(drop=True)
    return out, summary, list(names)


def inputs(df: pd.DataFrame) -> pd.DataFrame:
    """Model inputs: the dataset's columns less the labels and how they were made; `line` as float, since HTML
    has none."""
    out = df.drop(columns=[c for c in (*LABEL_COLUMNS, *NOT_INPUTS) if c in df.columns])
    return out.astype({"line": "float64"}) if "line" in out else out


def fit_task(task: str, cfg: DictConfig, data: dict, labels: list[str]):
    """Fit on train; return the model and its validation and test metrics (pure: no tracking)."""
    task_cfg = OmegaConf.to_container(cfg.tasks.get(task, {}), resolve=True)
    min_count = int(data["train"]["label"].value_counts().min())
    model = build_pipeline(task, cfg.model, task_cfg, cfg.seed, min_count)
    start = time.perf_counter()
    fit_params = {}
    if getattr(model, "uses_eval_set", False) and len(data["validation"]):  # early stopping on validation
        fit_params["eval_set"] = (inputs(data["validation"]), data["validation"]["label"].to_numpy())
    model.fit(inputs(data["train"]), data["train"]["label"].to_numpy(), **fit_params)
    result = {"fit_seconds": time.perf_counter() - start}
    preds = {}
    for split, prefix in (("validation", "val_"), ("test", "test_")):
        df = data[split]
        if len(df):
            proba = model.predict_proba(inputs(df))
            pred = model.classes_[proba.argmax(axis=1)]
            preds[split] = (pred, proba.max(axis=1))
            if task == "role":
                pred = coarse_view(df["label"].to_numpy(), pred)
            result.update(metrics(df["label"].tolist(), pred.tolist(), labels, prefix))
            if task == "stance":
                raw, best = fnc_score(df["label"].tolist(), pred.tolist())
                result.update({f"{prefix}fnc_score": raw, f"{prefix}fnc_relative": raw / best})
            result.update(by_source(task, df, pred, labels, prefix))
    return model, result, preds
