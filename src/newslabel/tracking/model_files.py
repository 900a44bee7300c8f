"""Task model files: how a task model is written to MLflow and read back, without pickle.

- scikit-learn models use MLflow's sklearn flavour in the `skops` format (no pickle; `model.skops`). On load
  the file's types are checked against `TRUSTED_TYPES` here, in the code, not against the list the model's
  own MLmodel carries (a crafted model could trust anything there).
- transformers models use MLflow's transformers flavour (safetensors, config and tokenizer files).
- Every model records `newslabel_version`, `newslabel_task` and `newslabel_kind` in its MLmodel metadata and
  pins `newslabel==<version>` in its requirements; a model saved by an incompatible version is refused with
  one line.
"""

from __future__ import annotations

import logging

from newslabel.errors import ModelLoadError
from newslabel.version import __version__

TRANSFORMERS = "transformers"
SKOPS = "skops"


# Types a skops model file may hold beyond skops' defaults (builtins, numpy, scipy, most of scikit-learn): the
# project's estimators and feature classes (importable from newslabel.*, never src.*), and the scikit-learn
# internals the shipped configs use. Loading a model with any other type fails with ModelLoadError.
TRUSTED_TYPES = [
    "newslabel.labels.context.TemplateStats", "newslabel.labels.rules.RuleModel",
    "newslabel.models.text.CompactTfidf", "newslabel.models.text.Deduplicated", "newslabel.models.text.PairFeatures",
    "newslabel.models.text.TextColumn", "newslabel.models.text.SimilarityFeatures",
    "newslabel.models.role_context.RoleContext", "newslabel.models.dom_features.HtmlFeatures",
    "newslabel.models.sequence.SequenceSmoother", "newslabel.models.pipeline.TwoStageStance",
    "newslabel.models.body_gate.BodyGate",
    "newslabel.models.topic.TopicHead", "newslabel.models.topic.TopicSettings", "newslabel.models.static_embed.StaticEmbedding",
    "newslabel.models.topic.FixedEmbedding",
    # the two-stage stance model's SplineTransformer holds scipy B-splines (and a reference to scipy's asarray)
    "scipy.interpolate._bsplines.BSpline", "scipy._lib.array_api_compat.numpy._aliases.asarray",
    "sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


def pip_requirements(kind: str = "sklearn") -> list[str]:
    """A logged model's requirements: newslabel itself (its feature code is in the model), pinned; then its
    libraries; `transformer` adds torch, transformers and their kin."""
    from importlib.metadata import version

    out = [f"newslabel=={__version__}"]
    out += [f"{p}=={version(p)}" for p in ("scikit-learn", "pandas", "numpy", "scipy", "lxml", "skops")]
    if kind == "transformer":
        from newslabel.models.transformer import pip_requirements as transformer_requirements

        out += transformer_requirements()
    return out


def metadata(task: str | None, kind: str) -> dict[str, str]:
    out = {"newslabel_version": __version__, "newslabel_kind": kind}
    return out | ({"newslabel_task": task} if task else {})


def compatible(saved: str, current: str = __version__) -> bool:
    """Same major version (same minor while 0.x, where the minor is the breaking one).

    >>> compatible("0.1.0", "0.1.3"), compatible("0.1.0", "0.2.0"), compatible("1.2.0", "1.4.1")
    (True, False, True)
    """
    a, b = saved.split(".")[:2], current.split(".")[:2]
    return a == b if a[0] == "0" else a[0] == b[0]


def check_version(uri: str, meta: dict | None) -> None:
    """ModelLoadError unless the model was saved by a newslabel this one can load."""
    saved = (meta or {}).get("newslabel_version")
    if saved is None:
        raise ModelLoadError(f"{uri}: cannot load model (it records no newslabel version: saved before "
                             f"newslabel 0.1.0 model files; retrain with `python -m src.train`)")
    if not compatible(str(saved)):
        raise ModelLoadError(f"{uri}: cannot load model (saved by newslabel {saved}, incompatible with newslabel "
                             f"{__version__}; retrain with `python -m src.train` or install newslabel=={saved})")


def log_task_model(model, input_example, task: str, kind: str = "sklearn"):
    """Log a task model in the run (not registered: registry.crown registers champions); returns ModelInfo."""
    if kind == "transformer" or getattr(model, "mlflow_flavor", None) == TRANSFORMERS:
        return log_transformer_model(model, input_example, task)
    return log_sklearn_model(model, input_example, task)


def log_sklearn_model(model, input_example, task: str):
    import mlflow
    from mlflow.models import infer_signature

    signature = infer_signature(input_example, model.predict(input_example))
    return mlflow.sklearn.log_model(
        model, name="model", signature=signature, input_example=input_example, pip_requirements=pip_requirements(),
        # MLflow's own check on logging (it loads the model back) already fails on a type outside the list;
        # skops.dumps is slow for large vocabularies (~25 s for a 40 MB model), so it is not repeated here.
        serialization_format=SKOPS, skops_trusted_types=TRUSTED_TYPES, metadata=metadata(task, "sklearn"),
    )


def log_transformer_model(model, input_example, task: str):
    """Log a `TransformerClassifier` with MLflow's transformers flavour (text-classification).

    The flavour keeps the Hugging Face model and tokenizer; the model config carries the classifier's settings
    and label order, so `load_task_model` rebuilds the same estimator. The input example is what the
    flavour's own pyfunc reads: passages, or {"text", "text_pair"} pairs for stance and role.
    """
    import json
    import tempfile
    from pathlib import Path

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
        model.components(), name="model", task="text-classification", signature=signature, input_example=example,
        pip_requirements=pip_requirements("transformer"),
        model_config={"truncation": True, "max_length": int(model.settings.max_length)},
        metadata=metadata(task, "transformer"),
    )


