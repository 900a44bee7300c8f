"""Stance importers: FNC-1 (official competition split) and ARC (regrouped by body: its official split leaks)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from newslabel.data.importers import common
from newslabel.data.importers.common import SPLITS, Rows
from newslabel.labels.schema import STANCE

FNC1_LABELS = STANCE.names  # FNC-1 and ARC use the schema's names


# -- stance ----------------------------------------------------------------------------------
def _fnc1_pairs(root: Path, stances_file: str, bodies_file: str) -> pd.DataFrame:
    """Stance rows joined to their bodies on Body ID, in the stances file's order."""
    name, folder = "fnc1", "fnc1"
    stances_path = common.require(root, stances_file, name, folder)
    bodies_path = common.require(root, bodies_file, name, folder)
    stances = common.read_csv(stances_path, ("Headline", "Body ID", "Stance"))
    bodies = common.read_csv(bodies_path, ("Body ID", "articleBody"))
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
    split_path = common.require(root, "train_holdout_split.csv", name, folder)
    holdout = common.read_csv(split_path, ("Body ID", "split"))
    part_of = {"train": "train", "holdout": "validation"}
    holdout = holdout.assign(_split=common.map_labels(holdout["split"], part_of, split_path))[["Body ID", "_split"]]

    train = _fnc1_pairs(root, "train_stances.csv", "train_bodies.csv").drop(columns="_merge")
    train = train.merge(holdout, on="Body ID", how="left", validate="many_to_one")
    if train["_split"].isna().any():
        missing = train.loc[train["_split"].isna(), "Body ID"].unique()
        raise ValueError(f"{split_path}: Body ID(s) without a split: {', '.join(missing[:5])}")
    test = _fnc1_pairs(root, "competition_test_stances.csv", "competition_test_bodies.csv")
    test = test.drop(columns="_merge").assign(_split="test")

    out = {}
    for df in (train, test):
        frame = common.gold(
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
            out[s] = common.rows(part.drop(columns="_split"))
    return {"stance": {s: out.get(s, []) for s in SPLITS}}


def import_arc(root: Path) -> dict[str, dict[str, Rows]]:
    """ARC (Hanselowski et al. 2018, FNC-1 format) -> task ``stance``, regrouped by body.

    The official split is by pair, so 2,397 bodies sit on both sides: train and test are pooled, exact
    repeats of a (Headline, Body ID) pair dropped, and a pair with two different labels dropped (one).
    Columns as ``fnc1``; group = "arc-body-<Body ID>"; doc_id = "arc-<Body ID>-<0-based pair in the body>".
    Split rule: ``common.hash_split`` of the group (10% validation, 20% test). Claims repeat across splits (as
    FNC-1's headlines do): the held-out bodies are new, the claims are not.
    """
    name, folder = "arc", "stance-arc"
    root = Path(root)
    bodies = common.read_csv(common.require(root, "arc_bodies.csv.gz", name, folder), ("Body ID", "articleBody"))
    parts = [common.read_csv(common.require(root, f"arc_stances_{p}.csv.gz", name, folder), ("Headline", "Body ID", "Stance"))
             for p in ("train", "test")]
    stances = pd.concat(parts, ignore_index=True).drop_duplicates()
    stances = stances[~stances.duplicated(["Headline", "Body ID"], keep=False)]
    bad = sorted(set(stances["Stance"]) - set(FNC1_LABELS))
    if bad:
        raise ValueError(f"{root}/arc_stances_*.csv.gz: unexpected stance(s) {', '.join(map(repr, bad))}")
    df = stances.merge(bodies, on="Body ID", how="inner", validate="many_to_one")
    df = df.sort_values(["Body ID", "Headline"], kind="stable")
    out = common.gold(pd.DataFrame({
        "doc_id": "arc-" + df["Body ID"] + "-" + df.groupby("Body ID").cumcount().astype(str),
        "group": "arc-body-" + df["Body ID"], "headline": df["Headline"], "text": df["articleBody"],
        "label": df["Stance"], "body_id": df["Body ID"].astype(int)}))
    return {"stance": common.by_split(out, common.hash_split(out["group"]))}
