"""`python -m src.passages PATH... --out FILE.jsonl`: segment pages into passages, one JSON a line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from newslabel.config import load_group
from newslabel.errors import InputError
from newslabel.ingest.corpus import iter_pages


def main(
    paths: list[str] = typer.Argument(..., help="Files, folders or globs of .txt, .html/.htm and .jsonl pages."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the passages (JSONL)."),
    max_bytes: int = typer.Option(None, help="Reject larger files (default: configs/ingest/default.yaml)."),
) -> None:
    limit = max_bytes or int(load_group("ingest").max_bytes)
    n_pages = n_passages = n_failed = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    with out.open("w", encoding="utf-8") as fh:
        for item in iter_pages(paths, limit, skipped):
            for line in skipped:
                print(f"skipped: {line}", file=sys.stderr)
            skipped.clear()
            if isinstance(item, InputError):
                n_failed += 1
                print(f"error: {item}", file=sys.stderr)
                continue
            for line in item.extra.get("warnings", []):
                print(f"warning: {line}", file=sys.stderr)
            n_pages += 1
            for rec in item.records():
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n_passages += 1
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    print(f"{n_passages} passages from {n_pages} pages written to {out}; {n_failed} inputs failed", file=sys.stderr)
    raise typer.Exit(code=1 if n_failed else 0)
