"""Loading a Labeller: the registered champions, the published `newslabel` labeller, or a task model URI in
place of its champion; one-line ModelLoadError otherwise."""

from __future__ import annotations

import re

from newslabel.errors import ModelLoadError
from newslabel.predict.labeller import Labeller
from newslabel.tracking.model_files import (
    check_version,
    load_task_model,
    read_mlmodel,
)
from newslabel.tracking.registry import CHAMPION, PREFIX, TASK_MODELS, champion_uris


# -- loading ---------------------------------------------------------------------------------------------------
def load(model: str | None = None, prefix: str = PREFIX):
    """A Labeller: the champions (None), the combined labeller at `model`, or the champions with `model`, a
    task model (e.g. models:/newslabel-role/2), in place of its task's champion."""
    if model is None:
        return load_champions(prefix)
    info = read_mlmodel(model)
    task = (info.metadata or {}).get("newslabel_task") or _task_in_name(model, prefix)
    if task in TASK_MODELS:
        return load_champions(prefix, {task: model})
    if "versions" in (info.flavors.get("python_function") or {}).get("artifacts", {}):
        return load_combined(model, info)
    raise ModelLoadError(f"{model}: cannot load model (not a newslabel model: expected the labeller, e.g. "
                         f"models:/newslabel@champion, or a task model, e.g. models:/{prefix}role/1)")


def _task_in_name(uri: str, prefix: str) -> str | None:
    m = re.match(rf"models:/{re.escape(prefix)}([a-z]+)[/@]", uri)
    return m.group(1) if m else None


def load_champions(prefix: str = PREFIX, replace: dict[str, str] | None = None):
    """The Labeller of the registered champions, with `replace` ({task: model URI}) in their place."""
    from newslabel.predict.labeller import Labeller

    uris = {t: u for t, (u, _) in champion_uris(prefix).items()} | (replace or {})
    if "role" not in uris:
        raise ModelLoadError(f"models:/{prefix}role@{CHAMPION}: no champion registered; run `python -m src.train`")
    models = {t: load_task_model(u) for t, u in uris.items()}
    return Labeller(models, {t: _version_of(u) for t, u in uris.items()})


def _version_of(uri: str) -> str:
    """models:/newslabel-role/2 -> '2'; any other URI is its own version label."""
    m = re.fullmatch(r"models:/[^/@]+/(\d+)", uri)
    return m.group(1) if m else uri


def load_combined(uri: str, info=None):
    """A `newslabel` pyfunc (registry URI, runs:/ URI or local folder) -> its Labeller."""
    import mlflow

    check_version(uri, (info or read_mlmodel(uri)).metadata)
    try:
        model = mlflow.pyfunc.load_model(uri)
    except Exception as exc:  # noqa: BLE001 - MLflow and the task loaders raise many kinds; all mean unusable
        raise ModelLoadError.because(uri, exc) from None
    inner = model.unwrap_python_model()
    if not hasattr(inner, "labeller"):
        raise ModelLoadError(f"{uri}: not a newslabel labeller model")
    return inner.labeller


def load_labeller(model: str | None = None, tracking_uri: str | None = None, mlruns: str | None = None) -> Labeller:
    """The labeller from the registry champions (default), a combined `newslabel` model, or one task model.

    The store is mlruns/ of the project unless `mlruns` or $NEWSLABEL_MLRUNS names another.
    `model` may be the combined labeller (`models:/newslabel@champion`, `models:/newslabel/3`,
    `runs:/<id>/labeller`, a folder saved by MLflow) or a task model (`models:/newslabel-role/2`, a folder),
    which replaces that task's champion. Raises ModelLoadError with a one-line reason when it cannot be loaded.
    """
    from newslabel.tracking import store as tracking

    if tracking_uri is None:
        from newslabel.config import mlruns_dir

        tracking.configure(mlruns or mlruns_dir())
    else:
        tracking.set_uri(tracking_uri)
    return load(model)
