"""`newslabel`: the one command line of the pipeline (the `[project.scripts]` entry).

    newslabel passages PATH... --out passages.jsonl     segment pages into passages
    newslabel dataset [data=NAME] [overrides...]        build the labelled datasets (configs/dataset.yaml)
    newslabel train [task=...] [model=...] [-m ...]     fit, evaluate, track and promote (configs/train.yaml)
    newslabel label PATH... --out labels.jsonl          label pages in batch (resumable)
    newslabel benchmark NAME|all                        our models vs peers on the public sets
    newslabel serve [--port 5001]                       the HTTP server

`python -m src.train` (and src.dataset, src.label, src.passages, src.benchmark, src.serve) are aliases.
"""

from __future__ import annotations

import typer

from newslabel.cli import benchmark, label, passages
from newslabel.cli.hydra_run import dataset_job, run_hydra, train_job

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="newslabel: scraped news pages -> labelled passages and trained classifiers.")
HYDRA = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}

app.command("passages", help="Segment pages into passages, one JSON line a passage.")(passages.main)
app.command("label", help="Label pages in batch: one JSON line a passage (resumable).", epilog=label.EXIT_CODES)(label.main)
app.command("benchmark", help="Our models vs peers and baselines on the public sets.")(benchmark.main)


@app.command("train", context_settings=HYDRA, add_help_option=False)
def train(ctx: typer.Context) -> None:
    """Fit, evaluate and track every task (Hydra overrides; `--help` lists the config groups)."""
    run_hydra("train", train_job, ctx.args)


@app.command("dataset", context_settings=HYDRA, add_help_option=False)
def dataset(ctx: typer.Context) -> None:
    """Build and save the labelled datasets of one configured source (Hydra overrides)."""
    run_hydra("dataset", dataset_job, ctx.args)


@app.command("serve")
def serve(
    model: str = typer.Option(None, "--model", help="A newslabel model URI or folder [serve.model]."),
    host: str = typer.Option(None, "--host", help="Address to listen on [serve.host: 127.0.0.1]."),
    port: int = typer.Option(None, "--port", "-p", help="Port [serve.port: 5001]."),
    workers: int = typer.Option(None, "--workers", "-w", help="Processes, each with its model [serve.workers: 1]."),
    timeout: float = typer.Option(None, "--timeout", help="Seconds a request may take [serve.request_timeout_s]."),
    max_pages: int = typer.Option(None, "--max-pages", help="Pages a request [serve.max_pages]."),
    max_body_bytes: int = typer.Option(None, "--max-body-bytes", help="Bytes a request [serve.max_body_bytes]."),
) -> None:
    """The HTTP server: MLflow's scoring protocol on the `newslabel` champion (configs/serve/default.yaml)."""
    from newslabel.serve.http import main

    raise typer.Exit(main(model, host, port, workers, timeout, max_pages, max_body_bytes))


def run(command: str | None = None, prog_name: str = "newslabel") -> None:
    """The console script; with `command`, that one subcommand on the rest of the command line (the src aliases)."""
    import sys

    if command is None:
        app(args=sys.argv[1:], prog_name=prog_name)
    else:
        typer.main.get_command(app).commands[command].main(args=sys.argv[1:], prog_name=prog_name)
