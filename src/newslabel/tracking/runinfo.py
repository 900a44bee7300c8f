"""What a person reads in the MLflow UI: run names, params, descriptions (no MLflow import here).

Names come from the Hydra overrides of the command line (or the list given to `config.compose`), so
two runs differ by name exactly when their commands do, and a short digest of the resolved settings
tells apart runs whose config files changed in between.

>>> clean_overrides(["paths.mlruns=/tmp/m", "model.C=10", "task=bias", "rebuild_datasets=true", "++paths.x=1"])
['model.C=10', 'task=bias']
>>> child_name("bias", "logreg", "sample", ["model.C=10", "task=bias"], "3fa2c1")
'bias · logreg · sample · model.C=10 · 3fa2c1'
>>> parent_name(["role", "bias"], "logreg", "sample", [], "0d9e11")
'train role+bias · logreg · sample · defaults · 0d9e11'
"""

from __future__ import annotations

import hashlib
import json

# Overrides that say where files go, how the run is tracked, or that Hydra sets itself: not what was trained.
_PLACE_PREFIXES = ("paths.", "hydra.", "tracking.", "rebuild_datasets")
_TASK_OVERRIDES = ("task=", "task.names=")
TRAIN_EXPERIMENT_DESCRIPTION = """\
Training runs of newslabel (`python -m src.train`, `make train`). Each command is one **parent run**
named `train TASKS · MODEL · DATA · OVERRIDES · CONFIG-DIGEST`; each task it trains is a **child run**
nested under it, named `TASK · MODEL · DATA · OVERRIDES · CONFIG-DIGEST`.

- Metrics: `test_macro_f1`, `test_accuracy`, `val_macro_f1` (all tasks), `test_body_f1` (role),
  `test_fnc_score` (stance); add them under *Columns*.
- Params: only the overridden settings and a few key model settings; the full resolved config is the
  `config.yaml` artifact of every run.
- The run whose model is the current champion of its task carries the tag `champion=true`; the
  registry (*Models*) holds `newslabel-<task>` and the combined `newslabel`, alias `champion`.
- Datasets: train/validation/test of each task are logged as inputs (contexts `training`,
  `validation`, `test`) with the dataset card as `dataset/README.md`.
"""
TASK_MODEL_DESCRIPTIONS = {
    "role": "Role of each passage of a news page: title, byline, body, related, promo or chrome.",
    "topic": "IPTC Media Topics top-level category of a body passage (17 classes).",
    "stance": "Stance of a passage toward the page's headline: agree, disagree, discuss, unrelated (FNC-1).",
    "bias": "Whether a passage's wording is biased or neutral (BABE).",
}
COMBINED_DESCRIPTION = (
    "The whole labeller as one pyfunc: a page (text or HTML) in, one record a passage out, with role, "
    "topic, stance and bias from the four task models' champions. Serve it with "
    "`mlflow models serve -m models:/newslabel@champion`."
)


def task_model_description(task: str, primary: str) -> str:
    return (f"{TASK_MODEL_DESCRIPTIONS.get(task, task)} Trained by `python -m src.train task={task}`; "
            f"the alias `champion` moves only to a version that beats it on {primary} on the same test set. "
            "Each version links to its training run, whose description says how it was trained.")


def clean_overrides(overrides) -> list[str]:
    """The overrides that change what is trained (paths and Hydra's own settings dropped), in order."""
    return [str(o) for o in overrides if not str(o).lstrip("+~").startswith(_PLACE_PREFIXES)]


def config_digest(resolved: dict, root: str = "") -> str:
    """Six hex digits of the resolved settings, machine paths left out (so two clones agree)."""
    settings = {k: v for k, v in resolved.items() if k not in ("paths", "tracking", "rebuild_datasets")}
    text = json.dumps(settings, sort_keys=True, default=str)
    if root:
        text = text.replace(root, "<root>")
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def task_settings(resolved: dict, task: str) -> dict:
    """The settings one task's model depends on: everything but the other tasks' sections."""
    own = {t: s for t, s in resolved.get("tasks", {}).items() if t == task}
    return {**{k: v for k, v in resolved.items() if k not in ("task", "tasks")}, "tasks": own}


