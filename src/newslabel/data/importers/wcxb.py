"""wcxb-dev (`../shared/data/wcxb-dev`): 1,311 real pages of 2026 with reviewed title, author, publication date and
main text, and the one split of its pages by site that every use of it shares.

`wcxb_split(domain)` is that split: a site's pages all go to `validation` when sha256(domain) puts it in the first
WCXB_VALIDATION_SHARE of [0, 1] (`hashing.share`), else to `train`. The metadata benchmark (`bench/metadata.py`)
scores on the validation sites; a model trained on wcxb-dev trains on the train sites with the same function.

>>> [wcxb_split(d) for d in ("scratchculinary.com", "example.org")]
['validation', 'train']
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from newslabel import hashing
from newslabel.data.importers import common
from newslabel.data.importers.common import Rows
from newslabel.ingest.decoding import decode_with_warnings

WCXB_VALIDATION_SHARE = 0.2  # of the sites, by sha256(domain): 249 of the 1,311 pages (234 sites)
WCXB_SPLITS = ("train", "validation")


def wcxb_split(domain: str) -> str:
    """`validation` or `train` for a site (the README's `domain`, as it is spelt there)."""
    return "validation" if hashing.share(domain) < WCXB_VALIDATION_SHARE else "train"


def read_wcxb(root: Path, split: str | None = None, limit: int = 0) -> Iterator[dict]:
    """The pages' ground-truth records (README fields, `main_content` and the snippets included) in file order,
    each with its `split` and its decoded `html`; only `split`'s pages when given, the first `limit` when set.

    MissingDataError (one line) when the folder or its ground truth is missing.
    """
    if split is not None and split not in WCXB_SPLITS:
        raise ValueError(f"unknown wcxb split {split!r}; expected one of {', '.join(WCXB_SPLITS)}")
    truth = common.require(root, "ground-truth.jsonl.gz", "wcxb", "wcxb-dev")
    n = 0
    with gzip.open(truth, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            rec["split"] = wcxb_split(rec["domain"])
            if split is not None and rec["split"] != split:
                continue
            html_path = common.require(root, f"html/{rec['id']}.html.gz", "wcxb", "wcxb-dev")
            rec["html"] = decode_with_warnings(str(html_path), gzip.decompress(html_path.read_bytes()))[0]
            yield rec
            n += 1
            if limit and n >= limit:
                return


def import_wcxb_pages(root: Path, max_chars: int | None = None) -> dict[str, dict[str, Rows]]:
    """wcxb-dev pages -> task ``role`` on newslabel's own passages (`extraction.own_passage_rows`), ``body`` when
    the gold `main_content` covers half a passage's tokens in order (the extraction sets' rule; the body text of
    the passages so labelled scores .978 word F1 on the validation pages the segmenter reads, where "70% of its
    words occur in the gold's word bag" scores .914: short menu lines share common words with the gold);
    splits by site (`wcxb_split`); group = site = domain; `dataset` is the page's `page_type`. wcxb-dev has no
    test split (WCXB's is kept apart)."""
    from newslabel.data.importers.extraction import _by_split, own_passage_rows

    root = Path(root)
    rows: Rows = []
    for rec in read_wcxb(root):
        info = {"doc_id": f"wcxb-{rec['id']}", "group": rec["domain"], "site": rec["domain"],
                "url": rec.get("url") or "", "dataset": rec["page_type"], "split": rec["split"]}
        path = str(root / "html" / f"{rec['id']}.html.gz")
        rows += own_passage_rows(info, rec["html"], rec.get("main_content") or "", path, max_chars)
    return _by_split(rows)
