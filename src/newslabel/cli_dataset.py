"""`python -m src.dataset`: build and save the datasets of one configured source, print counts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.table import Table

from .dataset import SPLITS, build_source, save_task

console = Console(width=150)


def run(cfg: DictConfig, verbose: bool = True) -> dict[str, dict]:
    """Build every task of `cfg.data`; returns {task: summary}. Input errors are printed, not fatal.

    `verbose=False` (training) leaves out the count tables and the rule report (both are saved).
    """
    data = OmegaConf.to_container(cfg.data, resolve=True)
    result = build_source(data, int(cfg.ingest.max_bytes))
    for err in result.errors:
        print(f"error: {err}", file=sys.stderr)
    out_dir = Path(cfg.paths.processed)
    summaries = {}
    for task, rows in result.rows.items():
        if task in data["tasks"] and any(rows.values()):
            summaries[task] = save_task(task, data["name"], rows, out_dir)
            if verbose:
                print_counts(summaries[task])
    if result.rule_report:
        report_dir = out_dir / "rules" / data["name"]
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "report.json").write_text(json.dumps(result.rule_report, indent=2))
        if verbose:
            print_rule_report(result.rule_report)
            console.print(f"rule report saved to {report_dir / 'report.json'}")
    return summaries


def print_counts(summary: dict) -> None:
    table = Table(title=f"{summary['task']} / {summary['source']}  (digest {summary['digest']})")
    table.add_column("label")
    for split in SPLITS:
        table.add_column(split, justify="right")
    for label in summary["labels"]:
        table.add_row(label, *(str(summary["counts"][s].get(label, 0)) for s in SPLITS))
    table.add_row("total", *(str(sum(summary["counts"][s].values())) for s in SPLITS), style="bold")
    table.add_row("pages/groups", *(str(summary["pages"][s]) for s in SPLITS))
    console.print(table)


def print_rule_report(rows: list[dict]) -> None:
    held = rows[0].get("accuracy_on", "all gold") if rows else "all gold"
    where = ("accuracy on all gold, which the weights were fitted on (in-sample)" if held == "all gold" else
             f"accuracy on {held} gold (held out); train accuracy in-sample: the weights were fitted on it")
    table = Table(title=f"role labelling rules (coverage, overlaps and conflicts are shares of all passages; {where})")
    cols = ("rule", "label", "coverage", "overlaps", "conflicts", "accuracy", "n_gold", "train_accuracy",
            "n_train_gold", "weight")
    for col in cols:
        head = {"accuracy": f"{held} acc", "n_gold": f"n {held}", "train_accuracy": "train acc (in-sample)",
                "n_train_gold": "n train"}.get(col, col)
        table.add_column(head, justify="left" if col in ("rule", "label") else "right")

    def fmt(v):
        return "—" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    for r in rows:
        table.add_row(*(fmt(r.get(c)) for c in cols))
    console.print(table)
