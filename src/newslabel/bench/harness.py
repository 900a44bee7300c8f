"""Benchmarks on the public sets: our models against peers and baselines on the same test items.

`python -m src.benchmark NAME|all [--limit N]` runs `run_benchmark` for webextract, bbc, agnews, fnc1 and
babe (configs/benchmark.yaml). Each benchmark

- trains our model with `training.fit.fit_task` from the composed training config (`ours[].overrides`, the overrides
  of `python -m src.train`) on the set's training split only, and predicts its test split;
- scores the peers and baselines on the same test items in the same run;
- logs one MLflow run per system in the experiment ``benchmark-NAME``, every run with the same metric names
  (``seconds_per_item`` and ``cpu_seconds_per_item`` included), so the UI's compare view is the table;
- adds the README's published figures as runs tagged ``measured=false`` (rows marked *published*).

Each full run also writes the committed result file ``benchmarks/results/NAME.json`` (`save_result`): every
figure with its 95% interval, validation metrics where our model holds out a validation split, the command, the
git commit, the date, the machine and the package versions. `write_docs` renders docs/benchmarks.md from those
files only (a table per benchmark; ``NAME-gpu.json`` below it), so running one benchmark rewrites its own section
and the others keep theirs. Neither file is edited by hand.

webextract is scored at passage level by the README's rule (`peers.score_passages`): a peer's output text,
or the body text our model predicts, marks a passage as body when it covers at least half its tokens. Our
model predicts the README's passages directly, so its decisions are scored as they are (`metrics`).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

from omegaconf import DictConfig

from newslabel.bench.report import (
    BENCHMARKS,
    RESULTS,
    Report,
    Row,
    Skipped,
    default_shared,
    load_config,
    log_report,
    run_meta,
    save_result,
    write_docs,
)
from newslabel.bench.runners import limit_frames, load_data, run_labels, run_webextract
from newslabel.config import project_root


def run_benchmark(name: str, *, shared: Path | None = None, limit: int = 0, mlruns: Path | None = None,
                  command: str | None = None, conf: DictConfig | None = None, log=print) -> Report:
    """Run one benchmark, log its runs to MLflow (``benchmark-NAME``) and return the report."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)} or all")
    conf = conf or load_config()
    bench = conf.benchmarks[name]
    shared = Path(shared or default_shared())
    frames = limit_frames(load_data(name, bench, shared), limit, by_page=name == "webextract")
    meta = {**run_meta(name, command or f"python -m src.benchmark {name}" + (f" --limit {limit}" if limit else ""),
                       limit), "batch": uuid.uuid4().hex[:12],
            "n_train": str(len(frames["train"]) + len(frames["validation"])), "n_test": str(len(frames["test"])),
            "n_test_items": str(frames["test"]["doc_id"].nunique() if name == "webextract" else len(frames["test"])),
            "item": str(bench.item)}
    log(f"{name}: {meta['n_train']} training rows, {meta['n_test']} test rows")
    wall = time.perf_counter()
    if name == "webextract":
        rows = run_webextract(bench, frames, shared, conf, log, limit)
    else:
        rows = run_labels(name, bench, frames, shared, conf, log, limit)
    for pub in bench.get("published", []):
        rows.append(Row(pub.system, "published", {k: float(v) for k, v in pub.metrics.items()},
                        note="published, not measured"))
    meta["wall_seconds"] = f"{time.perf_counter() - wall:.0f}"
    try:
        meta["machine.load_average_at_end"] = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        pass
    report = Report(name, rows, meta)
    log_report(report, mlruns or project_root() / "mlruns", conf)
    return report


