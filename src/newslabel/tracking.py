"""MLflow, in one module: the store under mlruns/, runs, datasets, models, the registry and champions.

The store is explicit (MLflow 3 no longer defaults to ./mlruns): a SQLite database at
mlruns/mlflow.db and artifacts under mlruns/artifacts/<experiment>. Open it with
`make ui`, i.e. `mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db`.
"""

from __future__ import annotations

import logging
import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PARENT_EXPERIMENT = "newslabel-train"
CHAMPION = "champion"


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


def git_commit(cwd: str | Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=5).stdout.strip()
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


def pip_requirements(kind: str = "sklearn") -> list[str]:
    """The logged models' requirements; `transformer` adds torch, transformers and their kin."""
    from importlib.metadata import version

    out = [f"{p}=={version(p)}" for p in ("scikit-learn", "pandas", "numpy", "scipy", "lxml", "cloudpickle")]
    if kind == "transformer":
        from .transformer import pip_requirements as transformer_requirements

        out += transformer_requirements()
    return out


def log_model(model, input_example, registered_name: str | None, kind: str = "sklearn"):
    """Log (and register) a task model in the flavour of its kind: `sklearn` or `transformer`."""
    if kind == "transformer" or getattr(model, "mlflow_flavor", None) == TRANSFORMERS:
        return log_transformer_model(model, input_example, registered_name)
    return log_sklearn_model(model, input_example, registered_name)


def log_transformer_model(model, input_example, registered_name: str | None):
    """Log (and register) a `TransformerClassifier` with MLflow's transformers flavour (text-classification).

    The flavour keeps the Hugging Face model and tokenizer; the model config carries the classifier's settings
    and label order, so `load_task_model` rebuilds the same estimator. The input example is what the
    flavour's own pyfunc reads: passages, or {"text", "text_pair"} pairs for stance and role.
    """
    import json
    import tempfile

    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature

    mlflow.set_tags({f"transformer.{k}": str(v) for k, v in model.training_summary().items()})
    example = model.pipeline_example(input_example)
    proba = model.predict_proba(input_example)
    output = pd.DataFrame({"label": model.classes_[proba.argmax(axis=1)].astype(str), "score": proba.max(axis=1)})
    signature = infer_signature(example, output)  # what the flavour's pipeline pyfunc reads and answers
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / "training_history.json"
        history.write_text(json.dumps(getattr(model, "history_", []), indent=1))
        mlflow.log_artifact(str(history))
    return mlflow.transformers.log_model(
        model.components(), name="model", task="text-classification",
        signature=signature, input_example=example, registered_model_name=registered_name,
        pip_requirements=pip_requirements("transformer"),
        model_config={"truncation": True, "max_length": int(model.settings.max_length)},
        metadata={"newslabel_kind": "transformer", "newslabel_task": model.settings.task},
    )


def log_sklearn_model(model, input_example, registered_name: str | None):
    """Log (and register) a scikit-learn model with its signature; returns MLflow's ModelInfo."""
    import mlflow
    from mlflow.models import infer_signature

    signature = infer_signature(input_example, model.predict(input_example))
    return mlflow.sklearn.log_model(
        model, name="model", signature=signature, input_example=input_example,
        registered_model_name=registered_name, pip_requirements=pip_requirements(),
        serialization_format="cloudpickle",
    )


@dataclass
class Promotion:
    promoted: bool
    reason: str
    champion_version: str | None


def promote_if_better(name: str, version: str, metric: str, value: float, test_digest: str,
                      force: bool = False) -> Promotion:
    """Move the `champion` alias to `version` only if it beats the champion on the same test digest."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    for key, val in (("primary_metric", metric), ("primary_value", f"{value:.6f}"), ("test_digest", test_digest)):
        client.set_model_version_tag(name, version, key, val)
    try:
        champ = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        champ = None
    if champ is None:
        result = Promotion(True, "no champion yet", None)
    elif force:
        result = Promotion(True, f"forced over champion v{champ.version}", champ.version)
    elif champ.tags.get("test_digest") != test_digest or champ.tags.get("primary_metric") != metric:
        result = Promotion(False, f"champion v{champ.version} was scored on another test set "
                                  f"({champ.tags.get('test_digest')}); not comparable", champ.version)
    else:
        best = float(champ.tags["primary_value"])
        better = value > best
        verb = "beats" if better else "does not beat"
        result = Promotion(better, f"{metric} {value:.4f} {verb} champion v{champ.version} ({best:.4f})", champ.version)
    if result.promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
    return result


def set_run_tags(tags: dict[str, str]) -> None:
    import mlflow

    mlflow.set_tags(tags)


def set_uri(uri: str) -> None:
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


TASK_MODELS = ("role", "topic", "stance", "bias")
COMBINED = "newslabel"
TRANSFORMERS = "transformers"


def model_flavors(uri: str) -> set[str]:
    """The flavours in a logged model's MLmodel (registry URI, runs:/ URI or local folder)."""
    from mlflow.models import Model

    return set(Model.load(uri).flavors)


