"""Training: one classifier a task, evaluated on held-out pages, tracked in MLflow.

`train(cfg)` is what `python -m src.train` runs: it builds the datasets if they are missing,
opens a parent run, fits each task in a child run (its own experiment, newslabel-<task>),
and registers the model as champion only when it beats the current champion on the validation split
beyond resampling noise (registry.decide); test metrics are logged, never used to choose. It then
republishes the combined `newslabel` labeller from the champions. It returns {task: metrics}.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from . import model_files, registry, tracking
from .dataset import load_task
from .evaluate import fnc_score, metrics, write_reports
from .models import build_pipeline

LABEL_COLUMNS = ("label", "label_source", "confidence")
# Columns that describe how a row was labelled, never model inputs (webextract's gold_coverage is the share of
# the passage found in the gold extract: its label's own source); native_label is the set's unmapped label.
NOT_INPUTS = ("gold_coverage", "native_label")


def ensure_datasets(cfg: DictConfig) -> None:
    processed = Path(cfg.paths.processed)
    missing = [t for t in cfg.data.tasks if not (processed / t / cfg.data.name / "digest.json").exists()]
    if missing or cfg.rebuild_datasets:
        from .cli_dataset import run as build

        print(f"building datasets for {cfg.data.name} ({', '.join(missing) or 'rebuild'})")
        build(cfg)


def frames(task: str, cfg: DictConfig):
    dsd, summary = load_task(task, cfg.data.name, Path(cfg.paths.processed))
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
            result.update(metrics(df["label"].tolist(), pred.tolist(), labels, prefix))
            if task == "stance":
                raw, best = fnc_score(df["label"].tolist(), pred.tolist())
                result.update({f"{prefix}fnc_score": raw, f"{prefix}fnc_relative": raw / best})
    return model, result, preds


def train_task(task: str, cfg: DictConfig, parent_id: str, params: dict, commit: str) -> dict:
    data, summary, labels = frames(task, cfg)
    name = f"{cfg.tracking.registered_prefix}{task}"
    tags = {"task": task, "data": cfg.data.name, "model": cfg.model.name, "git_commit": commit,
            "mlflow.source.git.commit": commit, "dataset_digest": summary["digest"]}
    with tracking.run(name, cfg.tracking.mlruns, f"{task}-{cfg.model.name}-{cfg.data.name}", params, tags, parent_id):
        for split, context in (("train", "training"), ("validation", "validation"), ("test", "testing")):
            if len(data[split]):
                tracking.log_dataset(data[split], summary, context)
        model, result, preds = fit_task(task, cfg, data, labels)
        tracking.log_metrics(result)
        test = data["test"]
        with tempfile.TemporaryDirectory() as tmp:
            pred, score = preds["test"]
            tracking.log_artifacts(write_reports(Path(tmp), test["label"].tolist(), pred.tolist(), labels,
                                                 test, score))
        example = inputs(test).head(5) if task != "role" else inputs(test)[test["doc_id"] == test["doc_id"].iloc[0]]
        info = model_files.log_task_model(model, example, task, kind=cfg.model.get("kind", "sklearn"))
        if cfg.tracking.register:
            value = result.get(cfg.tasks[task].primary_metric)
            result.update(promote(task, cfg, data["validation"], preds.get("validation"), value, info,
                                  summary["digest"]))
    return result


def promote(task: str, cfg: DictConfig, validation: pd.DataFrame, val_pred, value, info, digest: str) -> dict:
    """Register the run's model and make it champion if it beats the champion on validation (registry.decide)."""
    name = f"{cfg.tracking.registered_prefix}{task}"
    frame = inputs(validation).assign(label=validation["label"].to_numpy())
    groups = validation["doc_id"].to_numpy() if task == "role" and len(validation) else None
    metric = cfg.tasks[task].primary_metric
    decision = registry.decide(name, metric, value, digest, frame,
                               val_pred[0] if val_pred is not None else None, groups, cfg.tracking.promotion,
                               force=cfg.tracking.force_promote)
    run_id = tracking.active_run_id()
    tracking.set_run_tags({**decision.tags(), registry.CHAMPION: "false"})
    version = registry.crown(name, info.model_uri, run_id, decision, digest) if decision.promoted else None
    return {"registered_version": version, "promoted": decision.promoted, "promotion_reason": decision.reason,
            "promotion_decision": decision.decision}


def train(cfg: DictConfig) -> dict[str, dict]:
    """Train every configured task the data source provides; returns {task: metrics}."""
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    ensure_datasets(cfg)
    tracking.configure(cfg.tracking.mlruns)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    params = tracking.flatten(resolved)
    commit = tracking.git_commit(cfg.paths.root)
    tasks = [t for t in cfg.task.names if t in cfg.data.tasks]
    results = {}
    with tracking.run(tracking.PARENT_EXPERIMENT, cfg.tracking.mlruns, f"train-{cfg.data.name}-{cfg.model.name}",
                      params, {"git_commit": commit, "tasks": ",".join(tasks)}) as parent:
        for task in tasks:
            results[task] = train_task(task, cfg, parent.info.run_id, params, commit)
            tracking.log_metrics({f"{task}.{k}": v for k, v in results[task].items()
                                  if k.startswith("test_") and isinstance(v, float)})
        if cfg.tracking.register:  # republish whenever a task's champion changed, whichever tasks ran
            version, reason = registry.publish_labeller(cfg.tracking.registered_prefix)
            tracking.set_run_tags({"labeller_version": str(version), "labeller_reason": reason})
            results["labeller"] = {"registered_version": version, "promotion_reason": reason}
    print_summary(results)
    return results


def print_summary(results: dict[str, dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="test metrics (held-out pages)")
    for col in ("task", "accuracy", "macro-F1", "body F1", "version", "champion"):
        table.add_column(col)
    for task, r in results.items():
        if task == "labeller":
            table.add_row("newslabel (all four)", "", "", "", str(r["registered_version"]), r["promotion_reason"])
            continue
        body = f"{r['test_body_f1']:.3f}" if "test_body_f1" in r else "—"
        table.add_row(task, f"{r['test_accuracy']:.3f}", f"{r['test_macro_f1']:.3f}", body,
                      str(r.get("registered_version", "—")), r.get("promotion_reason", "—"))
    Console().print(table)
