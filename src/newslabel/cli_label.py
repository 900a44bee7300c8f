"""`python -m src.label PATH... --out labels.jsonl`: label new articles in batch (resumable)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from .config import load_group

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    paths: list[str] = typer.Argument(..., help="Files, folders or globs of .txt, .html/.htm and .jsonl pages."),
    out: Path = typer.Option(..., "--out", "-o", help="One JSON object a passage (appended; reruns resume)."),
    articles: Path = typer.Option(None, "--articles", help="Also write one JSON object a page here."),
    model: str = typer.Option(None, "--model", help="A newslabel model URI or folder (default: the champions)."),
    workers: int = typer.Option(min(2, os.cpu_count() or 1), "--workers", "-j", help="Processes to label with."),
    max_bytes: int = typer.Option(None, help="Reject larger files (default: configs/ingest/default.yaml)."),
) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from .label import run_batch
    from .predict import ModelLoadError, load_labeller

    try:
        load_labeller(model)  # fail fast, with one line, before any worker starts
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    limit = max_bytes or int(load_group("ingest").max_bytes)
    pages, passages, failed = run_batch(paths, out, articles, model, workers, limit)
    print(f"labelled {pages} pages ({passages} passages) into {out}; {failed} failed", file=sys.stderr)
    raise typer.Exit(code=1 if failed else 0)
