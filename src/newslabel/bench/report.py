"""Benchmark results: the report types, the committed result files (benchmarks/results/NAME.json), the MLflow
runs they are logged as, and docs/benchmarks.md rendered from the files alone."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from newslabel.config import config_dir, project_root

BENCHMARKS = ("webextract", "bbc", "agnews", "fnc1", "babe")
# -- configuration ----------------------------------------------------------------------------
def load_config(path: Path | None = None) -> DictConfig:
    return OmegaConf.load(path or config_dir() / "benchmark.yaml")


def default_shared() -> Path:
    return project_root().parent / "shared"


RESULTS = Path("benchmarks") / "results"  # under the project folder
RESULT_FORMAT = 1


# Table columns per benchmark: (metric, header, format). The runs carry these metric names.
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "webextract": [("precision_body", "P", ".3f"), ("recall_body", "R", ".3f"), ("body_f1", "body F1", ".3f"),
                   ("body_f1_ci", "F1 95% CI (pages)", ""), ("macro_f1", "macro-F1", ".3f"),
                   ("accuracy", "accuracy", ".3f"), ("seconds_per_item", "s/page", ".4f"),
                   ("cpu_seconds_per_item", "CPU s/page", ".4f")],
    "bbc": [("accuracy", "accuracy", ".4f"), ("accuracy_ci", "accuracy 95% CI", ""), ("macro_f1", "macro-F1", ".4f"),
            ("seconds_per_item", "s/article", ".5f"),
            ("cpu_seconds_per_item", "CPU s/article", ".5f"), ("fit_seconds", "fit s", ".1f")],
    "agnews": [("accuracy", "accuracy", ".4f"), ("accuracy_ci", "accuracy 95% CI", ""), ("macro_f1", "macro-F1", ".4f"),
               ("seconds_per_item", "s/item", ".5f"),
               ("cpu_seconds_per_item", "CPU s/item", ".5f"), ("fit_seconds", "fit s", ".1f")],
    "fnc1": [("fnc_score", "FNC score", ".2f"), ("fnc_relative", "relative", ".4f"),
             ("fnc_relative_ci", "relative 95% CI", ""), ("macro_f1", "macro-F1", ".3f"),
             ("f1_agree", "F1 agree", ".3f"), ("f1_disagree", "F1 disagree", ".3f"), ("f1_discuss", "F1 discuss", ".3f"),
             ("f1_unrelated", "F1 unrelated", ".3f"), ("accuracy", "accuracy", ".3f"),
             ("seconds_per_item", "s/pair", ".5f"), ("cpu_seconds_per_item", "CPU s/pair", ".5f"),
             ("fit_seconds", "fit s", ".1f")],
    "babe": [("macro_f1", "test macro-F1", ".3f"), ("macro_f1_ci", "95% CI", ""), ("f1_biased", "test F1 biased", ".3f"),
             ("accuracy", "test accuracy", ".3f"), ("cv_macro_f1", "CV macro-F1", ".3f"),
             ("cv_macro_f1_std", "CV std", ".3f"), ("seconds_per_item", "s/sentence", ".5f"),
             ("cpu_seconds_per_item", "CPU s/sentence", ".5f"), ("fit_seconds", "fit s", ".1f")],
    "labeller": [("value", "value", ".3f"), ("value_ci", "95% CI", ""), ("n", "n", ".0f"),
                 ("seconds", "s (whole check)", ".1f")],
    "metadata": [("value", "value", ".3f"), ("value_ci", "95% CI", ""), ("n", "pages", ".0f")],
}
COLUMNS["metadata_train"] = COLUMNS["metadata"]  # the same benchmark on wcxb-dev's train sites
KIND_ORDER = {"ours": 0, "peer": 1, "baseline": 2, "published": 3}
WCXB_HEADS = {"word_f1": "word F1 (all)", "with_found": "with found", "without_absent": "without absent",
              "ms_per_page": "ms/page"}
CI_COLUMNS = ("body_f1_ci", "accuracy_ci", "macro_f1_ci", "fnc_relative_ci",
              "value_ci")  # rendered from <m>_ci_low/_high


class Skipped(Exception):
    """A benchmark's data is not there; the message says which folder is missing."""