def load_task_model(uri: str):
    """A task model of either flavour, as an estimator with `predict_proba` and `classes_`.

    scikit-learn models load as they were fitted; transformers models are rebuilt into a
    `TransformerClassifier`. A model that cannot be loaded raises ModelLoadError with a one-line reason.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    from .predict import ModelLoadError

    try:
        if TRANSFORMERS in model_flavors(uri):
            from .transformer import TransformerClassifier, quiet_loading

            quiet_loading()
            logging.getLogger("mlflow.transformers").setLevel(logging.WARNING)  # not "resolved as" per model
            parts = mlflow.transformers.load_model(uri, return_type="components")
            return TransformerClassifier.from_components(parts["model"], parts["tokenizer"])
        return mlflow.sklearn.load_model(uri)
    except (MlflowException, OSError, ImportError, ValueError) as exc:
        raise ModelLoadError(f"{uri}: cannot load model ({str(exc).splitlines()[0]})") from None




def champion_uris(prefix: str = "newslabel-") -> dict[str, tuple[str, str]]:
    """task -> (models:/name/version, version) for every task whose model has a champion."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client, out = MlflowClient(), {}
    for task in TASK_MODELS:
        try:
            v = client.get_model_version_by_alias(f"{prefix}{task}", CHAMPION)
        except MlflowException:
            continue
        out[task] = (f"models:/{prefix}{task}/{v.version}", v.version)
    return out


def load_champions(prefix: str = "newslabel-"):
    from .predict import Labeller, ModelLoadError

    uris = champion_uris(prefix)
    if "role" not in uris:
        raise ModelLoadError(f"models:/{prefix}role@{CHAMPION}: no champion registered; run `python -m src.train`")
    return Labeller({t: load_task_model(u) for t, (u, _) in uris.items()}, {t: v for t, (_, v) in uris.items()})


def load_combined(uri: str):
    """A `newslabel` pyfunc (registry URI, runs:/ URI or local folder) -> its Labeller."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from .predict import ModelLoadError

    try:
        model = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as exc:
        raise ModelLoadError(f"{uri}: cannot load model ({str(exc).splitlines()[0]})") from None
    inner = model.unwrap_python_model()
    if not hasattr(inner, "labeller"):
        raise ModelLoadError(f"{uri}: not a newslabel labeller model")
    return inner.labeller


def log_combined(prefix: str = "newslabel-") -> tuple[str | None, str]:
    """Log and register the current champions as one `newslabel` pyfunc; alias it champion.

    Returns (version, reason). Nothing is registered when the bundle of champions is unchanged.
    """
    import json
    import tempfile

    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from .serving import NewslabelModel

    uris = champion_uris(prefix)
    if set(uris) != set(TASK_MODELS):
        return None, f"not all tasks have a champion ({', '.join(sorted(uris))})"
    versions = {t: v for t, (_, v) in uris.items()}
    client = MlflowClient()
    try:
        current = client.get_model_version_by_alias(COMBINED, CHAMPION)
        if current.tags.get("bundle") == json.dumps(versions, sort_keys=True):
            return current.version, f"unchanged (v{current.version} bundles the same champions)"
    except MlflowException:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        vpath = f"{tmp}/versions.json"
        with open(vpath, "w") as fh:
            json.dump(versions, fh)
        example = pd_example()
        kind = "transformer" if any(TRANSFORMERS in model_flavors(u) for u, _ in uris.values()) else "sklearn"
        info = mlflow.pyfunc.log_model(
            name="labeller", python_model=NewslabelModel(),
            artifacts={**{t: u for t, (u, _) in uris.items()}, "versions": vpath},
            input_example=example, registered_model_name=COMBINED, pip_requirements=pip_requirements(kind),
        )
    version = str(info.registered_model_version)
    client.set_model_version_tag(COMBINED, version, "bundle", json.dumps(versions, sort_keys=True))
    client.set_registered_model_alias(COMBINED, CHAMPION, version)
    return version, f"bundles champions {versions}"


def pd_example():
    import pandas as pd

    text = "Example Site\nCouncil approves new harbour plan\nBy Staff Reporter | 3 March 2025\n" \
           "The council approved the plan on Monday after a long debate about costs and the environment."
    return pd.DataFrame({"id": ["example"], "text": [text]})


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
