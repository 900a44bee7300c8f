"""Body text scored on wcxb-dev by the benchmark's rule (../shared/data/wcxb-dev/README.md), for any extractor.

- `word_f1(output, gold)`: the bag of lower-cased `\\w+` words of the output against the gold `main_content`, F1;
  a page whose gold has no words scores 1 when the output has none, else 0 (WCXB's evaluate.py does the same).
- `snippet_scores(output, with_, without)`: the share of `with` snippets found in the output and the share of
  `without` snippets absent from it, both sides lower-cased (as evaluate.py does) and their white space collapsed
  (the README's rule); an empty list scores 1 (nothing to miss, nothing wrongly kept).
- `score_wcxb(extract, records)`: one row a page (`id`, `page_type`, `precision`, `recall`, `f1`, `with_found`,
  `without_absent`, `ms`) of any `extract(record) -> text`; `summary` the means over pages, in all and by
  `page_type`; `benchmark_rows` the rows the labeller benchmark logs and renders, with paired intervals.

Records are `data.importers.wcxb.read_wcxb`'s (`html`, `url`, `page_type`, `main_content`, `with`, `without`).

>>> word_f1("The cat sat.", "the cat ran, the end")  # 2 words shared: P 2/3, R 2/5, F1 2·(2/3)(2/5)/(2/3+2/5)
0.5
>>> word_f1("", ""), word_f1("Menu", ""), word_f1("", "text")
(1.0, 0.0, 0.0)
>>> snippet_scores("Big  news\\ntoday. Share this", ["big news today", "gone"], ["share this", "log in"])
(0.5, 0.5)
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from newslabel.bench.bodytext import token_prf

WORD = re.compile(r"\w+")
ARTICLE = "article"
BOOTSTRAP = 1000  # resamples of a page bootstrap (the labeller benchmark passes configs/benchmark.yaml's)


def words(text: str | None) -> Counter:
    """The bag of lower-cased `\\w+` words."""
    return Counter(WORD.findall((text or "").lower()))


def word_prf(output: str | None, gold: str | None) -> tuple[float, float, float]:
    """(precision, recall, F1) of the output's words against the gold's, as bags; the empty-gold rule for all three."""
    pred, ref = words(output), words(gold)
    if not ref:
        return (1.0, 1.0, 1.0) if not pred else (0.0, 0.0, 0.0)
    return token_prf(ref, pred)


def word_f1(output: str | None, gold: str | None) -> float:
    """The page's word F1 (the README's rule)."""
    return word_prf(output, gold)[2]


def _fold(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def snippet_scores(output: str | None, with_: Iterable[str], without: Iterable[str]) -> tuple[float, float]:
    """(share of `with_` snippets found, share of `without` snippets absent) in the output."""
    text = _fold(output)
    found = [_fold(s) in text for s in with_ or ()]
    present = [_fold(s) in text for s in without or ()]
    return (float(np.mean(found)) if found else 1.0), (1.0 - float(np.mean(present)) if present else 1.0)


def score_page(output: str | None, record: dict) -> dict:
    """One page's scores of `output` against its record's gold."""
    p, r, f1 = word_prf(output, record.get("main_content"))
    found, absent = snippet_scores(output, record.get("with") or [], record.get("without") or [])
    return {"id": record.get("id"), "page_type": record.get("page_type"), "precision": p, "recall": r, "f1": f1,
            "with_found": found, "without_absent": absent}


def score_wcxb(extract: Callable[[dict], str], records: Iterable[dict]) -> pd.DataFrame:
    """One row a page of `extract(record)`'s text (None counts as empty), with the milliseconds the call took."""
    rows = []
    for rec in records:
        start = time.perf_counter()
        out = extract(rec)
        ms = 1000 * (time.perf_counter() - start)
        rows.append(score_page(out, rec) | {"ms": ms})
    columns = ["id", "page_type", "precision", "recall", "f1", "with_found", "without_absent", "ms"]
    return pd.DataFrame(rows, columns=columns)


