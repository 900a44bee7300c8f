"""`newslabel benchmark NAME|all [--limit N]`: our models vs peers on the public sets (configs/benchmark.yaml).

NAME is webextract, bbc, agnews, fnc1 or babe; `labeller` scores the shipped champions through label_page/predict
(newslabel.bench.labeller), on the test split or with `--split validation` on the validation split; `metadata`
scores page metadata against trafilatura's on wcxb-dev's validation sites (`--split train`: its train sites;
newslabel.bench.metadata). Runs log to
the MLflow experiments benchmark-NAME; a full run writes the result file benchmarks/results/NAME.json and renders
docs/benchmarks.md from the result files (the other benchmarks' sections keep their figures). A benchmark whose data
is not in ../shared/data is skipped with a message.
"""

from __future__ import annotations

from pathlib import Path

import typer


def main(
    names: list[str] = typer.Argument(..., help="webextract, bbc, agnews, fnc1, babe, labeller, metadata or all"),
    limit: int = typer.Option(0, "--limit", help="smoke run: N pages per split (webextract), N items per label"),
    split: str = typer.Option("test", "--split", help="labeller: the split it is scored on (validation to choose, "
                              "test to report; only test writes the result file); metadata: wcxb-dev's validation "
                              "sites (the default) or its train sites"),
    shared: Path = typer.Option(None, "--shared", help="the shared folder (default: ../shared beside the project)"),
    mlruns: Path = typer.Option(None, "--mlruns", help="the MLflow store folder (default: mlruns/)"),
    docs: Path = typer.Option(None, "--docs", help="where to write the tables (default: docs/benchmarks.md; "
                                                   "a --limit run writes them only when this is given)"),
    results: Path = typer.Option(None, "--results", help="the result files' folder (default: benchmarks/results; "
                                                         "a --limit run writes there only when this or --docs is given)"),
) -> None:
    from newslabel.bench.harness import main as run

    raise typer.Exit(run(names, limit=limit, split=split, shared=shared, mlruns=mlruns, docs=docs, results=results))
