"""The shipped labeller scored through the calls a user makes (`python -m src.benchmark labeller`).

- BBC News test articles written as text pages (headline line, blank line, paragraphs) through
  `Labeller.label_page` -> page topic accuracy;
- MasakhaNEWS English validation (472 BBC articles of 2022; the folder holds no other split, so this row is
  a validation row in every run, to choose on) as text pages through `Labeller.label_page` -> page topic
  accuracy and each label's recall;
- AG News test items (title + description) through `Labeller.predict(task="topic")` -> accuracy;
- BABE test sentences through `Labeller.predict(task="bias")` -> macro-F1;
- FNC-1 competition test, a fixed sample of pairs, through `Labeller.predict(task="stance", headline=...)`
  -> FNC relative score and macro-F1, and the same pairs with the headlines shuffled among them (a model
  that reads the headline scores worse);
- webextract and extraction-merged test pages (HTML) through `Labeller.label_page` -> body F1 of the body
  text, trafilatura in precision mode beside it (`bench.bodytext`); the extraction-merged pages again as
  text dumps, ours alone;
- wcxb-dev's validation sites (`data.importers.wcxb.wcxb_split`; whatever `split`, as its train sites are training
  data) through `Labeller.label_page(html)` -> word F1 of the body text in all, on articles and per page kind, and
  the snippet shares (`bench.wcxb`), trafilatura's defaults and its favor_precision mode beside it, and the paired
  difference ours − each with a page bootstrap interval.

Each figure has a 95% bootstrap interval (items resampled) and a baseline scored in the same run: the
majority class, and a TF-IDF logistic regression trained on that source's own train split. Every row is one
MLflow run in `benchmark-labeller`, tagged with the git commit and the labeller's model versions.

>>> round(accuracy(["a", "b", "b"], ["a", "b", "a"]), 3)
0.667
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from newslabel.scoring import accuracy, macro_f1
from newslabel.training.evaluate import fnc_score

EXPERIMENT = "benchmark-labeller"
FNC_SAMPLE = 3000
BOOTSTRAP = 1000


def fnc_relative(gold, pred) -> float:
    raw, best = fnc_score(list(gold), list(pred))
    return raw / best if best else 0.0


def interval(metric: Callable, gold, pred, n: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval of metric(gold, pred), items resampled with replacement."""
    gold, pred = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    rng = np.random.default_rng(seed)
    stats = [metric(gold[idx], pred[idx]) for idx in (rng.integers(0, len(gold), len(gold)) for _ in range(n))]
    return float(np.percentile(stats, 2.5)), float(np.percentile(stats, 97.5))


def bbc_page(title: str, body: str) -> str:
    """A BBC article as a text page: the headline line, a blank line, then its paragraphs."""
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    return title.strip() + "\n\n" + "\n\n".join(paragraphs) + "\n"


def _data(shared: Path, name: str, task: str) -> dict[str, pd.DataFrame] | None:
    from newslabel.data.importers.registry import IMPORTERS

    folders = {"bbc": "topic-bbc-news", "agnews": "topic-ag-news", "babe": "babe", "fnc1": "fnc1",
               "masakhanews": "topic-masakhanews-eng"}
    root = shared / "data" / folders[name]
    if not root.is_dir():
        return None
    return {s: pd.DataFrame(r) for s, r in IMPORTERS[name](root)[task].items()}


def _tfidf_lr(train: pd.DataFrame, texts: list[str], seed: int = 0):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                          LogisticRegression(C=4.0, max_iter=2000, random_state=seed))
    return model.fit(train["text"].tolist(), train["label"].to_numpy()).predict(texts).tolist()


def _row(check: str, system: str, kind: str, metric: str, fn: Callable, gold, pred, seconds: float,
         target: float | None = None, **extra) -> dict:
    lo, hi = interval(fn, gold, pred)
    return {"check": check, "system": system, "kind": kind, "metric": metric, "value": fn(gold, pred), "lo": lo,
            "hi": hi, "n": len(gold), "seconds": seconds, "target": target, **extra}


def eval_bbc(labeller, frames, limit: int = 0, split: str = "test") -> list[dict]:
    test = frames[split].head(limit) if limit else frames[split]
    start = time.perf_counter()
    pred = [labeller.label_page(bbc_page(r.title, r.text.split("\n", 1)[1]), doc_id=r.doc_id)["topic"]
            for r in test.itertuples()]
    secs = time.perf_counter() - start
    gold = test["label"].tolist()
    majority = frames["train"]["label"].mode()[0]
    return [
        _row("bbc page topic", "newslabel label_page", "ours", "accuracy", accuracy, gold, pred, secs, 0.95,
             confusion=_confusion(gold, pred)),
        _row("bbc page topic", "TF-IDF LR on BBC train (whole text)", "baseline", "accuracy", accuracy, gold,
             _tfidf_lr(frames["train"], test["text"].tolist()), 0.0),
        _row("bbc page topic", f"majority ({majority})", "baseline", "accuracy", accuracy, gold, [majority] * len(gold), 0),
    ]