def summary(pages: pd.DataFrame) -> dict[str, float]:
    """Means over pages: `f1` (all), `f1_<page_type>` each kind (`f1_article` the articles), precision, recall,
    the snippet shares, `ms` a page, and `pages`."""
    out = {"pages": float(len(pages))}
    out |= {c: float(pages[c].mean()) for c in ("f1", "precision", "recall", "with_found", "without_absent", "ms")}
    for kind, group in sorted(pages.groupby("page_type")["f1"]):
        out[f"f1_{kind}"] = float(group.mean())
    return out


def mean_interval(values, n: int = BOOTSTRAP, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval (pages resampled) of the mean of per-page values."""
    from newslabel.bench.metadata import paired_interval

    values = np.asarray(values, float)
    return paired_interval(values, np.zeros(len(values)), n, seed) if len(values) else (float("nan"),) * 2


def _row(check: str, system: str, kind: str, metric: str, values, bootstrap: int, seed: int, **extra) -> dict:
    """A labeller-benchmark row of the mean of per-page values; no interval when `bootstrap` is 0."""
    lo, hi = mean_interval(values, bootstrap, seed) if bootstrap else (float("nan"), float("nan"))
    return {"check": check, "system": system, "kind": kind, "metric": metric, "value": float(np.mean(values)),
            "lo": lo, "hi": hi, "n": len(values), "seconds": 0.0, "target": None} | extra


def system_rows(check: str, system: str, kind: str, pages: pd.DataFrame, bootstrap: int = BOOTSTRAP,
                seed: int = 0, note: str = "") -> list[dict]:
    """One system's rows: word F1 in all (with its P and R and the whole check's seconds), per page kind, the two
    snippet shares and ms a page, each mean over pages with a page bootstrap interval."""
    p, r = pages["precision"].mean(), pages["recall"].mean()
    rows = [_row(check, system, kind, "word_f1", pages["f1"], bootstrap, seed, seconds=pages["ms"].sum() / 1000,
                 confusion=f"P {p:.3f} R {r:.3f}" + (f"; {note}" if note else ""))]
    rows += [_row(check, system, kind, f"word_f1_{k}", g, bootstrap, seed)
             for k, g in sorted(pages.groupby("page_type")["f1"])]
    rows += [_row(check, system, kind, "with_found", pages["with_found"], bootstrap, seed),
             _row(check, system, kind, "without_absent", pages["without_absent"], bootstrap, seed),
             _row(check, system, kind, "ms_per_page", pages["ms"], 0, seed)]
    return rows


def paired_row(check: str, ours: tuple[str, pd.DataFrame], peer: tuple[str, pd.DataFrame],
               bootstrap: int = BOOTSTRAP, seed: int = 0, group: str | None = None) -> dict:
    """mean word F1 of ours − the peer's over the same pages (of kind `group`, or all), with a paired bootstrap
    interval over pages."""
    from newslabel.bench.metadata import paired_interval

    a, b = ours[1].set_index("id"), peer[1].set_index("id").reindex(ours[1]["id"])
    if group is not None:
        keep = (a["page_type"] == group).to_numpy()
        a, b = a[keep], b[keep]
    lo, hi = paired_interval(a["f1"].to_numpy(), b["f1"].to_numpy(), bootstrap, seed)
    metric = "word_f1_diff" + (f"_{group}" if group else "")
    return {"check": check, "system": f"{ours[0]} − {peer[0]}", "kind": "ours", "metric": metric,
            "value": float(a["f1"].mean() - b["f1"].mean()), "lo": lo, "hi": hi, "n": len(a), "seconds": 0.0,
            "target": None}


def benchmark_rows(check: str, scored: dict[str, pd.DataFrame], ours: str, bootstrap: int = BOOTSTRAP,
                   seed: int = 0, notes: dict[str, str] | None = None) -> list[dict]:
    """Every system's rows (`ours` is the one of kind `ours`, the others are peers), then ours − each peer in all
    and on articles."""
    notes = notes or {}
    rows = []
    for name, pages in scored.items():
        rows += system_rows(check, name, "ours" if name == ours else "peer", pages, bootstrap, seed,
                            notes.get(name, ""))
    for name, pages in scored.items():
        if name != ours:
            rows += [paired_row(check, (ours, scored[ours]), (name, pages), bootstrap, seed, g)
                     for g in (None, ARTICLE)]
    return rows
