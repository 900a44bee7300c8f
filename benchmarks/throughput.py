"""Pages per second for each stage of labelling (all four labels) against trafilatura, on webextract HTML pages.

    python benchmarks/throughput.py [--pages 100] [--jobs 1,2] [--no-write]

Reads the first N pages of ../shared/data/webextract/html (skips with a message where it is absent) and,
in one process, times trafilatura (precision mode, no comments), lxml's parse alone, `label_page` with
the registered champions ($NEWSLABEL_MLRUNS, else mlruns/), and `label_page`'s stages: segmenting, each
task's model, the rest (`newslabel.bench.throughput`); then batch labelling of the same files with -j 1 and
-j 2 (`newslabel label`, models loaded in each worker). Prints the stage table and the ratio to
trafilatura, logs every rate to the MLflow experiment `benchmark-throughput` (with the git commit), and
writes benchmarks/results/throughput.json (not with --no-write).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT.parent / "shared" / "data" / "webextract" / "html"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100, help="the first N pages, sorted by name (0: all)")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/throughput.json")
    parser.add_argument("--jobs", default="1,2", help="batch labelling of the same files with -j N for each N ('': none)")
    args = parser.parse_args()
    if not PAGES.is_dir():
        print(f"skipped: {PAGES} not found (the webextract data lives in ../shared/data/webextract)")
        return 0
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from newslabel.bench import throughput
    from newslabel.bench.report import Report, Row, code_commit, machine, package_versions, save_result
    from newslabel.config import load_group, mlruns_dir
    from newslabel.predict.load import load_labeller
    from newslabel.tracking import store as tracking

    files = sorted(PAGES.glob("*.html.gz"))[: args.pages or None]
    pages = [(f.name, gzip.decompress(f.read_bytes()).decode("utf-8")) for f in files]
    labeller = load_labeller()
    labeller.label_page(pages[0][1], doc_id="warm-up")  # first-call costs (imports, caches) are not a page's
    rows = throughput.stage_table(labeller, pages)
    jobs = tuple(int(j) for j in args.jobs.split(",") if j.strip())
    rows += throughput.batch_stages([str(f) for f in files], int(load_group("ingest").max_bytes), jobs)
    ratio = throughput.ratio(rows)
    print(f"{len(pages)} webextract pages, one process, one page at a time; models {labeller.model_version}")
    print(throughput.render(rows))
    print(f"ratio label_page / trafilatura: {ratio:.2f}x")
    meta = {"command": "python benchmarks/throughput.py" + (f" --pages {args.pages}" if args.pages != 100 else ""),
            "git_commit": code_commit(ROOT), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "pages": str(len(pages)), "models": labeller.model_version,
            **{f"machine.{k}": v for k, v in machine().items()},
            **{f"version.{k}": v for k, v in package_versions().items()}}
    reference = next(r for r in rows if r.name == throughput.REFERENCE)
    report = Report("throughput", [Row(r.name, _kind(r.name, throughput.REFERENCE),
                                       {**{k: v for k, v in r.as_dict().items() if k != "name"},
                                        "ratio_to_trafilatura": r.pages_per_s / reference.pages_per_s})
                                   for r in rows], meta)
    mlruns = mlruns_dir()
    tracking.configure(mlruns)
    with tracking.run("benchmark-throughput", mlruns, "throughput", {"pages": len(pages)},
                      {"git_commit": meta["git_commit"], "models": meta["models"]}):
        tracking.log_metrics({"ratio": ratio, **{f"{_key(r.name)}_pages_per_s": r.pages_per_s for r in rows},
                              **{f"{_key(r.name)}_passages_per_s": r.passages_per_s for r in rows if r.passages}})
    if not args.no_write:
        print(f"wrote {save_result(report, ROOT / 'benchmarks' / 'results')}")
    return 0


def _kind(name: str, reference: str) -> str:
    return "peer" if name == reference else "baseline" if "parse alone" in name else "ours"


def _key(name: str) -> str:
    """An MLflow metric name for a stage: 'model: role' -> 'model_role'."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


if __name__ == "__main__":
    sys.exit(main())