def recall_of(label: str, gold, pred) -> float:
    """The share of `label`'s items predicted `label` (0 where there are none).

    >>> recall_of("health", ["health", "health", "sport"], ["health", "politics", "health"])
    0.5
    """
    gold, pred = np.asarray(gold, dtype=object), np.asarray(pred, dtype=object)
    mine = gold == label
    return float((pred[mine] == label).mean()) if mine.any() else 0.0


def eval_masakhanews(labeller, frames, limit: int = 0, split: str = "test") -> list[dict]:
    """Page topic of MasakhaNEWS's validation articles (whatever `split`: the folder holds no other)."""
    test = frames["validation"].head(limit) if limit else frames["validation"]
    start = time.perf_counter()
    pred = [labeller.label_page(bbc_page(r.title, r.text.split("\n", 1)[1]), doc_id=r.doc_id)["topic"]
            for r in test.itertuples()]
    secs = time.perf_counter() - start
    gold = test["label"].tolist()
    system = "newslabel label_page"
    rows = [_row("masakhanews page topic", system, "ours", "accuracy", accuracy, gold, pred, secs, 0.80,
                 confusion=_confusion(gold, pred, top=10))]
    rows += [_row("masakhanews page topic", f"{system}: {label}", "ours", "recall", partial(recall_of, label), gold,
                  pred, 0.0, 0.65) for label in sorted(set(gold))]
    majority = pd.Series(gold).mode()[0]
    rows.append(_row("masakhanews page topic", f"majority ({majority})", "baseline", "accuracy", accuracy, gold,
                     [majority] * len(gold), 0))
    return [r | {"split": "validation"} for r in rows]


def _predicted(labeller, frames, task: str, limit: int, split: str) -> tuple[pd.DataFrame, list[str], list[str], float]:
    """(rows of `split`, gold, `labeller.predict` labels, seconds) for a passage-level task."""
    test = frames[split].head(limit) if limit else frames[split]
    start = time.perf_counter()
    pred = [label for label, _ in labeller.predict(test["text"].tolist(), task=task)]
    return test, test["label"].tolist(), pred, time.perf_counter() - start


def eval_agnews(labeller, frames, limit: int = 0, split: str = "test") -> list[dict]:
    test, gold, pred, secs = _predicted(labeller, frames, "topic", limit, split)
    return [
        _row("agnews topic", "newslabel predict(task=topic)", "ours", "accuracy", accuracy, gold, pred, secs,
             confusion=_confusion(gold, pred)),
        _row("agnews topic", "TF-IDF LR on AG train sample", "baseline", "accuracy", accuracy, gold,
             _tfidf_lr(frames["train"], test["text"].tolist()), 0.0),
    ]


def eval_babe(labeller, frames, limit: int = 0, split: str = "test") -> list[dict]:
    test, gold, pred, secs = _predicted(labeller, frames, "bias", limit, split)
    majority = frames["train"]["label"].mode()[0]
    return [
        _row("babe bias", "newslabel predict(task=bias)", "ours", "macro_f1", macro_f1, gold, pred, secs, 0.80),
        _row("babe bias", "TF-IDF LR on BABE train", "baseline", "macro_f1", macro_f1, gold,
             _tfidf_lr(frames["train"], test["text"].tolist()), 0.0),
        _row("babe bias", f"majority ({majority})", "baseline", "macro_f1", macro_f1, gold, [majority] * len(gold), 0),
    ]


def fnc_sample(test: pd.DataFrame, n: int = FNC_SAMPLE, seed: int = 0) -> pd.DataFrame:
    """The fixed pair sample: `n` rows of the competition test drawn with numpy's generator seeded `seed`."""
    idx = np.sort(np.random.default_rng(seed).choice(len(test), size=min(n, len(test)), replace=False))
    return test.iloc[idx].reset_index(drop=True)


