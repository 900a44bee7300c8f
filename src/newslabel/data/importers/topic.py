"""Topic importers: BBC News, AG News, HuffPost (its README's IPTC mapping), IPTC weak rows (sub-topic
names and definitions under their top-level topic) and MasakhaNEWS English (validation only)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd

from newslabel import hashing
from newslabel.data.importers import common
from newslabel.data.importers.common import Rows, Splits

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
        path = common.require(Path(root), f"{part}.csv", name, folder)
        df = common.read_csv(path, cols)
        frames[part] = pd.DataFrame(
            {
                "doc_id": "bbc-" + df["id"],
                "group": df["text_md5"],
                "text": df["title"] + "\n" + df["body"],
                "label": common.map_labels(df["label"], BBC_TOPICS, path),
                "native_label": df["label"],
                "title": df["title"],
            }
        )
    return {"topic": _md5_tenth_validation(frames)}


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
        path = common.require(Path(root), filename, name, folder)
        df = common.read_csv(path, cols)
        text = df["title"] + "\n" + df["description"]
        frames[part] = pd.DataFrame(
            {
                "doc_id": [f"agnews-{part}-{i}" for i in range(len(df))],
                "group": text.map(hashing.md5),
                "text": text,
                "label": common.map_labels(df["label_name"], AGNEWS_TOPICS, path),
                "native_label": df["label_name"],
                "title": df["title"],
            }
        )
    return {"topic": _md5_tenth_validation(frames)}


HUFFPOST_CONFIDENCE = ("high",)  # the README: "Training on the high rows only is the safe start"


def import_huffpost(root: Path, confidence: tuple[str, ...] = HUFFPOST_CONFIDENCE) -> dict[str, dict[str, Rows]]:
    """HuffPost headlines (Bao et al. 2020 subset) -> task ``topic`` through the README's IPTC mapping.

    Keeps the rows whose ``iptc_confidence`` is in `confidence` (unmapped WORLD NEWS / WORLDPOST never);
    text = the lower-cased tokenised headline; ``native_label`` = the HuffPost section; group = md5(text), so
    the 47 repeated headlines stay together; doc_id = "huffpost-<id>".

    Split rule (no official split): ``common.hash_split`` of the group (10% validation, 20% test).
    """
    path = common.require(Path(root), "huffpost_iptc.jsonl.gz", "huffpost", "topic-huffpost")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        df = pd.DataFrame.from_records([json.loads(line) for line in f.read().split("\n") if line.strip()])
    missing = [c for c in ("id", "text", "category", "iptc", "iptc_confidence") if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing field(s) {', '.join(missing)}")
    df = df[df["iptc"].notna() & df["iptc_confidence"].isin(confidence)]
    out = common.gold(pd.DataFrame({"doc_id": "huffpost-" + df["id"].astype(str), "group": df["text"].map(hashing.md5),
                              "text": df["text"].astype(str), "label": df["iptc"].astype(str),
                              "native_label": df["category"].astype(str)}))
    return {"topic": common.check_labels("topic", common.by_split(out, common.hash_split(out["group"])))}


def import_iptc(root: Path) -> dict[str, dict[str, Rows]]:
    """IPTC Media Topics -> weak ``topic`` rows: one per top level (its definitions) and per live sub-topic.

    text = "<name>. <definition>"; label = the top-level name; label_source = "iptc-definition", confidence 0.5
    (a label description, not an article). The only rows at all for conflict, disaster, labour and weather.
    Split rule: ``common.hash_split`` of the qcode with no test part (10% validation).
    """
    path = common.require(Path(root), "iptc_top_level.jsonl.gz", "iptc", "iptc-mediatopic")
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
    return {"topic": common.check_labels("topic", common.by_split(out, common.hash_split(out["group"], validation=10, test=0)))}


def import_masakhanews(root: Path) -> dict[str, dict[str, Rows]]:
    """MasakhaNEWS English validation (472 BBC articles of 2022) -> ``topic`` validation rows, nothing else.

    text = headline + "\\n" + the paragraphs, one a line (as BBC News rows); label = the README's ``iptc``;
    ``native_label`` = the MasakhaNEWS label; group and doc_id from ``id``. For choosing only: the folder
    holds the validation split alone, and no row of it is ever trained on.
    """
    path = common.require(Path(root), "validation.jsonl.gz", "masakhanews", "topic-masakhanews-eng")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        df = pd.DataFrame.from_records([json.loads(line) for line in f if line.strip()])
    missing = [c for c in ("id", "headline", "text", "label", "iptc") if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing field(s) {', '.join(missing)}")
    text = [h.strip() + "\n" + "\n".join(p.strip() for p in t.split("\n") if p.strip())
            for h, t in zip(df["headline"].astype(str), df["text"].astype(str))]
    out = common.gold(pd.DataFrame({"doc_id": "masakhanews-" + df["id"].astype(str), "group": df["id"].astype(str),
                                    "text": text, "label": df["iptc"].astype(str),
                                    "native_label": df["label"].astype(str), "title": df["headline"].astype(str)}))
    return {"topic": common.check_labels("topic", {"train": [], "validation": common.rows(out), "test": []})}


def _md5_tenth_validation(frames: dict[str, pd.DataFrame]) -> Splits:
    """The official test part as test; the train part's rows with int(md5 group, 16) % 10 == 0 as validation."""
    train = common.gold(frames["train"])
    is_val = train["group"].map(lambda h: int(h, 16) % 10 == 0).astype(bool)
    splits = {"train": common.rows(train[~is_val]), "validation": common.rows(train[is_val]),
              "test": common.rows(common.gold(frames["test"]))}
    return common.check_labels("topic", splits)