def _joined(parts: list[str]) -> str:
    return " · ".join(p for p in parts if p)


def child_name(task: str, model: str, data: str, overrides: list[str], digest: str) -> str:
    own = [o for o in overrides if not o.startswith(_TASK_OVERRIDES)]
    return _joined([task, model, data, " ".join(own), digest])


def parent_name(tasks: list[str], model: str, data: str, overrides: list[str], digest: str) -> str:
    own = [o for o in overrides if not o.startswith(_TASK_OVERRIDES)]
    return _joined([f"train {'+'.join(tasks)}", model, data, " ".join(own) or "defaults", digest])


def key_params(resolved: dict, overrides: list[str], keys: list[str]) -> dict[str, str]:
    """Params worth a column: the configured key settings that exist for this model, then every override.

    >>> key_params({"model": {"name": "logreg", "C": 4.0}, "seed": 1}, ["model.C=10"], ["model.name", "model.lr"])
    {'model.name': 'logreg', 'model.C': '10'}
    """
    out = {}
    for key in keys:
        node = resolved
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, dict):
            out[key] = str(node)
    for o in overrides:
        key, _, value = o.lstrip("+~").partition("=")
        out[key] = value[:500]
    return out


def champion_line(result: dict, champion_before: dict | None, primary: str) -> str:
    """How the run did against the champion: the promotion's own verdict if there was one."""
    if result.get("promotion_reason"):
        verdict = "this run's model is now the champion" if result.get("promoted") else "the champion stays"
        return f"{result['promotion_reason']}: {verdict}."
    if champion_before is None:
        return "No champion to compare with (registration is off or the task has none yet)."
    mine, theirs = result.get(primary), champion_before.get("value")
    if mine is None or theirs is None:
        return f"Champion v{champion_before['version']} has no {primary} to compare with."
    verb = "above" if mine > theirs else "not above"
    return f"{primary} {mine:.4f} is {verb} champion v{champion_before['version']} ({theirs:.4f}); not registered."


def model_summary(model_cfg: dict) -> str:
    shown = [f"{k}={model_cfg[k]}" for k in ("C", "class_weight", "calibration", "learning_rate", "max_steps",
                                             "max_length") if k in model_cfg]
    return f"`{model_cfg.get('name')}`" + (f" ({', '.join(shown)})" if shown else "")


def child_description(task: str, resolved: dict, summary: dict, sizes: dict, result: dict,
                      champion_before: dict | None, overrides: list[str]) -> str:
    primary = resolved["tasks"][task]["primary_metric"]
    split_sizes = " / ".join(f"{s} {n}" for s, n in sizes.items())
    scores = ", ".join(f"{k.removeprefix('test_')} {result[k]:.3f}" for k in
                       (primary, "test_macro_f1", "test_accuracy") if k in result)
    scores = ", ".join(dict.fromkeys(scores.split(", ")))  # primary may be macro-F1 itself
    val = f"; validation macro_f1 {result['val_macro_f1']:.3f}" if "val_macro_f1" in result else ""
    return (f"**{task}** classifier {model_summary(resolved['model'])}, trained on data `{summary['source']}` "
            f"({split_sizes} passages; dataset digest `{summary['digest']}`).\n\n"
            f"Test: {scores}{val}.\n\n"
            f"Against the champion: {champion_line(result, champion_before, primary)}\n\n"
            f"Overrides: {' '.join(overrides) or 'none (the defaults)'}; the resolved config is `config.yaml`.")


def parent_description(tasks: list[str], resolved: dict, results: dict, overrides: list[str]) -> str:
    rows = []
    for task in tasks:
        r = results.get(task, {})
        primary = resolved["tasks"][task]["primary_metric"]
        value = f"{r[primary]:.3f}" if primary in r else "—"
        rows.append(f"| {task} | {primary} | {value} | {'yes' if r.get('promoted') else 'no'} |")
    return (f"Training of {', '.join(tasks)} with model {model_summary(resolved['model'])} on data "
            f"`{resolved['data']['name']}`; overrides: {' '.join(overrides) or 'none (the defaults)'}. "
            "One child run a task (expand this run).\n\n"
            "| task | primary metric | test | new champion |\n|---|---|---|---|\n" + "\n".join(rows))