def eval_fnc(labeller, frames, limit: int = 0, split: str = "test") -> list[dict]:
    pairs = fnc_sample(frames[split], limit or FNC_SAMPLE)
    gold = pairs["label"].tolist()
    start = time.perf_counter()
    pred = [s for s, _ in labeller.predict(pairs["text"].tolist(), task="stance", headline=pairs["headline"].tolist())]
    secs = time.perf_counter() - start
    shuffled = pairs["headline"].sample(frac=1.0, random_state=1).tolist()
    pred_shuffled = [s for s, _ in labeller.predict(pairs["text"].tolist(), task="stance", headline=shuffled)]
    rows = []
    for metric, fn in (("fnc_relative", fnc_relative), ("macro_f1", macro_f1)):
        target = 0.80 if metric == "fnc_relative" else None
        rows += [
            _row("fnc1 stance", "newslabel predict(task=stance, headline=...)", "ours", metric, fn, gold, pred, secs,
                 target, confusion=_confusion(gold, pred) if metric == "macro_f1" else ""),
            _row("fnc1 stance", "same pairs, headlines shuffled", "check", metric, fn, gold, pred_shuffled, 0.0),
            _row("fnc1 stance", "all unrelated", "baseline", metric, fn, gold, ["unrelated"] * len(gold), 0.0),
        ]
    return rows


def _confusion(gold, pred, top: int = 6) -> str:
    from collections import Counter

    errors = Counter((g, p) for g, p in zip(gold, pred) if g != p)
    return "; ".join(f"{g} -> {p}: {n}" for (g, p), n in errors.most_common(top))


CHECKS = {"bbc": ("topic", eval_bbc), "masakhanews": ("topic", eval_masakhanews), "agnews": ("topic", eval_agnews),
          "babe": ("bias", eval_babe), "fnc1": ("stance", eval_fnc)}


def run(shared: Path | None = None, mlruns: Path | None = None, limit: int = 0, labeller=None, log=print,
        split: str = "test", only: tuple[str, ...] = ()) -> list[dict]:
    """Every check whose data is present (or those of `only`: CHECKS' names and the body checks' data folders), on
    `split` (`validation` to choose, `test` to report); logs one MLflow run per row and prints a table. Returns the
    rows, each with its split."""
    from newslabel.config import project_root
    from newslabel.predict.load import load_labeller

    shared = Path(shared or project_root().parent / "shared")
    mlruns = Path(mlruns or project_root() / "mlruns")
    labeller = labeller or load_labeller(mlruns=str(mlruns))
    rows = []
    for name, (task, check) in ((n, c) for n, c in CHECKS.items() if not only or n in only):
        frames = _data(shared, name, task)
        if frames is None:
            log(f"skipped labeller check {name}: its data is not under {shared / 'data'}")
            continue
        rows += check(labeller, frames, limit, split)
    rows += _body_checks(labeller, shared, limit, log, split, only)
    rows = [{"split": split} | r for r in rows]  # a row that says its split (MasakhaNEWS: validation) keeps it
    _log(rows, labeller, mlruns, limit, split)
    for r in rows:
        target = f"  target {r['target']:g}" if r.get("target") else ""
        log(f"{r['check']:26} {r['system'][:48]:48} {r['metric']:12} {r['value']:.3f} "
            f"[{r['lo']:.3f}, {r['hi']:.3f}] n={r['n']}{target}")
    return rows


WCXB_CHECK = "wcxb-dev validation body"
WCXB_OURS = "newslabel label_page (HTML in)"
WCXB_PEERS = {"trafilatura defaults (favor_precision=False)": False,  # trafilatura.extract(html): comments kept
              "trafilatura favor_precision=True (other defaults)": True}


def eval_wcxb(labeller, root: Path, limit: int = 0, bootstrap: int = BOOTSTRAP, seed: int = 0) -> list[dict]:
    """`bench.wcxb`'s rows of wcxb-dev's validation pages: our body text (a refused page is an empty output, counted)
    and trafilatura.extract's, with its defaults and with favor_precision, over the same pages in the same run."""
    from newslabel.bench import wcxb
    from newslabel.bench.bodytext import _body
    from newslabel.data.importers.wcxb import read_wcxb
    from newslabel.ingest.peers import trafilatura_text

    records = list(read_wcxb(root, "validation", limit))
    for page in records[:1]:  # an untimed first call of each system: lazy loads stay out of the ms a page
        _body(labeller, page["html"], "warm-up", [])
        for precision in WCXB_PEERS.values():
            trafilatura_text(page["html"], favor_precision=precision, include_comments=True)
    refused: list[str] = []
    scored = {WCXB_OURS: wcxb.score_wcxb(lambda r: _body(labeller, r["html"], r["id"], refused), records)}
    for name, precision in WCXB_PEERS.items():
        scored[name] = wcxb.score_wcxb(lambda r, p=precision: trafilatura_text(
            r["html"], favor_precision=p, include_comments=True), records)
    rows = wcxb.benchmark_rows(WCXB_CHECK, scored, WCXB_OURS, bootstrap, seed,
                               {WCXB_OURS: f"refused {len(refused)}"})
    return [r | {"split": "validation"} for r in rows]