def main(names: list[str], *, limit: int = 0, shared: Path | None = None, mlruns: Path | None = None,
         docs: Path | None = None, results: Path | None = None, log=print, split: str = "test") -> int:
    """The CLI: run the named benchmarks (`all`: every one), write their result files, render the docs.

    A full run writes benchmarks/results/NAME.json and docs/benchmarks.md (or `results`, `docs`). A smoke run
    (`limit`) never touches the committed files: it writes results and docs only where `results` or `docs` say
    (results beside the docs when only `docs` is given). `split` is the labeller's (`bench.labeller`): only a
    test run of it writes a result file. Returns an exit code.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    conf = load_config()
    wanted = list(BENCHMARKS) if "all" in names else names
    problem = _bad_request(wanted, split)
    if problem:
        log(f"error: {problem}")
        return 2
    ran, total, start = 0, len(wanted), time.perf_counter()
    if limit:
        results = results or (Path(docs).parent / "results" if docs is not None else None)
    else:
        results = results or project_root() / RESULTS
    if "labeller" in wanted:  # the shipped champions through the user's calls (bench/labeller.py)
        _labeller(shared, mlruns, limit, split, results, docs, conf, log)
        wanted.remove("labeller")
        ran += 1
    if "metadata" in wanted:  # page metadata against trafilatura's on wcxb-dev (bench/metadata.py)
        ran += _metadata(shared, mlruns, limit, "validation" if split == "test" else split, results, docs, conf, log)
        wanted.remove("metadata")
    command = "python -m src.benchmark " + " ".join(sys.argv[1:]) if sys.argv[1:] else None
    for name in wanted:
        try:
            report = run_benchmark(name, shared=shared, limit=limit, mlruns=mlruns, command=command, conf=conf,
                                   log=log)
        except Skipped as exc:
            log(str(exc))
            continue
        ran += 1
        if results is not None:
            log(f"wrote {save_result(report, results)}")
            if docs is not None or not limit:  # after each benchmark, so a later failure keeps this one's section
                log(f"wrote {write_docs(docs, results, conf)}")
    log(f"done: {ran} of {total} benchmark(s) in {time.perf_counter() - start:.0f} s")
    return 0


def _bad_request(wanted: list[str], split: str) -> str | None:
    """What is wrong with the benchmark names or the split, or None."""
    unknown = [n for n in wanted if n not in (*BENCHMARKS, "labeller", "metadata")]
    if unknown:
        return f"unknown benchmark(s) {', '.join(unknown)}; expected {', '.join(BENCHMARKS)}, labeller, metadata or all"
    # metadata alone scores wcxb-dev's train sites too; its default (`test`) reads as validation, as it has no test split
    expected = "validation or train" if wanted == ["metadata"] else "validation or test"
    if split not in ("validation", "test", "train") or (split == "train" and wanted != ["metadata"]):
        return f"unknown split {split!r}; expected {expected}"
    return None


def _labeller(shared, mlruns, limit: int, split: str, results: Path | None, docs: Path | None, conf, log) -> None:
    """`bench.labeller.run`; a test run with a results folder also writes labeller.json and the docs."""
    from newslabel.bench.labeller import labeller_report
    from newslabel.bench.labeller import run as run_labeller

    began = time.perf_counter()
    rows = run_labeller(shared=shared, mlruns=mlruns, limit=limit, log=log, split=split)
    if results is not None and split == "test":
        log(f"wrote {save_result(labeller_report(rows, limit, time.perf_counter() - began), results)}")
        if docs is not None or not limit:
            log(f"wrote {write_docs(docs, results, conf)}")


def _metadata(shared, mlruns, limit: int, split: str, results: Path | None, docs: Path | None, conf, log) -> int:
    """`bench.metadata.run` on wcxb-dev's `split` (validation unless train is asked for): printed, logged to
    MLflow, and with a results folder written to metadata.json (metadata_train.json) and the docs. 1 if it ran."""
    from newslabel.bench import metadata

    try:
        rows, facts = metadata.run(shared or default_shared(), split, limit, log, int(conf.bootstrap), int(conf.seed))
    except Skipped as exc:
        log(str(exc))
        return 0
    report = metadata.metadata_report(rows, facts, limit)
    for row in report.rows:
        lo, hi = row.metrics["value_ci_low"], row.metrics["value_ci_high"]
        ci = f" [{lo:.3f}, {hi:.3f}]" if lo == lo else ""
        log(f"{row.system}: {row.metrics['value']:.3f}{ci} n={row.metrics['n']:.0f}")
    metadata.log_run(report, mlruns or project_root() / "mlruns")
    if results is not None:
        log(f"wrote {save_result(report, results)}")
        if docs is not None or not limit:
            log(f"wrote {write_docs(docs, results, conf)}")
    return 1
