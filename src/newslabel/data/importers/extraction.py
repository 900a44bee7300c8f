"""Role rows (`body` / `boilerplate`) of real pages: webextract on its own passages (`import_webextract`, the
benchmark's unit) or on the labeller's (`import_webextract_pages`), and extraction-merged on the labeller's
(`import_extraction_merged`), which is what the shipped role model trains on."""

from __future__ import annotations

import gzip
import json
import math
import tempfile
from pathlib import Path

import pandas as pd

from newslabel import hashing
from newslabel.data.importers import common
from newslabel.data.importers.common import SPLITS, Rows
from newslabel.errors import InputError

ROLE_LABELS = ("body", "boilerplate")
WEBEXTRACT_VALIDATION_SHARE = 0.2  # of the dev domains, by sha256(domain)


# -- role ------------------------------------------------------------------------------------
def import_webextract(root: Path) -> dict[str, dict[str, Rows]]:
    """webextract passages -> task ``role``, labels ``body`` / ``boilerplate``.

    One row per passage of ``passages.jsonl.gz``, pages in file order, passages in page order.
    ``doc_id`` is the page id and ``index`` the passage's position, as in ``types.Passage``;
    ``title`` is the page's ``<title>`` (``html_title`` in pages.jsonl; not gold, may be None);
    ``source_path`` is the page's ``html/<page_id>.html.gz``; group = site = domain.

    Split rule (by domain): the official ``test`` part is ``test``. The official ``dev`` part is
    split by domain: the dev domains whose sha256(domain) hex digest ranks in the lowest 20% of
    the dev domains (rank < 0.2 x count, so 16 of 79) are ``validation``, the rest ``train``.
    """
    root = Path(root)
    df = _webextract_passages(root)
    split = webextract_splits(df)
    out = common.gold(_webextract_rows(df, root / "html"))
    return {"role": {s: common.rows(out[split == s]) for s in SPLITS}}


def webextract_splits(df: pd.DataFrame) -> pd.Series:
    """Each row's split (`import_webextract`'s rule) from its official ``split`` and its ``domain``.

    >>> df = pd.DataFrame({"split": ["dev", "dev", "test"], "domain": ["a.example", "b.example", "c.example"]})
    >>> webextract_splits(df).tolist()   # one of two dev domains: ceil(0.2 x 2) = 1 goes to validation
    ['validation', 'train', 'test']
    """
    dev_domains = hashing.by_digest(set(df.loc[df["split"] == "dev", "domain"]))
    n_val = math.ceil(WEBEXTRACT_VALIDATION_SHARE * len(dev_domains))
    split = df["split"].map({"dev": "train", "test": "test"})
    split[(df["split"] == "dev") & df["domain"].isin(set(dev_domains[:n_val]))] = "validation"
    return split


def _webextract_passages(root: Path) -> pd.DataFrame:
    """passages.jsonl.gz joined with pages.jsonl, checked, pages in file order and passages by position."""
    name, folder = "webextract", "webextract"
    passages_path = common.require(root, "passages.jsonl.gz", name, folder)
    pages_path = common.require(root, "pages.jsonl", name, folder)
    with gzip.open(passages_path, "rt", encoding="utf-8") as f:
        passages = pd.DataFrame.from_records([json.loads(line) for line in f if line.strip()])
    with open(pages_path, encoding="utf-8") as f:
        pages = pd.DataFrame.from_records([json.loads(line) for line in f if line.strip()])
    for df, path, cols in (
        (passages, passages_path, ("page_id", "split", "domain", "position", "text", "label", "tag")),
        (pages, pages_path, ("page_id", "url", "html_title")),
    ):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{path}: missing field(s) {', '.join(missing)}")
    bad = sorted(set(passages["label"]) - set(ROLE_LABELS))
    if bad:
        raise ValueError(f"{passages_path}: unexpected label(s) {', '.join(map(repr, bad))}")
    bad_splits = sorted(set(passages["split"]) - {"dev", "test"})
    if bad_splits:
        raise ValueError(f"{passages_path}: unexpected split(s) {', '.join(map(repr, bad_splits))}")

    pages = pages[["page_id", "url", "html_title"]].drop_duplicates("page_id")
    df = passages.merge(pages, on="page_id", how="left", validate="many_to_one", indicator=True)
    orphans = df.loc[df["_merge"] != "both", "page_id"].unique()
    if len(orphans):
        raise ValueError(f"{passages_path}: page(s) missing from {pages_path.name}: {', '.join(orphans[:3])}")
    # Page order: pages in order of first appearance, passages by position within the page.
    df["_page_order"] = pd.factorize(df["page_id"])[0]
    df = df.sort_values(["_page_order", "position"], kind="stable")
    return df


def _webextract_rows(df: pd.DataFrame, html_dir: Path) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "doc_id": df["page_id"].astype(str),
            "group": df["domain"].astype(str),
            "text": df["text"].astype(str),
            "label": df["label"].astype(str),
            "index": df["position"].astype(int),
            "line": None,
            "title": df["html_title"].astype(object).where(df["html_title"].notna(), None),
            "site": df["domain"].astype(str),
            "url": df["url"].astype(object).where(df["url"].notna(), None),
            "source_path": [str(html_dir / f"{p}.html.gz") for p in df["page_id"]],
            "tag": df["tag"].astype(str),
            "tag_path": "",
            "class_tokens": "",
            "link_density": 0.0,
            "gold_coverage": df["gold_coverage"].astype(float) if "gold_coverage" in df else float("nan"),
        }
    )


