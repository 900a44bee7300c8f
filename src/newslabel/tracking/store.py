"""MLflow runs: the store under mlruns/, runs, params, metrics, artifacts and datasets.

Model files are in model_files.py, the registry (champions, the published labeller) in registry.py; their
names are re-exported here for the callers that import them from tracking.

The store is explicit (MLflow 3 no longer defaults to ./mlruns): a SQLite database at
mlruns/mlflow.db and artifacts under mlruns/artifacts/<experiment>. Open it with
`make ui`, i.e. `mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db`.
"""

from __future__ import annotations

import logging
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

from newslabel.tracking.registry import CHAMPION

PARENT_EXPERIMENT = "newslabel-train"


def configure(mlruns: str | Path) -> str:
    """Point MLflow at mlruns/mlflow.db (creating mlruns/) and return the tracking URI."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    root = Path(mlruns).resolve()
    (root / "artifacts").mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def use_experiment(name: str, mlruns: str | Path) -> str:
    """Get or create an experiment whose artifacts live under mlruns/artifacts/<name>; returns its id."""
    import mlflow

    exp = mlflow.get_experiment_by_name(name)
    if exp is None:
        location = (Path(mlruns).resolve() / "artifacts" / name).as_uri()
        return mlflow.create_experiment(name, artifact_location=location)
    return exp.experiment_id


def git_commit(cwd: str | Path, exclude: tuple[str, ...] = ()) -> str:
    """HEAD, with ``-dirty`` when tracked files (other than the paths in `exclude`) differ from it; "unknown"
    outside a git checkout."""
    paths = ["--", ".", *[f":!{p}" for p in exclude]] if exclude else []
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", *paths], cwd=cwd,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def flatten(d: dict, prefix: str = "") -> dict[str, str]:
    """{'a': {'b': 1}} -> {'a.b': '1'}: the resolved config as MLflow params.

    >>> flatten({"model": {"C": 1.0, "ngrams": [1, 2]}, "seed": 3})
    {'model.C': '1.0', 'model.ngrams': '[1, 2]', 'seed': '3'}
    """
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = str(v)[:6000]
    return out


@contextmanager
def run(experiment: str, mlruns: str | Path, run_name: str, params: dict, tags: dict, parent_id: str | None = None):
    """A run in `experiment`; with parent_id it is a child of that run (which may be in another experiment)."""
    import mlflow

    exp_id = use_experiment(experiment, mlruns)
    all_tags = {**tags, **({"mlflow.parentRunId": parent_id} if parent_id else {})}
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name, tags=all_tags, nested=parent_id is not None) as r:
        mlflow.log_params(params)
        yield r


def log_metrics(values: dict[str, float]) -> None:
    import mlflow

    mlflow.log_metrics({k: float(v) for k, v in values.items()})


def log_artifacts(paths: list[Path], artifact_path: str | None = None) -> None:
    import mlflow

    for p in paths:
        mlflow.log_artifact(str(p), artifact_path=artifact_path)


def log_dataset(frame, summary: dict, split: str, context: str, with_card: bool = False) -> None:
    """One split as an MLflow dataset input (`<task>-<source>-<split>`), its source the saved dataset folder.

    Integer columns are logged as doubles (the schema MLflow would warn cannot hold a missing value), and
    the source is given as a local-path source, which MLflow would otherwise guess among two equal ones.
    With `with_card`, the dataset card (README.md) and digest.json are attached under `dataset/`.
    """
    import json

    import mlflow
    from mlflow.data.dataset_source_registry import get_dataset_source_from_json

    ints = {c: "float64" for c in frame.columns if frame[c].dtype.kind in "iu"}
    source = get_dataset_source_from_json(json.dumps({"uri": str(summary["path"])}), source_type="local")
    ds = mlflow.data.from_pandas(frame.astype(ints), source=source, targets="label",
                                 name=f"{summary['task']}-{summary['source']}-{split}")
    mlflow.log_input(ds, context=context, tags={"dataset_digest": summary["digest"], "split": split})
    for name in ("README.md", "digest.json") if with_card else ():
        if (Path(summary["path"]) / name).is_file():
            mlflow.log_artifact(str(Path(summary["path"]) / name), artifact_path="dataset")


def set_run_tags(tags: dict[str, str]) -> None:
    import mlflow

    mlflow.set_tags(tags)


def set_uri(uri: str) -> None:
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


def active_run_id() -> str:
    import mlflow

    return mlflow.active_run().info.run_id


# -- what the UI shows: descriptions, the config artifact, quiet logging ---------------------------------------
NOTE = "mlflow.note.content"  # the tag the MLflow UI shows (and edits) as a description
MODEL_TRAINING_KIND = {"mlflow.experimentKind": "custom_model_development"}  # opens on Runs, not GenAI traces


def quiet() -> None:
    """MLflow's INFO lines (database migrations, signature inference) off the console; warnings stay."""
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def describe_experiment(name: str, mlruns: str | Path, text: str) -> None:
    from mlflow import MlflowClient

    exp_id = use_experiment(name, mlruns)
    client = MlflowClient()
    for key, value in {NOTE: text, **MODEL_TRAINING_KIND}.items():
        client.set_experiment_tag(exp_id, key, value)


def describe_run(text: str) -> None:
    import mlflow

    mlflow.set_tag(NOTE, text)


def describe_registered_model(name: str, text: str) -> None:
    """Set a registered model's description (a no-op when the model is not registered)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        MlflowClient().update_registered_model(name, description=text)
    except MlflowException:
        pass


def log_config(resolved: dict) -> None:
    """The resolved config as the run's `config.yaml` artifact (params hold only what varies)."""
    import mlflow
    from omegaconf import OmegaConf

    mlflow.log_text(OmegaConf.to_yaml(OmegaConf.create(resolved)), "config.yaml")


def champion_summary(name: str, metric: str) -> dict | None:
    """The current champion of registered model `name`: {version, value (its metric), run_id}, or None."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    try:
        champ = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None
    value = champ.tags.get("primary_value")
    if value is None and champ.run_id:
        value = client.get_run(champ.run_id).data.metrics.get(metric)
    return {"version": str(champ.version), "value": None if value is None else float(value), "run_id": champ.run_id}