def _body_checks(labeller, shared: Path, limit: int, log, split: str = "test", only: tuple[str, ...] = ()) -> list[dict]:
    from newslabel.bench import bodytext

    merged = partial(bodytext.eval_merged, splits=(split,))
    checks = (("webextract", partial(bodytext.eval_webextract, split=split)), ("extraction-merged", merged),
              ("extraction-merged", partial(merged, dumps=True)), ("wcxb-dev", eval_wcxb))  # (data folder, check)
    checks = tuple((folder, check) for folder, check in checks if not only or folder in only)
    present = {folder: (shared / "data" / folder).is_dir() for folder, _ in checks}  # a line a folder, not a check
    for folder in [f for f, there in present.items() if not there]:
        log(f"skipped labeller check {folder}: its data is not under {shared / 'data'}")
    return [row for folder, check in checks if present[folder]
            for row in check(labeller, shared / "data" / folder, limit)]


def command(limit: int = 0, split: str = "test") -> str:
    """The command line that makes these rows.

    >>> command(0, "validation")
    'python -m src.benchmark labeller --split validation'
    """
    return ("python -m src.benchmark labeller" + (f" --limit {limit}" if limit else "")
            + (f" --split {split}" if split != "test" else ""))


def labeller_report(rows: list[dict], limit: int = 0, wall: float | None = None):
    """The rows of `run` as the benchmark Report that `report.save_result` writes to labeller.json."""
    from newslabel.bench.report import Report, Row, run_meta

    split = rows[0]["split"] if rows else "test"
    meta = run_meta("labeller", command(limit, split), limit) | (
        {"wall_seconds": f"{wall:.0f}"} if wall is not None else {})
    out = [Row(f"{r['check']}: {r['system']} ({r['metric']})", r["kind"],
               {"value": r["value"], "value_ci_low": r["lo"], "value_ci_high": r["hi"], "n": float(r["n"]),
                "seconds": r["seconds"]},
               {"check": r["check"], "metric": r["metric"], "split": r["split"]},
               {"value": r["target"]} if r.get("target") else {}, errors=r.get("confusion", "")) for r in rows]
    return Report("labeller", out, meta)


def _log(rows: list[dict], labeller, mlruns: Path, limit: int, split: str) -> None:
    import mlflow

    from newslabel.bench.report import code_commit
    from newslabel.config import project_root
    from newslabel.tracking import store as tracking

    tracking.configure(mlruns)  # a labeller passed in may have been loaded from another store, or from none
    commit = code_commit(project_root())  # the commit its result file records
    for r in rows:
        tags = {"git_commit": commit, "mlflow.source.git.commit": commit, "kind": r["kind"], "check": r["check"],
                "model_version": labeller.model_version, "limit": str(limit), "confusion": r.get("confusion", ""),
                "split": r["split"], "command": command(limit, split)}
        with tracking.run(EXPERIMENT, mlruns, f"{r['check']}: {r['system']}", {"n": r["n"]}, tags):
            m = r["metric"]
            values = {m: r["value"], f"{m}_lo": r["lo"], f"{m}_hi": r["hi"], "seconds": r["seconds"]} | (
                {f"target_{m}": r["target"]} if r.get("target") else {})
            mlflow.log_metrics({k: v for k, v in values.items() if v == v})  # no interval (ms a page): not logged


BODY_FOLDERS = ("webextract", "extraction-merged", "wcxb-dev")  # the body checks, by data folder


def main(argv: list[str] | None = None) -> int:
    """`python -m newslabel.bench.labeller CHECK... [--mlruns DIR] [--shared DIR] [--limit N] [--split S] [--out F]`:
    some checks alone (CHECKS' names, or a body check's data folder: webextract, extraction-merged, wcxb-dev),
    printed and logged to MLflow as in the whole run; `--out` writes their rows as JSON. Only the whole run
    (`python -m src.benchmark labeller`) writes the result file and the docs."""
    import argparse
    import json
    import os

    parser = argparse.ArgumentParser(prog="python -m newslabel.bench.labeller", description=main.__doc__)
    parser.add_argument("checks", nargs="+", choices=[*CHECKS, *BODY_FOLDERS])
    parser.add_argument("--mlruns", type=Path, help="the store of the champions and of the runs (default mlruns/)")
    parser.add_argument("--shared", type=Path, help="the shared folder (default ../shared beside the project)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--split", default="test", choices=("validation", "test"))
    parser.add_argument("--out", type=Path, help="a JSON file for the rows")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    rows = run(args.shared, args.mlruns, args.limit, split=args.split, only=tuple(args.checks))
    if args.out:
        clean = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in rows]
        args.out.write_text(json.dumps(clean, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
