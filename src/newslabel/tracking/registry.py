"""The model registry: which model is champion, registering champions, and the one published labeller.

- `decide` compares a new task model with the current champion on the validation split (promotion.py's
  paired bootstrap); `crown` registers the winner as `newslabel-<task>` (only champions are registered),
  moves the `champion` alias and keeps the tag `champion=true` on the current champion's version and run only.
- `publish_labeller` republishes the combined `newslabel` pyfunc (alias `champion`) from the current per-task
  champions whenever they changed, so local, HTTP and Spark serve the same models.
- `load` is what `load_labeller(model=...)` resolves: the champions, the combined labeller, or one task model
  that replaces its task's champion.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from newslabel.errors import ModelLoadError
from newslabel.tracking.model_files import (
    TRANSFORMERS,
    load_task_model,
    metadata,
    pip_requirements,
    read_mlmodel,
)
from newslabel.tracking.promotion import Comparison, paired_bootstrap

CHAMPION = "champion"
COMBINED = "newslabel"
TASK_MODELS = ("role", "topic", "stance", "bias")
PREFIX = "newslabel-"


# models-from-code: MLflow runs this file when the labeller is loaded (no pickled wrapper). A path, not an
# import: the serving layer sits above this one.
LABELLER_CODE = Path(__file__).parents[1] / "serve" / "labeller_code.py"


@dataclass
class Decision:
    promoted: bool
    decision: str  # first, forced, better, tie, not better, not comparable, no validation, champion unusable
    reason: str
    metric: str  # the validation metric that decided (tasks.<task>.primary_metric)
    value: float | None  # the new model's value of it
    champion_version: str | None = None
    comparison: Comparison | None = None

    def tags(self) -> dict[str, str]:
        out = {"promotion_decision": self.decision, "promotion_reason": self.reason[:5000],
               "promoted": str(self.promoted), "previous_champion": str(self.champion_version),
               "promotion_metric": self.metric, "promotion_value": _fmt(self.value)}
        if self.comparison is not None:
            c = self.comparison
            out |= {"promotion_champion": f"{c.champion:.6f}", "promotion_diff": f"{c.diff:+.6f}",
                    "promotion_ci_low": f"{c.low:+.6f}", "promotion_ci_high": f"{c.high:+.6f}",
                    "promotion_resamples": str(c.resamples), "promotion_unit": c.unit}
        return out


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:.6f}"


def current(name: str):
    """The model version aliased champion, or None."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def decide(name: str, metric: str, value: float | None, digest: str, validation, new_pred, groups, rule,
           force: bool = False) -> Decision:
    """Should the new model (`value` of `metric`; its predictions `new_pred` of `validation`, a frame of inputs
    and `label`) replace `name`'s champion? `rule` is configs/tracking's `promotion`; `groups` role's pages."""
    champ = current(name)
    if champ is None:
        return Decision(True, "first", "no champion yet", metric, value)
    v = str(champ.version)
    if force:
        return Decision(True, "forced", f"forced over champion v{v} (tracking.force_promote)", metric, value, v)
    if not len(validation) or value is None:
        return Decision(False, "no validation", f"no validation split to compare with champion v{v}", metric,
                        value, v)
    if (champ.tags.get("dataset_digest") or champ.tags.get("test_digest")) != digest:
        return Decision(False, "not comparable", f"champion v{v} was chosen on another dataset "
                        f"({champ.tags.get('dataset_digest')}); not comparable (tracking.force_promote=true "
                        f"replaces it)", metric, value, v)
    try:
        old = load_task_model(f"models:/{name}/{v}")
    except ModelLoadError as exc:
        return Decision(True, "champion unusable", f"champion v{v} is unusable, replaced: {exc}", metric, value, v)
    c = compare(metric, validation, new_pred, old, groups, rule)
    verdict = c.verdict(float(rule.min_lower_bound))
    said = {"better": f"beats champion v{v} (lower bound > {rule.min_lower_bound})",
            "tie": f"ties champion v{v} (a tie never promotes)",
            "not better": f"does not beat champion v{v} beyond noise (lower bound <= {rule.min_lower_bound})"}
    return Decision(verdict == "better", verdict, f"{c.summary(float(rule.confidence))}: {said[verdict]}", metric,
                    value, v, c)


