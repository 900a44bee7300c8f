"""`python -m src.label PATH... --out labels.jsonl`: label new articles in batch (resumable).

`--engine spark` reads JSONL or Parquet pages and writes Parquet through Spark (newslabel.serve.spark).
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path

import typer

from newslabel.config import load_group

EXIT_CODES = """Exit codes: 0 every input labelled; 1 some inputs bad (each named in an `error:` line, the rest
labelled); 2 usage error (bad option, model that cannot be loaded); 3 the run failed or was stopped (SIGTERM/SIGINT,
--out locked by another run): rerun the same command to resume."""


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class InputFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    parquet = "parquet"


def main(
    paths: list[str] = typer.Argument(..., help="Files, folders or globs of .txt, .html/.htm and .jsonl pages "
                                                "(spark: .jsonl or .parquet, local or cluster URIs)."),
    out: str = typer.Option(..., "--out", "-o", help="One JSON object a passage (appended; reruns resume); "
                                                     "spark: a Parquet folder."),
    articles: Path = typer.Option(None, "--articles", help="Also write one JSON object a page here."),
    model: str = typer.Option(None, "--model", help="A newslabel model URI or folder (default: the champions; "
                                                    "spark: models:/newslabel@champion)."),
    workers: int = typer.Option(min(2, os.cpu_count() or 1), "--workers", "-j", help="Processes to label with."),
    max_bytes: int = typer.Option(None, help="Reject larger files (default: configs/ingest/default.yaml)."),
    page_timeout: float = typer.Option(None, "--page-timeout", help="Seconds a page may take before it is reported "
                                                                     "as an error (default: configs/label; 0: none)."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local: processes on this machine; spark: Spark."),
    master: str = typer.Option(None, "--master", help="spark: the Spark master [default: local[*], or the one "
                                                      "spark-submit was given]."),
    id_col: str = typer.Option("id", "--id-col", help="spark: the column with the page id."),
    text_col: str = typer.Option("text", "--text-col", help="spark: the column with the page text or HTML "
                                                            "(with `text`, JSONL `html` is read too)."),
    input_format: InputFormat = typer.Option(InputFormat.auto, "--input-format", help="spark: by file suffix, "
                                                                                       "or jsonl / parquet."),
    buckets: int = typer.Option(16, "--buckets", help="spark: output partitions bucket=0..N-1 by hash of doc_id."),
    overwrite: bool = typer.Option(False, "--overwrite", help="spark: replace an existing output folder."),
) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    if engine is Engine.spark:
        _spark(paths, out, articles, model, master, id_col, text_col, input_format.value, buckets, overwrite,
               max_bytes)
    _local(paths, Path(out), articles, model, workers, max_bytes, page_timeout)


def _local(paths, out: Path, articles, model, workers: int, max_bytes, page_timeout) -> None:
    """The local engine: `workers` processes; exits 2 on an unusable model, 1 when some pages failed, else 0."""
    from newslabel.errors import ModelLoadError
    from newslabel.predict.batch import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, run_batch
    from newslabel.predict.load import load_labeller
    from newslabel.predict.pool import RunFailed, preload

    try:
        preload(model, load_labeller(model))  # fail fast, with one line, before any worker starts
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    limit = max_bytes or int(load_group("ingest").max_bytes)
    timeout = float(load_group("label").page_timeout_s if page_timeout is None else page_timeout)
    try:
        res = run_batch(paths, out, articles, model, workers, limit, page_timeout=timeout or None)
    except RunFailed as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(EXIT_FAILED)  # the outputs are closed; skip the libraries' exit hooks (seconds) on a stopped run
    skipped = f", {res.skipped} skipped" if res.skipped else ""
    print(f"labelled {res.pages} pages ({res.passages} passages) into {out}; {res.failed} failed{skipped}",
          file=sys.stderr)
    raise typer.Exit(code=EXIT_BAD_INPUT if res.failed else EXIT_OK)


def _spark(paths, out, articles, model, master, id_col, text_col, input_format, buckets, overwrite, max_bytes):
    """The Spark engine; exits 2 when it cannot start, 1 when some pages failed (error rows), else 0."""
    from newslabel.config import mlruns_dir
    from newslabel.errors import ModelLoadError
    from newslabel.serve.spark import DEFAULT_MODEL, SparkUnavailable, run_spark
    from newslabel.tracking import store as tracking

    if articles is not None:
        print("error: --articles is not supported with --engine spark", file=sys.stderr)
        raise typer.Exit(code=2)
    # The store the driver resolves --model in: $NEWSLABEL_MLRUNS, else $MLFLOW_TRACKING_URI (e.g. a tracking
    # server a cluster's driver can reach), else mlruns/ of the project, as for the local engine.
    if os.environ.get("MLFLOW_TRACKING_URI") and not os.environ.get("NEWSLABEL_MLRUNS"):
        tracking.set_uri(os.environ["MLFLOW_TRACKING_URI"])
    else:
        tracking.configure(mlruns_dir())
    limit = max_bytes or int(load_group("ingest").max_bytes)
    try:
        res = run_spark(paths, out, model or DEFAULT_MODEL, master, id_col=id_col, text_col=text_col,
                        input_format=input_format, buckets=buckets, overwrite=overwrite, max_bytes=limit)
    except (ModelLoadError, SparkUnavailable, FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(code=2) from None
    for message in res.errors:
        print(f"error: {message}", file=sys.stderr)
    if res.failed > len(res.errors):
        print(f"... and {res.failed - len(res.errors)} more error rows (column `error`)", file=sys.stderr)
    print(f"labelled {res.pages} pages ({res.passages} passages) into {out}; {res.failed} failed", file=sys.stderr)
    raise typer.Exit(code=1 if res.failed else 0)