# -- extraction-merged: pages with a gold main text ------------------------------------------
MERGED_FILE = "pages.jsonl.gz"


def import_extraction_merged(root: Path, html_dir: str | None = None, datasets: list[str] | None = None,
                             max_chars: int | None = None, n_jobs: int | None = None) -> dict[str, dict[str, Rows]]:
    """extraction-merged pages -> task ``role``, labels ``body`` / ``boilerplate``, on newslabel's own passages
    (`own_passage_rows`). L3S-GN1's headline is not body (`gold_body`): the role schema gives it ``title``.
    Readability's synthetic unit-test pages are left out. The page's HTML is written gzipped to
    ``html_dir/<page_id>.html.gz`` (``source_path``), where the role model's DOM features read it. Splits: the
    README's ``split`` (by registrable domain); group = site = its ``split_group``. Pages are read on `n_jobs`
    processes (joblib's convention; the gold alignment of 1,500 pages takes a minute on one core).
    """
    from joblib import Parallel, delayed

    path = common.require(Path(root), MERGED_FILE, "extraction-merged", "extraction-merged")
    out_dir = Path(html_dir) if html_dir else Path(tempfile.gettempdir()) / "newslabel-extraction-merged"
    out_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        pages = (json.loads(line) for line in f)
        wanted = (p for p in pages if not p.get("synthetic") and not (datasets and p["dataset"] not in datasets))
        per_page = Parallel(n_jobs=n_jobs)(delayed(_merged_page_rows)(p, out_dir, max_chars) for p in wanted)
    return _by_split([row for rows in per_page for row in rows])


def _merged_page_rows(page: dict, out_dir: Path, max_chars: int | None) -> Rows:
    html_path = out_dir / f"{page['page_id']}.html.gz"
    if not html_path.is_file():
        html_path.write_bytes(gzip.compress(page["html"].encode("utf-8"), mtime=0))
    info = {"doc_id": page["page_id"], "group": page["split_group"], "site": page["split_group"],
            "url": page.get("url") or "", "dataset": page["dataset"], "split": page["split"]}
    return own_passage_rows(info, page["html"], gold_body(page), str(html_path), max_chars)


def import_webextract_pages(root: Path, max_chars: int | None = None) -> dict[str, dict[str, Rows]]:
    """webextract pages -> task ``role`` on newslabel's own passages (`own_passage_rows`, against the page's
    gold ``body``), with `import_webextract`'s splits by domain. The labeller's passages are what the role model
    reads at labelling time; webextract's own passages (`import_webextract`) stay the benchmark's unit."""
    root = Path(root)
    splits = {row["doc_id"]: split for split, rows in import_webextract(root)["role"].items() for row in rows}
    pages_path = common.require(root, "pages.jsonl", "webextract", "webextract")
    rows: list[dict] = []
    with open(pages_path, encoding="utf-8") as f:
        for line in f:
            page = json.loads(line)
            html_path = root / "html" / f"{page['page_id']}.html.gz"
            if page["page_id"] not in splits or not html_path.is_file():
                continue
            html = gzip.decompress(html_path.read_bytes()).decode("utf-8", errors="replace")
            info = {"doc_id": page["page_id"], "group": page["domain"], "site": page["domain"],
                    "url": page.get("url") or "", "dataset": "webextract", "split": splits[page["page_id"]]}
            rows += own_passage_rows(info, html, page.get("body") or "", str(html_path), max_chars)
    return _by_split(rows)


def own_passage_rows(info: dict, html: str, gold_text: str, html_path: str, max_chars: int | None) -> Rows:
    """A page's rows on newslabel's own passages: segmented as the labeller segments HTML
    (`ingest.html.segment_html`), each ``body`` when the gold text covers half its tokens
    (`ingest.peers.score_passages`, webextract's rule), else ``boilerplate``. A page the segmenter refuses
    gives no rows. `info` holds the page's doc_id, group, site, url, dataset and split."""
    from newslabel.ingest.html import segment_html
    from newslabel.ingest.peers import score_passages

    try:
        page = segment_html(info["doc_id"], html_path, html, url=info["url"] or None, max_chars=max_chars)
    except InputError:
        return []
    body = score_passages([p.text for p in page.passages], gold_text)
    return [{**info, "text": p.text, "label": "body" if b else "boilerplate", "index": p.index, "line": None,
             "title": page.title or "", "source_path": html_path, "tag": p.tag, "tag_path": p.tag_path,
             "class_tokens": p.class_tokens, "link_density": float(p.link_density), "depth": p.depth,
             "blocks": p.blocks}
            for p, b in zip(page.passages, body)]


def _by_split(rows: Rows) -> dict[str, dict[str, Rows]]:
    df = common.gold(pd.DataFrame(rows))
    return {"role": {s: common.rows(df[df["split"] == s].drop(columns="split")) for s in SPLITS}}


def gold_body(page: dict) -> str:
    """The page's gold main text, without L3S-GN1's headline line (the role schema's `title`)."""
    text = page.get("gold_text") or ""
    headline = ((page.get("gold_l3s") or {}).get("headline") or "").strip()
    return text[len(headline):].lstrip("\n") if headline and text.startswith(headline) else text
