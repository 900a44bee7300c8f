"""Pages per second: newslabel (all four labels) vs trafilatura, on the webextract HTML pages.

    python benchmarks/throughput.py [--limit N] [--workers 1]

Reads ../shared/data/webextract/html (skips with a message where it is absent), labels every
page with the registered champions and, in the same run, extracts the same pages with
trafilatura (precision mode, no comments). Prints both rates and their ratio, and logs them to
the MLflow experiment `benchmark-throughput`. It also times lxml's parse alone: the ceiling on the ratio
for any labeller that parses HTML with lxml.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT.parent / "shared" / "data" / "webextract" / "html"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (0: all)")
    args = parser.parse_args()
    if not PAGES.is_dir():
        print(f"skipped: {PAGES} not found (the webextract data lives in ../shared/data/webextract)")
        return 0
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import trafilatura

    from newslabel.predict.load import load_labeller
    from newslabel.tracking import store as tracking

    files = sorted(PAGES.glob("*.html.gz"))[: args.limit or None]
    htmls = [gzip.decompress(f.read_bytes()).decode("utf-8") for f in files]
    labeller = load_labeller()
    start = time.perf_counter()
    n_passages = sum(len(labeller.label_page(h, doc_id=f.name)["passages"]) for f, h in zip(files, htmls))
    ours = len(htmls) / (time.perf_counter() - start)
    start = time.perf_counter()
    for h in htmls:
        trafilatura.extract(h, include_comments=False, favor_precision=True)
    theirs = len(htmls) / (time.perf_counter() - start)
    from lxml import html as lxml_html

    start = time.perf_counter()
    for h in htmls:
        lxml_html.document_fromstring(h.encode("utf-8"))
    parse = len(htmls) / (time.perf_counter() - start)
    print(f"pages: {len(htmls)}  passages: {n_passages}  (one process, pages in sequence)")
    print(f"newslabel (segment + role, topic, stance, bias): {ours:.1f} pages/s")
    print(f"trafilatura (extract, precision mode):           {theirs:.1f} pages/s")
    print(f"ratio newslabel / trafilatura: {ours / theirs:.2f}x")
    # Any HTML segmenter parses first: the parse alone bounds the ratio any lxml-based labeller can reach.
    print(f"lxml parse alone: {parse:.1f} pages/s = {theirs / parse:.1%} of trafilatura's time per page "
          f"(ceiling for an lxml-based labeller: {parse / theirs:.1f}x)")
    import mlflow

    tracking.configure(ROOT / "mlruns")
    with tracking.run("benchmark-throughput", ROOT / "mlruns", "throughput", {"pages": len(htmls)}, {}):
        mlflow.log_metrics({"newslabel_pages_per_s": ours, "trafilatura_pages_per_s": theirs,
                            "ratio": ours / theirs, "lxml_parse_pages_per_s": parse})
    return 0


if __name__ == "__main__":
    sys.exit(main())
