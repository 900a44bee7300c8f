"""The shipped labeller's body text on real HTML pages, scored as its peers are (`python -m src.benchmark labeller`).

- webextract test pages through `Labeller.label_page(html)`: the page's `body_text` is scored with the
  dataset's passage rule (`ingest.peers.score_passages`: a gold passage is predicted body when the text
  covers half its tokens), the same rule that scores trafilatura's output; body F1 with a page bootstrap.
- extraction-merged test pages, per dataset (their gold conventions differ): token F1 of `body_text`
  against the gold main text (`token_counts`), micro over pages, with a page bootstrap. L3S-GN1's gold
  starts with the headline, which a body text leaves out (the labeller returns it as `title`, trafilatura
  as metadata), so it is scored without it. Readability's synthetic unit-test pages are left out.
- the same pages as text dumps (`models.dom.text_dump` of the HTML: a line per block, as a copied page
  reads), through `label_page(dump)`, scored the same way. No peer reads a text dump: ours only.

A page the labeller refuses (an `InputError`) counts as an empty body text, and is counted.

>>> token_prf(token_counts("the council met on monday"), token_counts("The council met. Share this"))
(0.6, 0.6, 0.6)
"""

from __future__ import annotations

import gzip
import json
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from newslabel.data.importers.extraction import gold_body
from newslabel.errors import InputError, InputWarning
from newslabel.ingest.peers import score_passages, tokens, trafilatura_text

PEER = "trafilatura, include_comments=False, favor_precision=True"


def token_counts(text: str) -> Counter:
    return Counter(tokens(text or ""))


def token_hits(gold: Counter, pred: Counter) -> tuple[int, int, int]:
    """(tokens found, tokens predicted, gold tokens), the tokens as multisets."""
    return sum((gold & pred).values()), sum(pred.values()), sum(gold.values())


def token_prf(gold: Counter, pred: Counter) -> tuple[float, float, float]:
    """(precision, recall, F1) of the predicted tokens against the gold ones, as multisets."""
    hit = token_hits(gold, pred)[0]
    p = hit / sum(pred.values()) if pred else 0.0
    r = hit / sum(gold.values()) if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _body(labeller, html: str, doc_id: str, refused: list[str]) -> str:
    try:
        with warnings.catch_warnings():  # repairs a user is told about (InputWarning), not benchmark output
            warnings.simplefilter("ignore", InputWarning)
            return labeller.label_page(html, doc_id=doc_id)["body_text"]
    except InputError as exc:
        refused.append(str(exc))
        return ""


def _timed(systems: dict, seconds: dict) -> dict[str, str]:
    """{name: body text} of each system's call, its time added to seconds[name]."""
    out = {}
    for name, fn in systems.items():
        start = time.perf_counter()
        out[name] = fn()
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
    return out


def _systems(labeller, html: str, doc_id: str, refused: list[str], seconds: dict) -> dict[str, str]:
    return _timed({"newslabel label_page (HTML in)": lambda: _body(labeller, html, doc_id, refused),
                   PEER: lambda: trafilatura_text(html, favor_precision=True)}, seconds)


