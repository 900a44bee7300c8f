"""`python -m src.dataset`: build and save the datasets of one configured source, print counts."""

from __future__ import annotations

import sys

from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from newslabel.data.build import SPLITS
from newslabel.data.sources import build_and_save

console = Console(width=150)


def run(cfg: DictConfig, verbose: bool = True) -> dict[str, dict]:
    """Build and save every task of `cfg.data`, printing the counts and the rule report; returns {task: summary}.
    Input errors are printed, not fatal."""
    built = build_and_save(cfg)
    for err in built.errors:
        print(f"error: {err}", file=sys.stderr)
    if verbose:
        for summary in built.summaries.values():
            print_counts(summary)
        if built.rule_report:
            print_rule_report(built.rule_report)
            console.print(f"rule report saved to {built.rule_report_path}")
    return built.summaries


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