@dataclass
class Row:
    system: str
    kind: str  # ours | peer | baseline | published
    metrics: dict[str, float]
    params: dict[str, str] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    note: str = ""
    errors: str = ""  # what the errors look like (ours): the commonest confusions, or missed / false body
    validation: dict[str, float] = field(default_factory=dict)  # ours, where a validation split is held out


@dataclass
class Report:
    name: str
    rows: list[Row]
    meta: dict[str, str]


# -- running and tracking --------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "n/a"
    return {"cores": str(os.cpu_count()), "cpu": cpu, "os": f"{platform.system()} {platform.release()}",
            "load_average_at_start": load}


def code_commit(root: Path) -> str:
    """HEAD, with ``-dirty`` when tracked files differ from it; the benchmark outputs themselves (`RESULTS` and the
    configured docs page) do not count, so a run of several benchmarks records the same commit for each, in its
    result file and its MLflow runs."""
    from newslabel.tracking import store as tracking

    return tracking.git_commit(root, exclude=(str(load_config().docs), RESULTS.as_posix()))


def run_meta(name: str, command: str, limit: int) -> dict[str, str]:
    """What every benchmark run records: its name, date, code commit, command, limit, machine and versions."""
    from datetime import UTC, datetime

    return {"benchmark": name, "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "git_commit": code_commit(project_root()), "command": command, "limit": str(limit),
            **{f"machine.{k}": v for k, v in machine().items()},
            **{f"version.{k}": v for k, v in package_versions().items()}}


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("newslabel", "scikit-learn", "numpy", "pandas", "lxml", "mlflow", "trafilatura", "readability-lxml",
                "justext", "torch", "transformers"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return out


def log_report(report: Report, mlruns: Path, conf: DictConfig) -> None:
    """One MLflow run per row in ``benchmark-NAME``; every run carries the batch's metadata as tags."""
    import mlflow

    from newslabel.tracking import store as tracking

    tracking.configure(mlruns)
    experiment = f"{conf.experiment_prefix}{report.name}"
    for order, row in enumerate(report.rows):
        commit = report.meta.get("git_commit", "unknown")
        tags = {**{f"bench.{k}": v for k, v in report.meta.items()}, "kind": row.kind, "measured": str(row.kind !=
                "published").lower(), "row_order": str(order), "note": row.note, "errors": row.errors,
                "git_commit": commit, "mlflow.source.git.commit": commit,
                **{f"target.{k}": str(v) for k, v in row.targets.items()}}
        with tracking.run(experiment, mlruns, row.system, row.params, tags):
            mlflow.log_metrics({k: float(v) for k, v in {**row.metrics, **row.validation}.items() if v == v})


# -- result files (benchmarks/results/NAME.json) ---------------------------------------------
_PARAMS_KEPT = ("train_command", "model", "n_train", "n_test", "hold_out_validation", "input", "cv", "tool",
                "version", "kind", "C", "label", "max_features", "class_weight", "min_df", "favor_precision",
                "include_comments", "check", "metric", "split", "field", "group")


def _number(v):
    return None if v is None or v != v else float(v)


def save_result(report: Report, results_dir: Path) -> Path:
    """Write ``results_dir/NAME.json``: every figure (with its interval), validation metrics, how it was made."""
    meta = report.meta
    machine_info = {k.removeprefix("machine."): v for k, v in meta.items() if k.startswith("machine.")}
    versions = {k.removeprefix("version."): v for k, v in meta.items() if k.startswith("version.")}
    other = {k: v for k, v in meta.items() if not k.startswith(("machine.", "version."))
             and k not in ("command", "git_commit", "date")}
    data = {
        "format": RESULT_FORMAT, "benchmark": report.name, "command": meta.get("command", ""),
        "git_commit": meta.get("git_commit", "unknown"), "date": meta.get("date", ""), "machine": machine_info,
        "versions": versions, "run": other,
        "rows": [{"system": r.system, "kind": r.kind, "metrics": {k: _number(v) for k, v in r.metrics.items()},
                  "intervals": {m: [_number(r.metrics.get(f"{m}_ci_low")), _number(r.metrics.get(f"{m}_ci_high"))]
                                for m in ("body_f1", "accuracy", "macro_f1", "fnc_relative", "value")
                                if f"{m}_ci_low" in r.metrics},
                  "validation": {k: _number(v) for k, v in r.validation.items()} or None,
                  "params": {k: v for k, v in r.params.items() if k in _PARAMS_KEPT},
                  "targets": r.targets, "note": r.note, "errors": r.errors} for r in report.rows],
    }
    path = Path(results_dir) / f"{report.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    return path


def load_result(path: Path) -> Report:
    """A result file back as the Report it was written from (intervals stay in the metrics)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    meta = {**data.get("run", {}), "command": data.get("command", ""), "git_commit": data.get("git_commit", ""),
            "date": data.get("date", ""), **{f"machine.{k}": v for k, v in data.get("machine", {}).items()},
            **{f"version.{k}": v for k, v in data.get("versions", {}).items()}}
    rows = [Row(r["system"], r["kind"], {k: (float("nan") if v is None else v) for k, v in r["metrics"].items()},
                r.get("params", {}), r.get("targets", {}), r.get("note", ""), r.get("errors", ""),
                {k: (float("nan") if v is None else v) for k, v in (r.get("validation") or {}).items()})
            for r in data["rows"]]
    return Report(data["benchmark"], rows, meta)


# -- docs/benchmarks.md ----------------------------------------------------------------------
def collect(name: str, mlruns: Path, conf: DictConfig, include_limited: bool = False) -> Report | None:
    """The latest batch of ``benchmark-NAME`` runs (full runs only, unless include_limited) as a Report."""
    import mlflow
    from mlflow import MlflowClient

    from newslabel.tracking import store as tracking

    tracking.configure(mlruns)
    exp = mlflow.get_experiment_by_name(f"{conf.experiment_prefix}{name}")
    if exp is None:
        return None
    runs = MlflowClient().search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=2000)
    batch = next((r.data.tags.get("bench.batch") for r in runs if r.info.status == "FINISHED"
                  and (include_limited or r.data.tags.get("bench.limit") == "0")), None)
    if batch is None:
        return None
    chosen = sorted((r for r in runs if r.data.tags.get("bench.batch") == batch),
                    key=lambda r: int(r.data.tags.get("row_order", 0)))
    meta = {k.removeprefix("bench."): v for k, v in chosen[0].data.tags.items() if k.startswith("bench.")}
    rows = [Row(r.info.run_name, r.data.tags.get("kind", ""), dict(r.data.metrics), dict(r.data.params),
                {k.removeprefix("target."): float(v) for k, v in r.data.tags.items() if k.startswith("target.")},
                r.data.tags.get("note", ""), r.data.tags.get("errors", "")) for r in chosen]
    return Report(name, rows, meta)


def _cell(row: Row, metric: str, fmt: str) -> str:
    m = row.metrics
    if metric in CI_COLUMNS:
        lo, hi = m.get(f"{metric}_low"), m.get(f"{metric}_high")
        return f"{lo:.3f}–{hi:.3f}" if lo is not None and hi is not None and lo == lo and hi == hi else "—"
    if metric == "fit_seconds" and row.kind == "peer":
        return "—"
    v = m.get(metric)
    return "—" if v is None or v != v else format(v, fmt)


def _system(row: Row) -> str:
    if row.kind == "published":
        return f"*{row.system}* (published, not measured)"
    return f"**{row.system}**" if row.kind == "ours" else row.system


_VALIDATION_SHOWN = ("val_accuracy", "val_macro_f1", "val_body_f1", "val_fnc_relative", "val_f1_biased")


def render_report(report: Report) -> list[str]:
    base, _, gpu = report.name.partition("-")  # NAME-gpu: figures brought back from a GPU machine
    # GPU tables keep the columns they were first rendered with: no CPU time, no item intervals.
    cols = [c for c in COLUMNS[base] if not (gpu and (c[0] == "cpu_seconds_per_item" or
                                                      c[0] in CI_COLUMNS[1:]))]
    meta = report.meta
    lines = [f"### {base} on a GPU machine" if gpu else f"## {report.name}", ""]
    if gpu:
        lines += ["Measured on a GPU machine lent for the session, not on the 2-core machine of the table above: "
                  "`benchmarks/device_minilm.py` (its docstring says how), same splits and scorers. `s/item` is "
                  "prediction time there.", ""]
    if meta.get("limit", "0") != "0":
        lines += [f"Smoke run on at most {meta['limit']} items per label/pages per split: not a result.", ""]
    if base == "labeller":
        lines += [LABELLER_INTRO, ""]
    if base.startswith("metadata"):
        lines += [METADATA_INTRO.format(split=meta.get("split", "validation")), ""]
    lines += [
        "| system | kind | " + " | ".join(h for _, h, _ in cols) + " |",
        "|---|---|" + "---:|" * len(cols),
    ]
    ordered = report.rows if base in ("labeller", "metadata", "metadata_train") else sorted(report.rows, key=lambda r: KIND_ORDER.get(r.kind, 9))
    for row in ordered:  # the labeller's rows stay grouped by check
        lines.append(f"| {_system(row)} | {row.kind} | " + " | ".join(_cell(row, m, f) for m, _, f in cols) + " |")
    lines.append("")
    return lines + (_wcxb_table(report) if base == "labeller" else []) + _row_notes(report, gpu) + _run_notes(meta)


def _wcxb_table(report: Report) -> list[str]:
    """The labeller's wcxb-dev rows again, a line a system: word F1 in all and per page kind, snippets, ms a page."""
    cells: dict[str, dict[str, float]] = {}
    for r in report.rows:
        check, metric = r.params.get("check", ""), r.params.get("metric", "")
        if check.startswith("wcxb") and "diff" not in metric:
            cells.setdefault(r.system.removeprefix(f"{check}: ").removesuffix(f" ({metric})"), {})[metric] = \
                r.metrics["value"]
    metrics = list(dict.fromkeys(m for by in cells.values() for m in by))
    heads = [m.removeprefix("word_f1_") if m.startswith("word_f1_") else WCXB_HEADS.get(m, m) for m in metrics]
    lines = ["wcxb-dev validation, a line a system (means over pages, as above):", "",
             "| system | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]
    lines += [f"| {name} | " + " | ".join(format(by.get(m, float("nan")), ".1f" if m == "ms_per_page" else ".3f")
                                         for m in metrics) + " |" for name, by in cells.items()]
    return lines + [""] if cells else []


def _row_notes(report: Report, gpu: bool) -> list[str]:
    """Targets met or missed, and what each of our rows was trained on, validated on and got wrong."""
    lines = []
    targets = [(row, metric, goal) for row in report.rows for metric, goal in row.targets.items()]
    for row, metric, goal in targets:
        v = row.metrics.get(metric)
        status = "met" if v is not None and v >= goal else "**missed**"
        where = " (set for the 2-core machine, shown for comparison)" if gpu else ""
        lines.append(f"- Target{where}: {row.system}: {metric} ≥ {goal} — measured {v:.4f}: {status}.")
    for row in report.rows:
        if row.kind == "ours" and "train_command" in row.params:
            held = row.params.get("hold_out_validation") == "True"
            rows_used = "the train rows, validation rows for early stopping" if held else \
                "the train and validation rows"
            lines.append(f"- {row.system}: the model of `{row.params['train_command']}` (model "
                         f"`{row.params.get('model')}`), fit on {rows_used} ({row.params.get('n_train')}).")
        if row.validation and not gpu:
            shown = ", ".join(f"{k.removeprefix('val_')} {v:.4f}" for k, v in row.validation.items()
                              if k in _VALIDATION_SHOWN and v == v)
            lines.append(f"- Validation ({row.system}; the held-out rows it early-stopped on): {shown}.")
        if row.errors and report.name == "labeller":  # token P and R, pages refused, or the commonest confusions
            lines.append(f"- {row.system}: {row.errors}.")
        elif row.errors:
            lines.append(f"- Errors of {row.system} (gold→predicted): {row.errors}.")
    return lines


def _run_notes(meta: dict) -> list[str]:
    """Command, date, commit, machine, versions and sizes of the run."""
    versions = ", ".join(f"{k.removeprefix('version.')} {v}" for k, v in meta.items() if k.startswith("version."))
    commit = f"; git commit `{meta['git_commit']}`" if meta.get("git_commit") not in (None, "", "unknown") else ""
    return [
        f"- Command: `{meta.get('command', '')}`; date: {meta.get('date', '')}{commit}; whole benchmark "
        f"{meta.get('wall_seconds', '?')} s wall.",
        f"- Machine: {meta.get('machine.cores', '?')} cores ({meta.get('machine.cpu', '')}), "
        f"{meta.get('machine.os', '')}" + (
            f"; load average {meta['machine.load_average_at_start']} at start, "
            f"{meta.get('machine.load_average_at_end', '?')} at end (the machine is shared: timings are noisy)."
            if "machine.load_average_at_start" in meta else "."),
        f"- Versions: {versions}.",
    ] + ([f"- Test items: {meta.get('n_test_items', '?')} {meta.get('item', '')}s ({meta.get('n_test', '?')} rows); "
          f"training rows: {meta.get('n_train', '?')}."] if "n_test" in meta else []) + [""]


HEADER = """# Benchmarks

Rendered by `python -m src.benchmark NAME|all` (src/newslabel/bench/, configs/benchmark.yaml) from the committed
result files `benchmarks/results/<name>.json` (and `<name>-gpu.json`): **do not edit by hand**. Each section is the
latest full run of that benchmark; running one benchmark rewrites its own file and section only. Every run is also
logged to the MLflow experiment `benchmark-<name>` (open it with `make ui`), tagged with its git commit. Our model is
trained on the set's training split only and evaluated on its test split; peers and baselines are scored on the same
items in the same run. Rows in *italics*, marked *published, not measured*, are figures quoted from the data folder's
README (their own settings and, in places, their own splits). `s/item` is wall-clock prediction time per test item in
one process (for our models: the whole pipeline on the test split, features included; for webextract peers: the
tool's extraction of one decoded HTML string), `CPU s/item` the process CPU time. The machine is shared, so times are
noisy. 95% intervals resample test pages (webextract) or test items (the others), 1000 times.

webextract is scored over passages (micro) by the rule in ../shared/data/webextract/README.md: a passage is
predicted body when at least 50% of its tokens are matched by an order-preserving alignment against the tool's
output text.
"""


LABELLER_INTRO = ("The shipped champions (`load_labeller()`), scored through the calls a user makes "
                  "(`label_page`, `predict`; src/newslabel/bench/labeller.py), each check on its source's test "
                  "split (MasakhaNEWS and wcxb-dev: validation); a row names its check, system and metric. Peers "
                  "and baselines are scored on the same items in the same run. wcxb-dev: its validation sites only "
                  "(its train sites train the role model), word F1 and snippet shares by its README's rule "
                  "(src/newslabel/bench/wcxb.py), means over pages with a page bootstrap interval.")


METADATA_INTRO = ("Page metadata (`label_page`'s title, date, author; src/newslabel/bench/metadata.py, whose docstring "
                  "gives the rules) on wcxb-dev's {split} sites (`data.importers.wcxb.wcxb_split`), against "
                  "trafilatura's `extract_metadata` on the same pages in the same run; language on "
                  "extraction-merged. Intervals: Wilson 95%, the difference's a paired bootstrap over pages.")


def write_docs(path: Path | None = None, results_dir: Path | None = None, conf: DictConfig | None = None) -> Path:
    """Render docs/benchmarks.md from the result files in `results_dir` (default benchmarks/results)."""
    conf = conf or load_config()
    path = Path(path or project_root() / conf.docs)
    results_dir = Path(results_dir or project_root() / RESULTS)
    lines = [HEADER]
    for name in (*BENCHMARKS, "labeller", "metadata", "metadata_train"):
        if name == "metadata_train" and not (results_dir / f"{name}.json").is_file():
            continue  # the train-split check is optional
        for key in (name, f"{name}-gpu"):
            file = results_dir / f"{key}.json"
            if file.is_file():
                lines += render_report(load_result(file))
            elif key == name:
                lines += [f"## {name}", "", f"Not run yet: `python -m src.benchmark {name}`.", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path