def compare(metric: str, validation, new_pred, champion_model, groups, rule) -> Comparison:
    """The paired bootstrap of the new predictions against the champion's on the same validation rows."""
    X = validation.drop(columns=["label"])
    old_pred = champion_model.classes_[champion_model.predict_proba(X).argmax(axis=1)]
    return paired_bootstrap(metric, validation["label"], new_pred, old_pred, groups, int(rule.resamples),
                            float(rule.confidence), int(rule.seed))


def crown(name: str, model_uri: str, run_id: str, decision: Decision, digest: str) -> int:
    """Register `model_uri` as a version of `name`, alias it champion and move the `champion=true` tags."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    with _registry_chatter_off():
        version = str(mlflow.register_model(model_uri, name).version)
    for key, value in {**decision.tags(), "dataset_digest": digest, CHAMPION: "true"}.items():
        client.set_model_version_tag(name, version, key, value)
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_tag(run_id, CHAMPION, "true")
    if decision.champion_version is not None:
        _dethrone(name, decision.champion_version)
    return int(version)


@contextlib.contextmanager
def _registry_chatter_off():
    """MLflow prints "Successfully registered model ..." / "Created version ..." to stderr for every
    registration, past its logger levels; the training's own line per task already says which version."""
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def _dethrone(name: str, version: str) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    client.set_model_version_tag(name, version, CHAMPION, "false")
    run_id = client.get_model_version(name, version).run_id
    if run_id:
        try:
            client.set_tag(run_id, CHAMPION, "false")
        except MlflowException:  # the run was deleted; the version tag still says it
            pass


def champion_uris(prefix: str = PREFIX) -> dict[str, tuple[str, str]]:
    """task -> (models:/name/version, version) for every task whose model has a champion."""
    out = {}
    for task in TASK_MODELS:
        v = current(f"{prefix}{task}")
        if v is not None:
            out[task] = (f"models:/{prefix}{task}/{v.version}", str(v.version))
    return out


def publish_labeller(prefix: str = PREFIX) -> tuple[str | None, str]:
    """Log and register the current champions as one `newslabel` pyfunc (models-from-code); alias it champion.

    Returns (version, reason). Nothing is registered while a task has no champion or when the current
    labeller already bundles these champions.
    """
    import mlflow
    from mlflow import MlflowClient

    uris = champion_uris(prefix)
    if set(uris) != set(TASK_MODELS):
        return None, f"not all tasks have a champion ({', '.join(sorted(uris)) or 'none'})"
    versions = {t: v for t, (_, v) in uris.items()}
    bundle = json.dumps(versions, sort_keys=True)
    previous = current(COMBINED)
    if previous is not None and previous.tags.get("bundle") == bundle:
        return str(previous.version), f"unchanged (v{previous.version} bundles the same champions)"
    kind = "transformer" if any(TRANSFORMERS in read_mlmodel(u).flavors for u, _ in uris.values()) else "sklearn"
    with tempfile.TemporaryDirectory() as tmp:
        vpath = Path(tmp) / "versions.json"
        vpath.write_text(json.dumps(versions))
        with _registry_chatter_off():
            info = mlflow.pyfunc.log_model(
                name="labeller", python_model=str(LABELLER_CODE),
                artifacts={**{t: u for t, (u, _) in uris.items()}, "versions": str(vpath)},
                input_example=example_pages(), registered_model_name=COMBINED, pip_requirements=pip_requirements(kind),
                metadata=metadata(None, "labeller"),
            )
    version, client = str(info.registered_model_version), MlflowClient()
    for key, value in {"bundle": bundle, CHAMPION: "true"}.items():
        client.set_model_version_tag(COMBINED, version, key, value)
    client.set_registered_model_alias(COMBINED, CHAMPION, version)
    if previous is not None:
        _dethrone(COMBINED, str(previous.version))
    return version, f"bundles champions {versions}"


def example_pages():
    import pandas as pd

    text = "Example Site\nCouncil approves new harbour plan\nBy Staff Reporter | 3 March 2025\n" \
           "The council approved the plan on Monday after a long debate about costs and the environment."
    return pd.DataFrame({"id": ["example"], "text": [text]})
