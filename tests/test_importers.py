"""Importers against the shared evaluation data (read in place; none of its text is copied here).

Each test skips when its folder under ../shared/data is missing. Expected counts come from the
folders' READMEs; the validation splits are ours, so their counts are pinned from the split rules.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from pathlib import Path

import pytest

from newslabel.data.importers.bias import import_babe
from newslabel.data.importers.extraction import import_webextract
from newslabel.data.importers.registry import IMPORTERS
from newslabel.data.importers.topic import (
    AGNEWS_TOPICS,
    BBC_TOPICS,
)
from newslabel.errors import MissingDataError
from newslabel.labels.schema import BIAS, STANCE, TOPIC

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SPLITS = ("train", "validation", "test")
FOLDERS = {
    "webextract": "webextract",
    "bbc": "topic-bbc-news",
    "agnews": "topic-ag-news",
    "fnc1": "fnc1",
    "babe": "babe",
}
ECON, ARTS, SCI = "economy, business and finance", "arts, culture, entertainment and media", "science and technology"


def _load(name: str, task: str) -> dict[str, list[dict]]:
    folder = FOLDERS[name]
    if not (DATA / folder).is_dir():
        pytest.skip(f"{folder} not found")
    result = IMPORTERS[name](DATA / folder)
    assert list(result) == [task]
    assert tuple(result[task]) == SPLITS
    return result[task]


@pytest.fixture(scope="module")
def webextract():
    return _load("webextract", "role")


@pytest.fixture(scope="module")
def bbc():
    return _load("bbc", "topic")


@pytest.fixture(scope="module")
def agnews():
    return _load("agnews", "topic")


@pytest.fixture(scope="module")
def fnc1():
    return _load("fnc1", "stance")


@pytest.fixture(scope="module")
def babe():
    return _load("babe", "bias")


ALL = ("webextract", "bbc", "agnews", "fnc1", "babe")


def _counts(rows: list[dict]) -> dict[str, int]:
    return dict(Counter(r["label"] for r in rows))


def _sum(*counts: dict[str, int]) -> dict[str, int]:
    total: Counter = Counter()
    for c in counts:
        total.update(c)
    return dict(total)


# -- common contract -------------------------------------------------------------------------
def test_registry():
    """Every importer the data configs name is registered, and every registered one is named by a config."""
    from omegaconf import OmegaConf

    named = set()
    for path in (Path(__file__).resolve().parents[1] / "configs" / "data").glob("*.yaml"):
        cfg = OmegaConf.to_container(OmegaConf.load(path))
        named |= {cfg["importer"]} if cfg.get("importer") else set()
        named |= {spec["importer"] for specs in (cfg.get("mix") or {}).values() for spec in specs if "importer" in spec}
    assert named == set(IMPORTERS)
    assert IMPORTERS["webextract"] is import_webextract and IMPORTERS["babe"] is import_babe


@pytest.mark.parametrize("name", ALL)
def test_rows_are_flat_gold_dicts(name, request):
    splits = request.getfixturevalue(name)
    for split, rows in splits.items():
        assert rows, f"{name} {split} is empty"
        for row in rows:
            assert isinstance(row["doc_id"], str) and row["doc_id"]
            assert isinstance(row["group"], str) and row["group"]
            assert isinstance(row["text"], str) and row["text"].strip()
            assert isinstance(row["label"], str)
            assert row["label_source"] == "gold"
            assert row["confidence"] == 1.0
            assert not any(isinstance(v, dict | list) for v in row.values())


@pytest.mark.parametrize("name", ALL)
def test_no_group_in_two_splits(name, request):
    splits = request.getfixturevalue(name)
    groups = {s: {r["group"] for r in rows} for s, rows in splits.items()}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            shared = groups[a] & groups[b]
            assert not shared, f"{name}: {len(shared)} group(s) in both {a} and {b}"


# -- webextract ------------------------------------------------------------------------------
def test_webextract_counts(webextract):
    train, val, test = (_counts(webextract[s]) for s in SPLITS)
    # README: dev 17,561 passages (3,190 body); test 12,247 (1,484 body).
    assert _sum(train, val) == {"body": 3190, "boilerplate": 17561 - 3190}
    assert test == {"body": 1484, "boilerplate": 12247 - 1484}
    assert train == {"body": 2731, "boilerplate": 12077}
    assert val == {"body": 459, "boilerplate": 2294}
    pages = {s: {r["doc_id"] for r in webextract[s]} for s in SPLITS}
    assert len(pages["train"]) + len(pages["validation"]) == 109
    assert len(pages["test"]) == 72


def test_webextract_validation_is_lowest_sha256_dev_domains(webextract):
    dev = {r["group"] for s in ("train", "validation") for r in webextract[s]}
    assert len(dev) == 79
    ranked = sorted(dev, key=lambda d: hashlib.sha256(d.encode()).hexdigest())
    expected = set(ranked[: math.ceil(0.2 * len(ranked))])
    assert {r["group"] for r in webextract["validation"]} == expected
    assert len(expected) == 16
    assert len({r["group"] for r in webextract["test"]}) == 47


def test_webextract_row_fields_and_page_order(webextract):
    for rows in webextract.values():
        index_by_page: dict[str, list[int]] = {}
        for r in rows:
            index_by_page.setdefault(r["doc_id"], []).append(r["index"])
            assert r["group"] == r["site"]
            assert r["line"] is None
            assert r["title"] is None or isinstance(r["title"], str)
            assert r["source_path"].endswith(f"{r['doc_id']}.html.gz")
            assert isinstance(r["tag"], str) and r["tag"]
            assert (r["tag_path"], r["class_tokens"], r["link_density"]) == ("", "", 0.0)
        # Each page's passages are contiguous and in page order.
        assert all(v == list(range(len(v))) for v in index_by_page.values())
        assert [r["doc_id"] for r in rows] == sorted(
            (r["doc_id"] for r in rows), key=list(dict.fromkeys(r["doc_id"] for r in rows)).index
        )


# -- bbc -------------------------------------------------------------------------------------
def test_bbc_counts(bbc):
    train, val, test = (_counts(bbc[s]) for s in SPLITS)
    # README table (train / test by BBC label), mapped to IPTC names.
    assert _sum(train, val) == {ECON: 406, ARTS: 306, "politics": 335, "sport": 411, SCI: 319}
    assert test == {ECON: 104, ARTS: 80, "politics": 82, "sport": 100, SCI: 82}
    assert sum(train.values()) + sum(val.values()) == 1777
    assert sum(val.values()) == 204


def test_bbc_mapping_and_rule(bbc):
    for split, rows in bbc.items():
        for r in rows:
            assert r["label"] == BBC_TOPICS[r["native_label"]]
            TOPIC.check(r["label"])
            assert r["text"].startswith(r["title"] + "\n")
            if split != "test":
                assert (int(r["group"], 16) % 10 == 0) == (split == "validation")


# -- agnews ----------------------------------------------------------------------------------
def test_agnews_counts(agnews):
    train, val, test = (_counts(agnews[s]) for s in SPLITS)
    # README: train_sample World 1,204 / Sports 1,240 / Business 1,291 / Sci/Tech 1,265; test 1,900 each.
    assert _sum(train, val) == {"politics": 1204, "sport": 1240, ECON: 1291, SCI: 1265}
    assert test == {"politics": 1900, "sport": 1900, ECON: 1900, SCI: 1900}
    assert train == {"politics": 1062, "sport": 1119, ECON: 1155, SCI: 1153}
    assert val == {"politics": 142, "sport": 121, ECON: 136, SCI: 112}


def test_agnews_label_set_mapping_and_rule(agnews):
    labels = {r["label"] for rows in agnews.values() for r in rows}
    assert labels == {"politics", "sport", ECON, SCI} == set(AGNEWS_TOPICS.values())
    assert {r["native_label"] for rows in agnews.values() for r in rows} == {"World", "Sports", "Business", "Sci/Tech"}
    for split, rows in agnews.items():
        for r in rows:
            assert r["label"] == AGNEWS_TOPICS[r["native_label"]]
            assert r["group"] == hashlib.md5(r["text"].encode("utf-8")).hexdigest()
            assert r["text"].startswith(r["title"] + "\n")
            if split != "test":
                assert (int(r["group"], 16) % 10 == 0) == (split == "validation")


# -- fnc1 ------------------------------------------------------------------------------------
def test_fnc1_counts(fnc1):
    # README "Splits (official)" table.
    assert _counts(fnc1["train"]) == {"agree": 2916, "disagree": 678, "discuss": 7109, "unrelated": 29647}
    assert _counts(fnc1["validation"]) == {"agree": 762, "disagree": 162, "discuss": 1800, "unrelated": 6898}
    assert _counts(fnc1["test"]) == {"agree": 1903, "disagree": 697, "discuss": 4464, "unrelated": 18349}
    assert [len(fnc1[s]) for s in SPLITS] == [40350, 9622, 25413]
    assert len({r["body_id"] for r in fnc1["validation"]}) == 337
    assert len({r["body_id"] for r in fnc1["test"]}) == 904


def test_fnc1_row_fields(fnc1):
    doc_ids = set()
    for split, rows in fnc1.items():
        for r in rows:
            STANCE.check(r["label"])
            assert isinstance(r["body_id"], int)
            assert r["group"] == f"body-{r['body_id']}"
            assert isinstance(r["headline"], str) and r["headline"]
            assert r["doc_id"].startswith(f"fnc1-{split}-")
            doc_ids.add(r["doc_id"])
    assert len(doc_ids) == sum(len(rows) for rows in fnc1.values())


# -- babe ------------------------------------------------------------------------------------
def test_babe_counts(babe):
    train, val, test = (_counts(babe[s]) for s in SPLITS)
    # README: train Biased 1,454 / Non-biased 1,471; test 356 / 392 (+1 "No agreement", dropped).
    assert _sum(train, val) == {"biased": 1454, "neutral": 1471}
    assert test == {"biased": 356, "neutral": 392}
    assert val == {"biased": 289, "neutral": 285}
    assert train == {"biased": 1165, "neutral": 1186}


def test_babe_row_fields_and_folds(babe):
    for split, rows in babe.items():
        for r in rows:
            BIAS.check(r["label"])
            assert r["label"] == {"Biased": "biased", "Non-biased": "neutral"}[r["native_label"]]
            assert isinstance(r["cv_fold"], int) and isinstance(r["outlet"], str)
            if split == "validation":
                assert r["cv_fold"] == 0
            elif split == "train":
                assert r["cv_fold"] in (1, 2, 3, 4)
    groups = [r["group"] for rows in babe.values() for r in rows]
    assert sum(g.startswith("row-") for g in groups) == 32


# -- missing data ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_missing_folder_and_file(name, tmp_path):
    folder = FOLDERS[name]
    absent = tmp_path / "absent"
    with pytest.raises(MissingDataError) as err:
        IMPORTERS[name](absent)
    assert str(err.value) == f"{absent}: not found; the {name} data lives in ../shared/data/{folder}"
    assert isinstance(err.value, FileNotFoundError)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MissingDataError) as err:
        IMPORTERS[name](empty)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{empty}/") and message.endswith(
        f": not found; the {name} data lives in ../shared/data/{folder}"
    )
