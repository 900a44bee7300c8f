"""`newslabel benchmark metadata [--split validation|train]`: page metadata against trafilatura's `extract_metadata`.

On wcxb-dev (`../shared/data/wcxb-dev`, reviewed `title`, `author`, `publish_date`), on one side of its split by site
(`data.importers.wcxb.wcxb_split`: `validation` to choose on, `train` as a check on sites no choice looked at), each
page goes through `predict.labeller.read_page` (the ingest code `label_page` runs; metadata needs no trained
model, so none is loaded) and through trafilatura 2.3.1's `extract_metadata` (its defaults) in the same run. Per
field and system: accuracy (right / pages whose gold has the field), coverage (found / the same pages), found on
pages whose gold has none, each with a 95% Wilson interval; the paired difference ours − trafilatura with a
bootstrap interval over pages; accuracy per `page_type`, and ours per source (JSON-LD, meta, ...). Language: on
extraction-merged, the share of pages whose `language` equals the page's `lang` field. Cost: the metadata stage's ms
a page (`html_page_metadata` on the parsed tree, parse and segmentation not counted).

Right means: date, the same day; title, equal after case folding and folding white space; author, the gold name
contained in the output's names joined by ", " (same folding), or, for a gold list of several names, each of them in
one of the output's names. The same rule for both systems.

>>> author_right("Ada Quill", ["Ada Quill", "Bo Lark"]), author_right("Ada Quill and Bo Lark", ["Bo Lark", "Ada Quill"])
(True, True)
>>> author_right("Ada Quill", ["Quill"]), [round(x, 3) for x in wilson(8, 10)]
(False, [0.49, 0.943])
"""

from __future__ import annotations

import gzip
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from newslabel.ingest.authors import split_names

FIELDS = ("title", "date", "author")
UNSCORED = ("site_name", "url", "language")  # no gold on wcxb-dev: their coverage and sources are reported
OURS, PEER = "newslabel (read_page)", "trafilatura extract_metadata"
BOOTSTRAP = 1000  # resamples of the paired interval (the harness passes configs/benchmark.yaml's `bootstrap`)


def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def author_right(gold: str, names: list[str]) -> bool:
    if not names:
        return False
    if _fold(gold) in _fold(", ".join(names)):
        return True
    golds = split_names(gold)
    return len(golds) > 1 and all(any(_fold(g) in _fold(n) for n in names) for g in golds)


def right(field: str, gold, value) -> bool:
    if field == "author":
        return author_right(gold, value or [])
    return bool(value) and (_fold(value) == _fold(gold) if field == "title" else value == gold)


def wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of k successes in n (scipy's); NaN for none."""
    if n == 0:
        return float("nan"), float("nan")
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def paired_interval(a: list[bool], b: list[bool], n: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval (pages resampled) of mean(a) − mean(b), a and b paired by page."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (n, len(diff)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def score_pages(root: Path, split: str, limit: int = 0, log=print) -> tuple[list[dict], float]:
    """One record a wcxb page (gold, ours, trafilatura's, our sources), and the metadata stage's ms a page."""
    from newslabel.data.importers.wcxb import read_wcxb
    from newslabel.errors import InputError
    from newslabel.ingest.peers import trafilatura_metadata
    from newslabel.predict.labeller import read_page

    out, stage, timed = [], 0.0, 0
    for rec in read_wcxb(root, split, limit):
        try:
            page = read_page(rec["html"], doc_id=rec["id"], url=rec["url"])
        except InputError as exc:  # label_page refuses it too: no metadata, counted as not found
            log(f"metadata: {exc}")
            page = None
        ours = ({"title": page.extra.get("headline", page.title), "date": page.date, "author": page.author,
                 **{f: getattr(page, f) for f in UNSCORED}} if page else dict.fromkeys(FIELDS + UNSCORED))
        out.append({"id": rec["id"], "page_type": rec["page_type"], "ours": ours,
                    "peer": trafilatura_metadata(rec["html"], rec["url"]),
                    "sources": page.extra["meta_sources"] if page else {},
                    "gold": {"title": rec["title"], "date": rec["publish_date"], "author": rec["author"]}})
        if page is not None:
            stage += stage_seconds(rec["html"], rec["url"])
            timed += 1
    log(f"metadata: {len(out)} wcxb-dev {split} pages scored")
    return out, 1000 * stage / max(timed, 1)


def stage_seconds(html: str, url: str | None) -> float:
    """The seconds `html_page_metadata` takes on the page's parsed tree and passages (as segment_html calls it)."""
    from newslabel.ingest.html import html_passages, parse_html
    from newslabel.ingest.page_meta import html_page_metadata

    root = parse_html("page", html)
    texts = [p.text for p in html_passages(root, "page", "page", 5000)]
    start = time.perf_counter()
    html_page_metadata(root, url, texts)
    return time.perf_counter() - start


def _row(field: str, system: str, metric: str, group: str, k: int, n: int) -> dict:
    lo, hi = wilson(k, n)
    return {"field": field, "system": system, "metric": metric, "group": group, "value": k / n if n else float("nan"),
            "lo": lo, "hi": hi, "n": n}


def field_rows(pages: list[dict], bootstrap: int = BOOTSTRAP, seed: int = 0) -> list[dict]:
    """Accuracy, coverage and found-without-gold per field and system; the paired difference; per page type; ours
    per source."""
    rows = []
    for field in FIELDS:
        gold = [p for p in pages if p["gold"][field]]
        rest = [p for p in pages if not p["gold"][field]]
        ok = {s: [right(field, p["gold"][field], p[s][field]) for p in gold] for s in ("ours", "peer")}
        for key, system in (("ours", OURS), ("peer", PEER)):
            rows.append(_row(field, system, "accuracy", "all", sum(ok[key]), len(gold)))
            rows.append(_row(field, system, "coverage", "all", sum(bool(p[key][field]) for p in gold), len(gold)))
            if rest:  # every page has a gold title
                rows.append(_row(field, system, "found where gold has none", "all",
                                 sum(bool(p[key][field]) for p in rest), len(rest)))
        if gold:
            diff = float(np.mean(ok["ours"]) - np.mean(ok["peer"]))
            lo, hi = paired_interval(ok["ours"], ok["peer"], bootstrap, seed)
            rows.append({"field": field, "system": f"{OURS} − {PEER}", "metric": "accuracy difference",
                         "group": "all", "value": diff, "lo": lo, "hi": hi, "n": len(gold)})
        rows += _groups(field, gold)
    return rows + coverage_rows(pages)


def coverage_rows(pages: list[dict]) -> list[dict]:
    """For the fields wcxb-dev has no gold for: how often ours gives one, in all and per source."""
    rows = []
    for field in UNSCORED:
        found = [p for p in pages if p["ours"].get(field)]
        rows.append(_row(field, OURS, "coverage", "all", len(found), len(pages)))
        by_source: dict[str, int] = defaultdict(int)
        for p in found:
            by_source[p["sources"].get(field, "caller")] += 1
        rows += [_row(field, OURS, "share of pages this source gave it", f"source={s}", k, len(pages))
                 for s, k in sorted(by_source.items(), key=lambda kv: -kv[1])]
    return rows


def _groups(field: str, gold: list[dict]) -> list[dict]:
    rows = []
    by_type: dict[str, list[dict]] = defaultdict(list)
    by_source: dict[str, list[dict]] = defaultdict(list)
    for p in gold:
        by_type[p["page_type"]].append(p)
        by_source[p["sources"].get(field, "none")].append(p)
    for kind, group in sorted(by_type.items()):
        for key, system in (("ours", OURS), ("peer", PEER)):
            k = sum(right(field, p["gold"][field], p[key][field]) for p in group)
            rows.append(_row(field, system, "accuracy", f"page_type={kind}", k, len(group)))
    for source, group in sorted(by_source.items(), key=lambda kv: -len(kv[1])):
        k = sum(right(field, p["gold"][field], p["ours"][field]) for p in group)
        rows.append(_row(field, OURS, "accuracy where this source answered", f"source={source}", k, len(group)))
    return rows


def language_row(root: Path, limit: int = 0, log=print) -> dict | None:
    """`language` against extraction-merged's `lang` (py3langid on the gold text) over its pages; None without
    the data."""
    from newslabel.errors import InputError
    from newslabel.predict.labeller import read_page

    path = root / "pages.jsonl.gz"
    if not path.is_file():
        log(f"skipped the language check: {path} not found")
        return None
    k = n = 0
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            try:
                page = read_page(rec["html"], doc_id=rec["page_id"], url=rec.get("url"))
            except InputError:  # a page label_page refuses has no language to compare (counted against us)
                page = None
            n += 1
            k += page is not None and page.language == rec["lang"]
            if limit and n >= limit:
                break
    log(f"metadata: language checked on {n} extraction-merged pages")
    return _row("language", OURS, "equal to extraction-merged lang", "all", k, n)


def run(shared: Path, split: str = "validation", limit: int = 0, log=print, bootstrap: int = BOOTSTRAP,
        seed: int = 0) -> tuple[list[dict], dict]:
    """(rows, run facts) of the benchmark (`bootstrap`, `seed`: configs/benchmark.yaml's); Skipped when wcxb-dev
    is not under `shared`/data."""
    from newslabel.bench.report import Skipped

    data = Path(shared) / "data"
    if not (data / "wcxb-dev").is_dir():
        raise Skipped(f"skipped metadata: {data / 'wcxb-dev'} not found")
    began = time.perf_counter()
    pages, ms = score_pages(data / "wcxb-dev", split, limit, log)
    rows = field_rows(pages, bootstrap, seed)
    lang = language_row(data / "extraction-merged", limit, log)
    rows += [lang] if lang else []
    rows.append({"field": "cost", "system": OURS, "metric": "metadata stage ms a page", "group": "all",
                 "value": ms, "lo": float("nan"), "hi": float("nan"), "n": len(pages)})
    return rows, {"split": split, "pages": str(len(pages)), "wall_seconds": f"{time.perf_counter() - began:.0f}"}


def command(split: str = "validation", limit: int = 0) -> str:
    """The command line that makes these rows.

    >>> command("train", 20)
    'newslabel benchmark metadata --split train --limit 20'
    """
    return f"newslabel benchmark metadata --split {split}" + (f" --limit {limit}" if limit else "")


def result_name(split: str) -> str:
    """The result file's name: metadata.json for the validation split, metadata_train.json for the train one."""
    return "metadata" if split == "validation" else f"metadata_{split}"


def metadata_report(rows: list[dict], facts: dict, limit: int = 0):
    """The rows as the Report `report.save_result` writes (one Row a figure, in the order made)."""
    from newslabel.bench.report import Report, Row, run_meta

    split = facts["split"]
    meta = run_meta(result_name(split), command(split, limit), limit) | facts
    out = [Row(f"{r['field']}: {r['system']} — {r['metric']} ({r['group']})",
               "peer" if r["system"] == PEER else "ours",
               {"value": r["value"], "value_ci_low": r["lo"], "value_ci_high": r["hi"], "n": float(r["n"])},
               {"field": r["field"], "metric": r["metric"], "group": r["group"], "split": split}) for r in rows]
    return Report(result_name(split), out, meta)


def log_run(report, mlruns: Path) -> None:
    """One MLflow run in `benchmark-metadata` a benchmark run, every figure a metric (its row's name, folded)."""
    import re

    import mlflow

    from newslabel.tracking import store as tracking

    tracking.configure(mlruns)
    commit = report.meta.get("git_commit", "unknown")
    tags = {f"bench.{k}": v for k, v in report.meta.items()} | {"git_commit": commit,
                                                                "mlflow.source.git.commit": commit}
    with tracking.run("benchmark-metadata", mlruns, report.name, {"split": report.meta.get("split", "")}, tags):
        mlflow.log_metrics({re.sub(r"[^\w\-. /]+", "_", r.system)[:250]: float(r.metrics["value"])
                            for r in report.rows if r.metrics["value"] == r.metrics["value"]})
