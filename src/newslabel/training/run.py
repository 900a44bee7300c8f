"""Training: one classifier a task, evaluated on held-out pages, tracked in MLflow.

`train(cfg)` is what `python -m src.train` runs: it builds the datasets if they are missing,
opens a parent run in the experiment newslabel-train and fits each task in a child run nested
under it (the MLflow UI nests runs only within one experiment), and registers the model as champion only
when it beats the current champion on the validation split beyond resampling noise (registry.decide); test
metrics are logged, never used to choose. It then republishes the combined `newslabel` labeller from the
champions. Runs are named and described from the command's Hydra overrides (see runinfo). It returns
{task: metrics}.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from newslabel.tracking import model_files, registry, runinfo
from newslabel.tracking import store as tracking
from newslabel.training.evaluate import write_reports
from newslabel.training.fit import ensure_datasets, fit_task, frames, inputs
from newslabel.training.headlines import predicted_headlines, sample_pages, with_headlines

DATASET_CONTEXTS = (("train", "training"), ("validation", "validation"), ("test", "test"))


def hydra_overrides() -> list[str]:
    """The command line's overrides under `@hydra.main` (or a multirun job); none otherwise."""
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def log_task_inputs(data: dict, summary: dict) -> None:
    for split, context in DATASET_CONTEXTS:
        if len(data[split]):
            tracking.log_dataset(data[split], summary, split, context, with_card=split == "train")


def train_task(task: str, cfg: DictConfig, parent_id: str, params: dict, commit: str,
               overrides: list[str] = ()) -> dict:
    data, summary, labels = frames(task, cfg)
    headlines_from = None
    if task == "stance":
        data, headlines_from = labeller_headlines(cfg, data)
    name = f"{cfg.tracking.registered_prefix}{task}"
    resolved = OmegaConf.to_container(cfg, resolve=True)
    digest = runinfo.config_digest({**runinfo.task_settings(resolved, task), "dataset": summary["digest"]},
                                   str(cfg.paths.root))
    primary = cfg.tasks[task].primary_metric
    tags = {"task": task, "data": cfg.data.name, "model": cfg.model.name, "git_commit": commit,
            "mlflow.source.git.commit": commit, "dataset_digest": summary["digest"], "config_digest": digest}
    if headlines_from:
        tags["sample_headlines_from"] = headlines_from  # the role model whose roles picked the sample headlines
    run_name = runinfo.child_name(task, cfg.model.name, cfg.data.name, list(overrides), digest)
    champion_before = tracking.champion_summary(name, primary)
    start = time.perf_counter()
    with tracking.run(tracking.PARENT_EXPERIMENT, cfg.tracking.mlruns, run_name, {**params, "task": task},
                      tags, parent_id):
        tracking.log_config(resolved)
        log_task_inputs(data, summary)
        model, result, preds = fit_task(task, cfg, data, labels)
        tracking.log_metrics(result)
        test = data["test"]
        with tempfile.TemporaryDirectory() as tmp:
            pred, score = preds["test"]
            title = f"{task} · test split of {cfg.data.name} · {cfg.model.name}"
            tracking.log_artifacts(write_reports(Path(tmp), test["label"].tolist(), pred.tolist(), labels,
                                                 test, score, title=title))
        example = inputs(test).head(5) if task != "role" else role_example(test)
        example = example.astype({c: "float64" for c in example.columns if example[c].dtype.kind in "iu"})
        info = model_files.log_task_model(model, example, task, kind=cfg.model.get("kind", "sklearn"))
        if cfg.tracking.register:
            result.update(promote(task, cfg, data["validation"], preds.get("validation"), result.get(primary), info,
                                  summary["digest"]))
        describe_task_run(task, cfg, resolved, summary, data, result, champion_before, list(overrides))
    result["seconds"] = time.perf_counter() - start
    print_task_line(task, primary, result)
    return result


def labeller_headlines(cfg: DictConfig, data: dict) -> tuple[dict, str | None]:
    """Stance frames with the sample pages' headlines as the labeller picks them (training.headlines), and the
    role champion that picked them; unchanged, with None, while there is no role champion."""
    uri = registry.champion_uris(cfg.tracking.registered_prefix).get("role", (None,))[0]
    pages = sample_pages(cfg) if uri else []
    if not pages:
        return data, None
    return with_headlines(data, predicted_headlines(pages, model_files.load_task_model(uri))), uri


