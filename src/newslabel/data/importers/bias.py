"""Bias importers: BABE (official splits), BASIL (lexical-bias spans) and MBIC (crowd labels in babe/)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd

from newslabel.data.importers import common
from newslabel.data.importers.common import Rows

BABE_LABELS: dict[str, str] = {"1": "biased", "0": "neutral"}


# -- bias ------------------------------------------------------------------------------------
def import_babe(root: Path) -> dict[str, dict[str, Rows]]:
    """BABE SG2 (Spinde et al. 2021) sentences -> task ``bias``: 1 -> biased, 0 -> neutral.

    Reads ``babe_sg2.csv``; rows with an empty ``label`` ("No agreement") are dropped.
    group = ``news_link`` (or "row-<sentence_id>" when it is missing), the README's split key;
    doc_id = "babe-<sentence_id>"; ``native_label`` keeps ``label_bias``; ``outlet`` and ``cv_fold`` kept.

    Split rule (by source article): ``split == "test"`` is ``test``; of the ``train`` rows,
    ``cv_fold == 0`` is ``validation`` and folds 1-4 are ``train``.
    """
    path = common.require(Path(root), "babe_sg2.csv", "babe", "babe")
    df = common.read_csv(path, ("sentence_id", "text", "news_link", "outlet", "label_bias", "label", "split", "cv_fold"))
    df = df[df["label"].str.strip() != ""]
    bad_splits = sorted(set(df["split"]) - {"train", "test"})
    if bad_splits:
        raise ValueError(f"{path}: unexpected split(s) {', '.join(map(repr, bad_splits))}")
    link = df["news_link"].str.strip()
    out = common.gold(
        pd.DataFrame(
            {
                "doc_id": "babe-" + df["sentence_id"],
                "group": link.where(link != "", "row-" + df["sentence_id"]),
                "text": df["text"],
                "label": common.map_labels(df["label"].str.strip(), BABE_LABELS, path),
                "native_label": df["label_bias"],
                "outlet": df["outlet"],
                "cv_fold": df["cv_fold"].astype(int),
                "sentence_id": df["sentence_id"].astype(int),
            }
        )
    )
    is_test = df["split"] == "test"
    is_val = ~is_test & (out["cv_fold"] == 0)
    splits = {"train": common.rows(out[~is_test & ~is_val]), "validation": common.rows(out[is_val]), "test": common.rows(out[is_test])}
    return {"bias": common.check_labels("bias", splits)}


def import_basil(root: Path, drop_informational: bool = True) -> dict[str, dict[str, Rows]]:
    """BASIL (Fan et al. 2019) sentences -> task ``bias`` with the README's BABE mapping (lexical span -> biased).

    Sentences with only informational spans are dropped by default (biased content in neutral words: the
    README warns BABE annotators might call some of them biased). group = ``triplet_uuid`` (the three
    outlets' versions of one event stay together); doc_id = "basil-<article_id>-<sentence_id>"; ``outlet``
    = fox / nyt / hpo. Split rule: ``common.hash_split`` of the group (10% validation, 20% test).
    """
    path = common.require(Path(root), "basil_sentences.jsonl.gz", "basil", "bias-basil")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        df = pd.DataFrame.from_records([json.loads(line) for line in f if line.strip()])
    if drop_informational:
        df = df[df["lexical_bias"] | ~df["informational_bias"]]
    out = common.gold(pd.DataFrame({
        "doc_id": "basil-" + df["article_id"] + "-" + df["sentence_id"], "group": df["triplet_uuid"],
        "text": df["text"].astype(str), "label": df["label_babe_proposal"], "outlet": df["source"]}))
    return {"bias": common.check_labels("bias", common.by_split(out, common.hash_split(out["group"])))}


def import_mbic(root: Path) -> dict[str, dict[str, Rows]]:
    """MBIC (crowd labels, ``babe/mbic_final_labels.csv.gz``) -> task ``bias``; "No agreement" dropped.

    group = ``news_link`` (or the row); doc_id = "mbic-<sentence_id>". Split rule: ``common.hash_split`` of the
    group. MBIC's sentences are the ones BABE's experts re-annotated (SG1): a mix drops any of its rows whose
    text is in another source's test split (``mix.drop_test_texts``).
    """
    path = common.require(Path(root), "mbic_final_labels.csv.gz", "mbic", "babe")
    df = common.read_csv(path, ("sentence_id", "text", "news_link", "outlet", "label_bias"))
    df = df[df["label_bias"].isin(["Biased", "Non-biased"])]
    link = df["news_link"].str.strip()
    out = common.gold(pd.DataFrame({
        "doc_id": "mbic-" + df["sentence_id"], "group": link.where(link != "", "row-" + df["sentence_id"]),
        "text": df["text"], "label": df["label_bias"].map({"Biased": "biased", "Non-biased": "neutral"}),
        "outlet": df["outlet"]}))
    return {"bias": common.check_labels("bias", common.by_split(out, common.hash_split(out["group"])))}