# -- webextract: the passage rule ------------------------------------------------------------
def webextract_pages(root: Path, limit: int = 0, split: str = "test") -> list[dict]:
    """[{page_id, html, texts, gold}] of a webextract split (the importer's: `test` is the official test part,
    `validation` the dev pages of its validation domains), pages in file order."""
    from newslabel.data.importers.extraction import webextract_splits

    with gzip.open(root / "passages.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = pd.DataFrame.from_records([json.loads(line) for line in f if line.strip()])
    rows = rows[webextract_splits(rows) == split]
    pages = []
    for pid, group in rows.groupby("page_id", sort=False):  # pages in order of first appearance
        group = group.sort_values("position", kind="stable")
        html = gzip.decompress((root / "html" / f"{pid}.html.gz").read_bytes()).decode("utf-8", errors="replace")
        pages.append({"page_id": pid, "html": html, "texts": group["text"].tolist(),
                      "gold": (group["label"] == "body").tolist()})
    return pages[:limit] if limit else pages


def eval_webextract(labeller, root: Path, limit: int = 0, split: str = "test") -> list[dict]:
    from newslabel.bench.metrics import page_bootstrap, passage_metrics

    refused: list[str] = []
    seconds: dict[str, float] = {}
    gold, pages, pred = [], [], {}
    for page in webextract_pages(root, limit, split):
        out = _systems(labeller, page["html"], page["page_id"], refused, seconds)
        gold += page["gold"]
        pages += [page["page_id"]] * len(page["gold"])
        for name, text in out.items():
            pred.setdefault(name, []).extend(score_passages(page["texts"], text))
    rows = []
    for name, p in pred.items():
        m = passage_metrics(gold, p)
        lo, hi = page_bootstrap(gold, p, pages, 1000)
        ours = name.startswith("newslabel")
        rows.append({"check": "webextract body", "system": name, "kind": "ours" if ours else "peer",
                     "metric": "body_f1", "value": m["body_f1"], "lo": lo, "hi": hi, "n": len(set(pages)),
                     "seconds": seconds[name], "target": 0.975 if ours else None,
                     "confusion": f"P {m['precision_body']:.3f} R {m['recall_body']:.3f}; refused "
                                  f"{len(refused) if ours else 0}"})
    return rows


# -- extraction-merged: token F1 against the gold text ---------------------------------------
def merged_test(root: Path, limit: int = 0, splits: tuple[str, ...] = ("test",)) -> dict[str, list[dict]]:
    """{dataset: [{page_id, html, gold}]} of the extraction-merged test split (synthetic pages left out)."""
    out: dict[str, list[dict]] = {}
    with gzip.open(root / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("split") not in splits or r.get("synthetic"):
                continue
            out.setdefault(r["dataset"], []).append({"page_id": r["page_id"], "html": r["html"],
                                                     "gold": gold_body(r)})
    return {d: (pages[:limit] if limit else pages) for d, pages in sorted(out.items())}


def _micro_f1(counts: np.ndarray) -> np.ndarray:
    """Micro token F1 of summed (hits, predicted, gold) counts; `counts` is (..., 3)."""
    hit, n_pred, n_gold = counts[..., 0], counts[..., 1], counts[..., 2]
    return np.where(hit > 0, 2 * hit / np.maximum(n_pred + n_gold, 1), 0.0)


def _dump_system(labeller, html: str, doc_id: str, refused: list[str], seconds: dict) -> dict[str, str]:
    from newslabel.models.dom import text_dump

    return _timed({"newslabel label_page (text dump in)":
                   lambda: _body(labeller, text_dump(html), f"{doc_id}.txt", refused)}, seconds)


def eval_merged(labeller, root: Path, limit: int = 0, splits: tuple[str, ...] = ("test",),
                dumps: bool = False) -> list[dict]:
    """Token F1 per dataset of the HTML pages (ours and the peer), or with `dumps` of their text dumps (ours)."""
    systems, what = (_dump_system, "dump body") if dumps else (_systems, "body")
    rows = []
    for dataset, pages in merged_test(root, limit, splits).items():
        refused: list[str] = []
        seconds: dict[str, float] = {}
        gold = [token_counts(p["gold"]) for p in pages]
        pred: dict[str, list[Counter]] = {}
        for page in pages:
            for name, text in systems(labeller, page["html"], page["page_id"], refused, seconds).items():
                pred.setdefault(name, []).append(token_counts(text))
        draws = np.random.default_rng(0).integers(0, len(pages), size=(1000, len(pages)))
        for name, p in pred.items():
            per_page = np.array([token_hits(g, q) for g, q in zip(gold, p)])
            stats = _micro_f1(per_page[draws].sum(axis=1))
            ours = name.startswith("newslabel")
            hit, n_pred, n_gold = per_page.sum(axis=0)
            precision, recall = hit / max(n_pred, 1), hit / max(n_gold, 1)
            rows.append({"check": f"{dataset} {what}", "system": name, "kind": "ours" if ours else "peer",
                         "metric": "token_f1", "value": float(_micro_f1(per_page.sum(axis=0))),
                         "lo": float(np.percentile(stats, 2.5)), "hi": float(np.percentile(stats, 97.5)),
                         "n": len(pages), "seconds": seconds[name], "target": None,
                         "confusion": f"P {precision:.3f} R {recall:.3f}; refused {len(refused) if ours else 0}"})
    return rows