def describe_task_run(task: str, cfg: DictConfig, resolved: dict, summary: dict, data: dict, result: dict,
                      champion_before: dict | None, overrides: list[str]) -> None:
    """The run's description and the registered model's; notes in `result` which version is champion now."""
    before = (champion_before or {}).get("version")
    result["champion_version"] = str(result.get("registered_version")) if result.get("promoted") else before
    primary = cfg.tasks[task].primary_metric
    if cfg.tracking.register:
        tracking.describe_registered_model(f"{cfg.tracking.registered_prefix}{task}",
                                           runinfo.task_model_description(task, primary))
    sizes = {s: len(data[s]) for s, _ in DATASET_CONTEXTS}
    tracking.describe_run(runinfo.child_description(task, resolved, summary, sizes, result, champion_before,
                                                    overrides))


def role_example(test: pd.DataFrame) -> pd.DataFrame:
    """The role model's signature example: one test page with the columns the labeller passes (`role_frame`)."""
    from newslabel.models.inputs import ROLE_INPUT

    page = inputs(test)[test["doc_id"] == test["doc_id"].iloc[0]]
    return page.reindex(columns=list(ROLE_INPUT)).fillna({"html": "", "blocks": "", "depth": 0})


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


def train(cfg: DictConfig, overrides: list[str] | None = None) -> dict[str, dict]:
    """Train every configured task the data source provides; returns {task: metrics}.

    `overrides` (default: Hydra's, from the command line) name the runs; paths among them are ignored.
    """
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    overrides = runinfo.clean_overrides(hydra_overrides() if overrides is None else overrides)
    ensure_datasets(cfg)
    tracking.configure(cfg.tracking.mlruns)
    tracking.quiet()
    resolved = OmegaConf.to_container(cfg, resolve=True)
    params = runinfo.key_params(resolved, overrides, list(cfg.tracking.get("key_params", [])))
    commit = tracking.git_commit(cfg.paths.root)
    tasks = [t for t in cfg.task.names if t in cfg.data.tasks]
    digest = runinfo.config_digest(resolved, str(cfg.paths.root))
    tracking.describe_experiment(tracking.PARENT_EXPERIMENT, cfg.tracking.mlruns,
                                 runinfo.TRAIN_EXPERIMENT_DESCRIPTION)
    results = {}
    with tracking.run(tracking.PARENT_EXPERIMENT, cfg.tracking.mlruns,
                      runinfo.parent_name(tasks, cfg.model.name, cfg.data.name, overrides, digest), params,
                      {"git_commit": commit, "tasks": ",".join(tasks), "config_digest": digest}) as parent:
        tracking.log_config(resolved)
        for task in tasks:
            results[task] = train_task(task, cfg, parent.info.run_id, params, commit, overrides)
            tracking.log_metrics({f"{task}.{k}": v for k, v in results[task].items()
                                  if k.startswith("test_") and isinstance(v, float)})
        if cfg.tracking.register:  # republish whenever a task's champion changed, whichever tasks ran
            version, reason = registry.publish_labeller(cfg.tracking.registered_prefix)
            tracking.set_run_tags({"labeller_version": str(version), "labeller_reason": reason})
            tracking.describe_registered_model(registry.COMBINED, runinfo.COMBINED_DESCRIPTION)
            results["labeller"] = {"registered_version": version, "promotion_reason": reason}
        tracking.describe_run(runinfo.parent_description(tasks, resolved, results, overrides))
    print_summary(results)
    return results


def print_task_line(task: str, primary: str, r: dict) -> None:
    """One line a task as it finishes: its test scores (primary first) and what became of the champion."""
    keys = dict.fromkeys((primary.replace("val_", "test_", 1), "test_macro_f1", "test_accuracy"))
    scores = "  ".join(f"{k.removeprefix('test_')} {r[k]:.3f}" for k in keys if k in r)
    print(f"{task:<7} test {scores}  champion {champion_cell(r)}  ({r['seconds']:.0f} s)", flush=True)


def champion_cell(r: dict) -> str:
    """'v3 (new)' when this run's model became the champion, 'v2 (kept)' when the champion stayed."""
    if r.get("promoted"):
        return f"v{r.get('champion_version') or r.get('registered_version')} (new)"
    if r.get("champion_version"):
        return f"v{r['champion_version']} (kept)"
    return "—"


def print_summary(results: dict[str, dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="test metrics (held-out pages)")
    for col in ("task", "accuracy", "macro-F1", "body F1", "version", "champion", "vs the champion before"):
        table.add_column(col)
    for task, r in results.items():
        if task == "labeller":
            table.add_row("newslabel (all four)", "", "", "", str(r["registered_version"]),
                          f"v{r['registered_version']}" if r["registered_version"] else "—",
                          r["promotion_reason"].split(" {")[0])
            continue
        body = f"{r['test_body_f1']:.3f}" if "test_body_f1" in r else "—"
        table.add_row(task, f"{r['test_accuracy']:.3f}", f"{r['test_macro_f1']:.3f}", body,
                      str(r.get("registered_version") or "—"), champion_cell(r), r.get("promotion_reason", "—"))
    Console(width=max(Console().width, 120)).print(table)