def read_mlmodel(uri: str):
    """The MLmodel of a registry URI, runs:/ URI or folder; ModelLoadError when there is none."""
    from mlflow.models import Model

    try:
        return Model.load(uri)
    except Exception as exc:  # noqa: BLE001 - MLflow raises many kinds here; all mean "no model at this URI"
        raise ModelLoadError.because(uri, exc) from None


def load_task_model(uri: str):
    """A task model of either flavour, as an estimator with `predict_proba` and `classes_`.

    scikit-learn models load from their skops file after the trusted-types check; transformers models are
    rebuilt into a `TransformerClassifier`. Anything unusable raises ModelLoadError with a one-line reason.
    """
    from mlflow.exceptions import MlflowException

    info = read_mlmodel(uri)
    check_version(uri, info.metadata)
    try:
        if TRANSFORMERS in info.flavors:
            return _load_transformer(uri)
        return _load_skops(uri, info.flavors.get("sklearn") or {})
    except (MlflowException, OSError, ImportError, ValueError, KeyError) as exc:
        if isinstance(exc, ModelLoadError):
            raise
        raise ModelLoadError.because(uri, exc) from None


def _load_transformer(uri: str):
    import mlflow

    from newslabel.models.transformer import TransformerClassifier, quiet_loading

    quiet_loading()
    logging.getLogger("mlflow.transformers").setLevel(logging.WARNING)  # not "resolved as" per model
    parts = mlflow.transformers.load_model(uri, return_type="components")
    return TransformerClassifier.from_components(parts["model"], parts["tokenizer"])


class _NoTorch:
    """A meta path finder under which `import torch` raises ImportError (while skops lists the estimators)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError(f"{name} is not imported while skops.io loads")
        return None


def _skops_io():
    """skops.io, imported without torch. At import skops lists scikit-learn's estimators (`all_estimators`), whose
    walk of scikit-learn's packages imports sklearn.externals.array_api_compat.torch and so torch: 1.7 of the 3.6 s
    its import took on 2 cores, in every process that loads a model. A scikit-learn model needs no torch (the walk
    skips a package that fails to import: the same 208 estimator names), and a transformers model imports it."""
    import sys

    if "skops.io" not in sys.modules and "torch" not in sys.modules:
        sys.meta_path.insert(0, _NoTorch)
        try:
            import skops.io
        finally:
            sys.meta_path.remove(_NoTorch)
    import skops.io

    return skops.io


def _load_skops(uri: str, flavor: dict):
    import os

    import mlflow

    skops_io = _skops_io()

    if flavor.get("serialization_format") != SKOPS:
        raise ModelLoadError(f"{uri}: cannot load model (not a skops scikit-learn model file: "
                             f"{flavor.get('serialization_format') or 'no sklearn flavour'}; pickles are not loaded)")
    path = os.path.join(mlflow.artifacts.download_artifacts(artifact_uri=uri), flavor["pickled_model"])
    from skops.io.exceptions import UntrustedTypesFoundException

    try:  # one audit of the file, in the load itself: a role model's audit takes seconds
        return skops_io.load(path, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException:
        untrusted = sorted(set(skops_io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
        raise ModelLoadError(f"{uri}: cannot load model (untrusted types in its skops file: "
                             f"{', '.join(untrusted)})") from None
