"""Importers: the public evaluation datasets -> labelled rows for the four tasks.

Each importer reads one folder of the shared, read-only data (``../shared/data/<folder>``; every
folder has a README with its source, licence, columns and counts) and returns
``{task: {"train": rows, "validation": rows, "test": rows}}``. A row is a flat dict with at least
``doc_id``, ``group``, ``text``, ``label``, ``label_source`` (``"gold"``) and ``confidence`` (1.0).
``group`` is the key that keeps related rows on one side of a split (domain, article, body), and no
group value occurs in two splits of one task.

| importer | folder | task | labels |
|---|---|---|---|
| ``webextract`` | ``webextract`` | role | ``body`` / ``boilerplate`` (the dataset's names, kept as they are) |
| ``bbc`` | ``topic-bbc-news`` | topic | 5 BBC topics -> IPTC Media Topic names |
| ``agnews`` | ``topic-ag-news`` | topic | 4 AG topics -> IPTC Media Topic names |
| ``fnc1`` | ``fnc1`` | stance | agree / disagree / discuss / unrelated |
| ``babe`` | ``babe`` | bias | biased / neutral |
| ``huffpost`` | ``topic-huffpost`` | topic | 41 HuffPost sections -> the README's IPTC mapping (``high`` rows) |
| ``iptc`` | ``iptc-mediatopic`` | topic | weak rows: each IPTC sub-topic's name and definition under its top level |
| ``arc`` | ``stance-arc`` | stance | agree / disagree / discuss / unrelated, regrouped by body |
| ``basil`` | ``bias-basil`` | bias | a lexical-bias span -> biased, no span -> neutral |
| ``mbic`` | ``babe`` (``mbic_final_labels.csv.gz``) | bias | crowd majority Biased / Non-biased |

Sources without an official split get a deterministic one from a hash of their group key
(``_hash_split``): 10% validation, 20% test (``iptc``: no test, it is a label resource).

Topic mapping onto the IPTC top level (``schema.TOPIC``); the original label is kept as ``native_label``:

- BBC: business -> "economy, business and finance", entertainment -> "arts, culture, entertainment
  and media", politics -> "politics", sport -> "sport", tech -> "science and technology".
- AG News: World -> "politics", Sports -> "sport", Business -> "economy, business and finance",
  Sci/Tech -> "science and technology". World is an approximation: AG's World class is international
  news, mostly politics, but it also holds conflict, disaster and crime stories that IPTC files elsewhere.

The role labels ``body`` / ``boilerplate`` are coarser than ``schema.ROLE``. ``body`` is a ROLE name.
``boilerplate`` covers title, byline, related, promo and chrome, so a caller maps it for the task at hand.

The data licences allow evaluation and research only: never copy their text into the repository.
A missing folder or file raises ``MissingDataError`` with a one-line message naming it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .schema import normalise

Rows = list[dict]
Splits = dict[str, Rows]
SPLITS = ("train", "validation", "test")

BBC_TOPICS: dict[str, str] = {
    "business": "economy, business and finance",
    "entertainment": "arts, culture, entertainment and media",
    "politics": "politics",
    "sport": "sport",
    "tech": "science and technology",
}
# World -> politics is an approximation (see the module docstring).
AGNEWS_TOPICS: dict[str, str] = {
    "World": "politics",
    "Sports": "sport",
    "Business": "economy, business and finance",
    "Sci/Tech": "science and technology",
}
BABE_LABELS: dict[str, str] = {"1": "biased", "0": "neutral"}
ROLE_LABELS = ("body", "boilerplate")
FNC1_LABELS = ("agree", "disagree", "discuss", "unrelated")
WEBEXTRACT_VALIDATION_SHARE = 0.2  # of the dev domains, by sha256(domain)


class MissingDataError(FileNotFoundError):
    """A dataset folder or file is not there; the message is one line naming it.

    >>> str(MissingDataError("x/train.csv", "bbc", "topic-bbc-news"))
    'x/train.csv: not found; the bbc data lives in ../shared/data/topic-bbc-news'
    """

    def __init__(self, path: str | Path, name: str, folder: str):
        self.path, self.name, self.folder = str(path), name, folder
        super().__init__(f"{path}: not found; the {name} data lives in ../shared/data/{folder}")


# -- helpers ---------------------------------------------------------------------------------
def _require(root: Path, filename: str, name: str, folder: str) -> Path:
    """root/filename, or MissingDataError naming the folder (if it is missing) or the file."""
    root = Path(root)
    if not root.is_dir():
        raise MissingDataError(root, name, folder)
    path = root / filename
    if not path.is_file():
        raise MissingDataError(path, name, folder)
    return path


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV with empty cells kept as "" (not NaN); raises ValueError when a column is missing."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[], dtype=str)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _map_labels(values: pd.Series, mapping: dict[str, str], path: Path) -> pd.Series:
    unknown = sorted(set(values) - set(mapping))
    if unknown:
        raise ValueError(f"{path}: unexpected label(s) {', '.join(map(repr, unknown))}")
    return values.map(mapping)


def _gold(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(label_source="gold", confidence=1.0)


def _rows(df: pd.DataFrame) -> Rows:
    return df.to_dict("records")


def _bucket(key: str) -> int:
    """0..99 from md5(key): a split that depends on the key alone, not on row order or library."""
    return int(_md5(str(key)), 16) % 100


def _hash_split(groups: pd.Series, validation: int = 10, test: int = 20) -> pd.Series:
    """Deterministic split of group keys: bucket < test -> test, < test+validation -> validation, else train.

    >>> [_bucket(k) for k in "ahj"], _hash_split(pd.Series(list("ahj"))).tolist()
    ([97, 13, 5], ['train', 'test', 'test'])
    """
    b = groups.map(_bucket)
    return pd.Series(["test" if v < test else "validation" if v < test + validation else "train" for v in b],
                     index=groups.index)


def _by_split(df: pd.DataFrame, split: pd.Series) -> Splits:
    return {s: _rows(df[split == s]) for s in SPLITS}


def _check_labels(task: str, splits: Splits) -> Splits:
    for rows in splits.values():
        for label in {r["label"] for r in rows}:
            normalise(task, label)
    return splits


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
    name, folder = "webextract", "webextract"
    root = Path(root)
    passages_path = _require(root, "passages.jsonl.gz", name, folder)
    pages_path = _require(root, "pages.jsonl", name, folder)
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

    dev_domains = sorted(
        set(df.loc[df["split"] == "dev", "domain"]), key=lambda d: hashlib.sha256(d.encode("utf-8")).hexdigest()
    )
    n_val = math.ceil(WEBEXTRACT_VALIDATION_SHARE * len(dev_domains))
    validation_domains = set(dev_domains[:n_val])
    split = df["split"].map({"dev": "train", "test": "test"})
    split[(df["split"] == "dev") & df["domain"].isin(validation_domains)] = "validation"

    html_dir = root / "html"
    out = pd.DataFrame(
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
    out = _gold(out)
    return {"role": {s: _rows(out[split == s]) for s in SPLITS}}


# -- topic -----------------------------------------------------------------------------------
def import_bbc(root: Path) -> dict[str, dict[str, Rows]]:
    """BBC News (Greene & Cunningham 2006) -> task ``topic``, labels mapped to IPTC names.

    text = title + "\\n" + body; ``native_label`` keeps the BBC label; group = ``text_md5`` (the
    README's hash of the normalised text, so duplicates share a group); doc_id = "bbc-" + ``id``.

    Split rule: ``test.csv`` is ``test`` (the README's deterministic, duplicate-aware 80/20 split);
    of ``train.csv``, rows with int(text_md5, 16) % 10 == 0 are ``validation``, the rest ``train``.
    """
    name, folder = "bbc", "topic-bbc-news"
    cols = ("id", "label", "title", "body", "text_md5")
    frames = {}
    for part in ("train", "test"):
        path = _require(Path(root), f"{part}.csv", name, folder)
        df = _read_csv(path, cols)
        frames[part] = pd.DataFrame(
            {
                "doc_id": "bbc-" + df["id"],
                "group": df["text_md5"],
                "text": df["title"] + "\n" + df["body"],
                "label": _map_labels(df["label"], BBC_TOPICS, path),
                "native_label": df["label"],
                "title": df["title"],
            }
        )
    train = _gold(frames["train"])
    is_val = train["group"].map(lambda h: int(h, 16) % 10 == 0).astype(bool)
    splits = {"train": _rows(train[~is_val]), "validation": _rows(train[is_val]), "test": _rows(_gold(frames["test"]))}
    return {"topic": _check_labels("topic", splits)}


def import_agnews(root: Path) -> dict[str, dict[str, Rows]]:
    """AG News (Zhang et al. 2015) -> task ``topic``, labels mapped to IPTC names.

    text = title + "\\n" + description, verbatim (AG's quirks kept: a lone backslash for a newline,
    HTML entities without their ``&``); ``native_label`` keeps the AG label name; group = md5(text)
    hex; doc_id = "agnews-<file>-<0-based row>".

    Split rule: ``test.csv`` (official, 7,600) is ``test``; of ``train_sample.csv`` (5,000 of the
    official train), rows with int(md5(text), 16) % 10 == 0 are ``validation``, the rest ``train``.
    """
    name, folder = "agnews", "topic-ag-news"
    cols = ("label_name", "title", "description")
    frames = {}
    for part, filename in (("train", "train_sample.csv"), ("test", "test.csv")):
        path = _require(Path(root), filename, name, folder)
        df = _read_csv(path, cols)
        text = df["title"] + "\n" + df["description"]
        frames[part] = pd.DataFrame(
            {
                "doc_id": [f"agnews-{part}-{i}" for i in range(len(df))],
                "group": text.map(_md5),
                "text": text,
                "label": _map_labels(df["label_name"], AGNEWS_TOPICS, path),
                "native_label": df["label_name"],
                "title": df["title"],
            }
        )
    train = _gold(frames["train"])
    is_val = train["group"].map(lambda h: int(h, 16) % 10 == 0).astype(bool)
    splits = {"train": _rows(train[~is_val]), "validation": _rows(train[is_val]), "test": _rows(_gold(frames["test"]))}
    return {"topic": _check_labels("topic", splits)}


HUFFPOST_CONFIDENCE = ("high",)  # the README: "Training on the high rows only is the safe start"


def import_huffpost(root: Path, confidence: tuple[str, ...] = HUFFPOST_CONFIDENCE) -> dict[str, dict[str, Rows]]:
    """HuffPost headlines (Bao et al. 2020 subset) -> task ``topic`` through the README's IPTC mapping.

    Keeps the rows whose ``iptc_confidence`` is in `confidence` (unmapped WORLD NEWS / WORLDPOST never);
    text = the lower-cased tokenised headline; ``native_label`` = the HuffPost section; group = md5(text), so
    the 47 repeated headlines stay together; doc_id = "huffpost-<id>".

    Split rule (no official split): ``_hash_split`` of the group (10% validation, 20% test).
    """
    path = _require(Path(root), "huffpost_iptc.jsonl.gz", "huffpost", "topic-huffpost")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        df = pd.DataFrame.from_records([json.loads(line) for line in f.read().split("\n") if line.strip()])
    missing = [c for c in ("id", "text", "category", "iptc", "iptc_confidence") if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing field(s) {', '.join(missing)}")
    df = df[df["iptc"].notna() & df["iptc_confidence"].isin(confidence)]
    out = _gold(pd.DataFrame({"doc_id": "huffpost-" + df["id"].astype(str), "group": df["text"].map(_md5),
                              "text": df["text"].astype(str), "label": df["iptc"].astype(str),
                              "native_label": df["category"].astype(str)}))
    return {"topic": _check_labels("topic", _by_split(out, _hash_split(out["group"])))}


def import_iptc(root: Path) -> dict[str, dict[str, Rows]]:
    """IPTC Media Topics -> weak ``topic`` rows: one per top level (its definitions) and per live sub-topic.

    text = "<name>. <definition>"; label = the top-level name; label_source = "iptc-definition", confidence 0.5
    (a label description, not an article). The only rows at all for conflict, disaster, labour and weather.
    Split rule: ``_hash_split`` of the qcode with no test part (10% validation).
    """
    path = _require(Path(root), "iptc_top_level.jsonl.gz", "iptc", "iptc-mediatopic")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for top in (json.loads(line) for line in f if line.strip()):
            rows.append({"qcode": top["qcode"], "label": top["name"],
                         "text": f"{top['name']}. {top['definition']}. {top['kuzman2024_prompt_description']}"})
            rows += [{"qcode": d["qcode"], "label": top["name"], "text": f"{d['name']}. {d.get('definition') or ''}"}
                     for d in top["descendants"]]
    df = pd.DataFrame(rows)
    out = pd.DataFrame({"doc_id": "iptc-" + df["qcode"], "group": df["qcode"], "text": df["text"],
                        "label": df["label"], "label_source": "iptc-definition", "confidence": 0.5})
    return {"topic": _check_labels("topic", _by_split(out, _hash_split(out["group"], validation=10, test=0)))}


# -- stance ----------------------------------------------------------------------------------
def _fnc1_pairs(root: Path, stances_file: str, bodies_file: str) -> pd.DataFrame:
    """Stance rows joined to their bodies on Body ID, in the stances file's order."""
    name, folder = "fnc1", "fnc1"
    stances_path = _require(root, stances_file, name, folder)
    bodies_path = _require(root, bodies_file, name, folder)
    stances = _read_csv(stances_path, ("Headline", "Body ID", "Stance"))
    bodies = _read_csv(bodies_path, ("Body ID", "articleBody"))
    bad = sorted(set(stances["Stance"]) - set(FNC1_LABELS))
    if bad:
        raise ValueError(f"{stances_path}: unexpected stance(s) {', '.join(map(repr, bad))}")
    stances = stances.assign(_row=range(len(stances)))
    pairs = stances.merge(bodies, on="Body ID", how="left", validate="many_to_one", indicator=True)
    missing = pairs.loc[pairs["_merge"] != "both", "Body ID"].unique()
    if len(missing):
        raise ValueError(f"{stances_path}: Body ID(s) not in {bodies_file}: {', '.join(missing[:5])}")
    return pairs.sort_values("_row", kind="stable")


def import_fnc1(root: Path) -> dict[str, dict[str, Rows]]:
    """FNC-1 (headline, body) pairs -> task ``stance``: agree / disagree / discuss / unrelated.

    One row per pair: ``headline``, text = the article body, ``body_id`` (int),
    group = "body-<body_id>", doc_id = "fnc1-<split>-<0-based row of the stances file>".

    Split rule (by body, the official baseline's dev hold-out): ``train_stances.csv`` rows whose body
    is ``train`` in ``train_holdout_split.csv`` are ``train``, those whose body is ``holdout`` are
    ``validation``; the competition test set is ``test``. Headlines repeat across train and validation.
    """
    name, folder = "fnc1", "fnc1"
    root = Path(root)
    split_path = _require(root, "train_holdout_split.csv", name, folder)
    holdout = _read_csv(split_path, ("Body ID", "split"))
    part_of = {"train": "train", "holdout": "validation"}
    holdout = holdout.assign(_split=_map_labels(holdout["split"], part_of, split_path))[["Body ID", "_split"]]

    train = _fnc1_pairs(root, "train_stances.csv", "train_bodies.csv").drop(columns="_merge")
    train = train.merge(holdout, on="Body ID", how="left", validate="many_to_one")
    if train["_split"].isna().any():
        missing = train.loc[train["_split"].isna(), "Body ID"].unique()
        raise ValueError(f"{split_path}: Body ID(s) without a split: {', '.join(missing[:5])}")
    test = _fnc1_pairs(root, "competition_test_stances.csv", "competition_test_bodies.csv")
    test = test.drop(columns="_merge").assign(_split="test")

    out = {}
    for df in (train, test):
        frame = _gold(
            pd.DataFrame(
                {
                    "doc_id": "fnc1-" + df["_split"] + "-" + df["_row"].astype(str),
                    "group": "body-" + df["Body ID"],
                    "headline": df["Headline"],
                    "text": df["articleBody"],
                    "label": df["Stance"],
                    "body_id": df["Body ID"].astype(int),
                    "_split": df["_split"],
                }
            )
        )
        for s, part in frame.groupby("_split", sort=False):
            out[s] = _rows(part.drop(columns="_split"))
    return {"stance": {s: out.get(s, []) for s in SPLITS}}


def import_arc(root: Path) -> dict[str, dict[str, Rows]]:
    """ARC (Hanselowski et al. 2018, FNC-1 format) -> task ``stance``, regrouped by body.

    The official split is by pair, so 2,397 bodies sit on both sides: train and test are pooled, exact
    repeats of a (Headline, Body ID) pair dropped, and a pair with two different labels dropped (one).
    Columns as ``fnc1``; group = "arc-body-<Body ID>"; doc_id = "arc-<Body ID>-<0-based pair in the body>".
    Split rule: ``_hash_split`` of the group (10% validation, 20% test). Claims repeat across splits (as
    FNC-1's headlines do): the held-out bodies are new, the claims are not.
    """
    name, folder = "arc", "stance-arc"
    root = Path(root)
    bodies = _read_csv(_require(root, "arc_bodies.csv.gz", name, folder), ("Body ID", "articleBody"))
    parts = [_read_csv(_require(root, f"arc_stances_{p}.csv.gz", name, folder), ("Headline", "Body ID", "Stance"))
             for p in ("train", "test")]
    stances = pd.concat(parts, ignore_index=True).drop_duplicates()
    stances = stances[~stances.duplicated(["Headline", "Body ID"], keep=False)]
    bad = sorted(set(stances["Stance"]) - set(FNC1_LABELS))
    if bad:
        raise ValueError(f"{root}/arc_stances_*.csv.gz: unexpected stance(s) {', '.join(map(repr, bad))}")
    df = stances.merge(bodies, on="Body ID", how="inner", validate="many_to_one")
    df = df.sort_values(["Body ID", "Headline"], kind="stable")
    out = _gold(pd.DataFrame({
        "doc_id": "arc-" + df["Body ID"] + "-" + df.groupby("Body ID").cumcount().astype(str),
        "group": "arc-body-" + df["Body ID"], "headline": df["Headline"], "text": df["articleBody"],
        "label": df["Stance"], "body_id": df["Body ID"].astype(int)}))
    return {"stance": _by_split(out, _hash_split(out["group"]))}


# -- bias ------------------------------------------------------------------------------------
def import_babe(root: Path) -> dict[str, dict[str, Rows]]:
    """BABE SG2 (Spinde et al. 2021) sentences -> task ``bias``: 1 -> biased, 0 -> neutral.

    Reads ``babe_sg2.csv``; rows with an empty ``label`` ("No agreement") are dropped.
    group = ``news_link`` (or "row-<sentence_id>" when it is missing), the README's split key;
    doc_id = "babe-<sentence_id>"; ``native_label`` keeps ``label_bias``; ``outlet`` and ``cv_fold`` kept.

    Split rule (by source article): ``split == "test"`` is ``test``; of the ``train`` rows,
    ``cv_fold == 0`` is ``validation`` and folds 1-4 are ``train``.
    """
    path = _require(Path(root), "babe_sg2.csv", "babe", "babe")
    df = _read_csv(path, ("sentence_id", "text", "news_link", "outlet", "label_bias", "label", "split", "cv_fold"))
    df = df[df["label"].str.strip() != ""]
    bad_splits = sorted(set(df["split"]) - {"train", "test"})
    if bad_splits:
        raise ValueError(f"{path}: unexpected split(s) {', '.join(map(repr, bad_splits))}")
    link = df["news_link"].str.strip()
    out = _gold(
        pd.DataFrame(
            {
                "doc_id": "babe-" + df["sentence_id"],
                "group": link.where(link != "", "row-" + df["sentence_id"]),
                "text": df["text"],
                "label": _map_labels(df["label"].str.strip(), BABE_LABELS, path),
                "native_label": df["label_bias"],
                "outlet": df["outlet"],
                "cv_fold": df["cv_fold"].astype(int),
                "sentence_id": df["sentence_id"].astype(int),
            }
        )
    )
    is_test = df["split"] == "test"
    is_val = ~is_test & (out["cv_fold"] == 0)
    splits = {"train": _rows(out[~is_test & ~is_val]), "validation": _rows(out[is_val]), "test": _rows(out[is_test])}
    return {"bias": _check_labels("bias", splits)}


def import_basil(root: Path, drop_informational: bool = True) -> dict[str, dict[str, Rows]]:
    """BASIL (Fan et al. 2019) sentences -> task ``bias`` with the README's BABE mapping (lexical span -> biased).

    Sentences with only informational spans are dropped by default (biased content in neutral words: the
    README warns BABE annotators might call some of them biased). group = ``triplet_uuid`` (the three
    outlets' versions of one event stay together); doc_id = "basil-<article_id>-<sentence_id>"; ``outlet``
    = fox / nyt / hpo. Split rule: ``_hash_split`` of the group (10% validation, 20% test).
    """
    path = _require(Path(root), "basil_sentences.jsonl.gz", "basil", "bias-basil")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        df = pd.DataFrame.from_records([json.loads(line) for line in f if line.strip()])
    if drop_informational:
        df = df[df["lexical_bias"] | ~df["informational_bias"]]
    out = _gold(pd.DataFrame({
        "doc_id": "basil-" + df["article_id"] + "-" + df["sentence_id"], "group": df["triplet_uuid"],
        "text": df["text"].astype(str), "label": df["label_babe_proposal"], "outlet": df["source"]}))
    return {"bias": _check_labels("bias", _by_split(out, _hash_split(out["group"])))}


def import_mbic(root: Path) -> dict[str, dict[str, Rows]]:
    """MBIC (crowd labels, ``babe/mbic_final_labels.csv.gz``) -> task ``bias``; "No agreement" dropped.

    group = ``news_link`` (or the row); doc_id = "mbic-<sentence_id>". Split rule: ``_hash_split`` of the
    group. MBIC's sentences are the ones BABE's experts re-annotated (SG1): a mix drops any of its rows whose
    text is in another source's test split (``mix.drop_test_texts``).
    """
    path = _require(Path(root), "mbic_final_labels.csv.gz", "mbic", "babe")
    df = _read_csv(path, ("sentence_id", "text", "news_link", "outlet", "label_bias"))
    df = df[df["label_bias"].isin(["Biased", "Non-biased"])]
    link = df["news_link"].str.strip()
    out = _gold(pd.DataFrame({
        "doc_id": "mbic-" + df["sentence_id"], "group": link.where(link != "", "row-" + df["sentence_id"]),
        "text": df["text"], "label": df["label_bias"].map({"Biased": "biased", "Non-biased": "neutral"}),
        "outlet": df["outlet"]}))
    return {"bias": _check_labels("bias", _by_split(out, _hash_split(out["group"])))}


IMPORTERS: dict[str, Callable[[Path], dict[str, dict[str, Rows]]]] = {
    "webextract": import_webextract,
    "bbc": import_bbc,
    "agnews": import_agnews,
    "fnc1": import_fnc1,
    "babe": import_babe,
    "huffpost": import_huffpost,
    "iptc": import_iptc,
    "arc": import_arc,
    "basil": import_basil,
    "mbic": import_mbic,
}
