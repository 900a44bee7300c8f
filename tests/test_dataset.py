"""Dataset building: grouped splits, gold before rules, saved DatasetDicts with card and digest."""

from __future__ import annotations

import json
import random
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from newslabel.data.build import MIN_RULE_CONFIDENCE, SPLITS, assign_splits, build_from_pages
from newslabel.data.sources import build_source
from newslabel.data.store import digest, load_task, save_task
from newslabel.ingest.corpus import read_pages
from newslabel.labels.schema import ROLE

AGG, NEWS, REC_TEXT, REC_HTML = "tiny-aggregator", "tiny-news", "rec-text", "rec-html"
# Split by page with seed 1: both annotated pages land in train, so the rule weights are fitted on their gold.
SPLIT = {"by": "page", "test": 0.25, "validation": 0.25, "seed": 1}


@pytest.fixture(scope="module")
def pages(fixtures_dir: Path):
    pages, errors = read_pages([str(fixtures_dir / "pages")])
    assert [p.doc_id for p in pages] == [REC_TEXT, REC_HTML, AGG, NEWS]
    assert len(errors) == 2  # the two bad lines of records.jsonl
    return pages


@pytest.fixture(scope="module")
def tiny_path(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "annotations" / "tiny.jsonl")


@pytest.fixture(scope="module")
def built(pages, tiny_path):
    return build_from_pages(pages, [tiny_path], SPLIT)


def _pages_of(rows: list[dict]) -> set[str]:
    return {r["doc_id"] for r in rows}


# -- splits ------------------------------------------------------------------------------------
def test_assign_splits_hand_checked():
    assert assign_splits(["a", "a", "b", "c", "d"], test=0.2, validation=0.2, seed=0) == [
        "train", "train", "train", "validation", "test"]
    assert assign_splits([REC_TEXT, REC_HTML, AGG, NEWS], 0.25, 0.25, 1) == ["validation", "test", "train", "train"]
    assert assign_splits([REC_TEXT, REC_HTML, AGG, NEWS], 0.25, 0.25, 0) == ["validation", "train", "test", "train"]
    assert assign_splits([], 0.2, 0.1, 0) == []


def test_assign_splits_deterministic_and_grouped():
    rng = random.Random(7)
    groups = [f"site-{rng.randrange(40)}" for _ in range(500)]
    first = assign_splits(groups, test=0.2, validation=0.1, seed=13)
    assert first == assign_splits(list(groups), test=0.2, validation=0.1, seed=13)
    where = defaultdict(set)
    for g, s in zip(groups, first, strict=True):
        where[g].add(s)
    assert all(len(s) == 1 for s in where.values())
    assert set(first) == set(SPLITS)
    # A split never takes a group that would push it past 1.5 times its share.
    assert first.count("test") <= 0.2 * 500 * 1.5
    assert first.count("validation") <= 0.1 * 500 * 1.5
    assert assign_splits(groups, test=0.2, validation=0.1, seed=14) != first


# -- building from pages and annotations ------------------------------------------------------
def test_every_passage_gets_a_role_row(built, pages):
    role = built.rows["role"]
    assert {s: len(role[s]) for s in SPLITS} == {"train": 26, "validation": 6, "test": 3}
    assert {s: _pages_of(role[s]) for s in SPLITS} == {"train": {AGG, NEWS}, "validation": {REC_TEXT},
                                                         "test": {REC_HTML}}
    got = sorted((r["doc_id"], r["index"]) for s in SPLITS for r in role[s])
    assert got == sorted((p.doc_id, q.index) for p in pages for q in p.passages)
    assert built.errors == []


def test_gold_rows(built):
    train = built.rows["role"]["train"]
    assert {(r["label_source"], r["confidence"]) for r in train} == {("gold", 1.0)}
    agg = [r for r in train if r["doc_id"] == AGG]
    assert [r["label"] for r in agg] == [
        "chrome", "title", "title", "byline", "body", "body", "body", "body", "promo", "related", "related", "related"]
    assert [r["line"] for r in agg] == [1, 3, 5, 7, 9, 10, 11, 12, 14, 16, 18, 20]
    first = agg[0]
    assert first == {
        "doc_id": AGG, "group": AGG, "text": "logo", "index": 0, "line": 1,
        "title": "Marrowby tidal barrier delayed again after council splits over costs", "site": "pages",
        "source_path": first["source_path"], "tag": "", "tag_path": "", "class_tokens": "", "link_density": 0.0,
        "depth": 0, "blocks": "", "label": "chrome", "label_source": "gold", "confidence": 1.0}
    assert first["source_path"].endswith("tests/fixtures/pages/tiny-aggregator.txt")
    news = [r for r in train if r["doc_id"] == NEWS]
    assert [(r["index"], r["tag"], r["label"]) for r in news][6] == (6, "p", "body")
    assert news[6]["link_density"] == 0.2371
    # the walk numbers elements in document order: body 1, header 2 ... main 9, article 10, the fourth <p> 15
    assert (news[6]["depth"], news[6]["blocks"]) == (4, "1 9 10 15")


def test_unannotated_passages_get_rule_labels(built):
    val, test = built.rows["role"]["validation"], built.rows["role"]["test"]
    assert [(r["index"], r["label"], r["label_source"]) for r in val] == [
        (0, "chrome", "rule:short_line_before_article"),
        (1, "title", "rule:repeated_title"),
        (2, "title", "rule:repeated_title"),
        (3, "byline", "rule:byline_pattern"),
        (4, "body", "rule:prose_paragraph"),
        (5, "body", "rule:prose_paragraph"),
    ]
    assert [(r["index"], r["label"], r["label_source"]) for r in test] == [
        (0, "title", "rule:repeated_title"), (1, "body", "rule:prose_paragraph"), (2, "body", "rule:prose_paragraph")]
    # Fitted on the training gold: repeated_title fired 3 times, right 3 times -> (3 + 1.6) / 5 = 0.92, ratio
    # 0.92 * 5 / 0.08 = 57.5; alone, its posterior is 57.5 / (57.5 + 5 silent roles) = 0.92, its accuracy.
    assert val[1]["confidence"] == round(57.5 / (57.5 + 5), 4) == 0.92
    # byline_pattern: 2 of 2 -> 3.6 / 4 = 0.9, ratio 45: 45 / 50.
    assert val[3]["confidence"] == round(45 / 50, 4) == 0.9
    assert all(r["confidence"] >= MIN_RULE_CONFIDENCE for r in val + test)


def test_topic_stance_bias_rows_only_for_gold(built):
    topic, stance, bias = (built.rows[t] for t in ("topic", "stance", "bias"))
    for rows in (topic, stance, bias):
        assert rows["validation"] == [] and rows["test"] == []
        assert {(r["label_source"], r["confidence"]) for r in rows["train"]} == {("gold", 1.0)}
    assert [(r["doc_id"], r["label"]) for r in topic["train"]] == [
        (AGG, "environment"), (AGG, "environment"), (AGG, "environment"), (AGG, "environment"),
        (AGG, "lifestyle and leisure"),
        (NEWS, "arts, culture, entertainment and media"), (NEWS, "arts, culture, entertainment and media"),
        (NEWS, "arts, culture, entertainment and media"), (NEWS, "sport"), (NEWS, "economy, business and finance"),
    ]
    assert [r["label"] for r in stance["train"]] == [
        "agree", "discuss", "discuss", "discuss", "unrelated", "agree", "discuss", "discuss", "unrelated", "unrelated"]
    assert stance["train"][0]["headline"] == "Marrowby tidal barrier delayed again after council splits over costs"
    assert [r["label"] for r in bias["train"]] == ["neutral", "neutral", "biased", "neutral", "neutral", "neutral",
                                                   "neutral"]
    assert "headline" not in topic["train"][0]
    assert set(topic["train"][0]) == {"doc_id", "group", "text", "label", "label_source", "confidence"}


def test_without_gold_only_confident_votes_are_labelled(pages):
    result = build_from_pages(pages, [], SPLIT)
    # With no gold every rule has the prior accuracy 0.8 (ratio 0.8 * 5 / 0.2 = 20): one rule gives 20 / 25 = 0.8,
    # two agreeing rules 400 / 405 = 0.9877, both above 0.6; only tiny-news's two table cells (no rule) stay out.
    labelled = {(r["doc_id"], r["index"]): (r["label"], r["confidence"])
                for s in SPLITS for r in result.rows["role"][s]}
    two = {(REC_TEXT, 0), (AGG, 0), (AGG, 5), (AGG, 6), (AGG, 11), (NEWS, 0), (NEWS, 5)}
    every = {(p.doc_id, i) for p in pages for i in range(len(p.passages))}
    assert {k: c for k, (_, c) in labelled.items()} == {k: 0.9877 if k in two else 0.8
                                                         for k in every - {(NEWS, 8), (NEWS, 9)}}
    assert [labelled[(AGG, i)][0] for i in range(12)] == [
        "chrome", "title", "title", "byline", "body", "body", "body", "body", "promo", "related", "related", "related"]
    assert all(result.rows[t][s] == [] for t in ("topic", "stance", "bias") for s in SPLITS)
    assert build_from_pages(pages, [], SPLIT, use_rules=False).rows["role"] == {s: [] for s in SPLITS}


def test_rule_report_in_build(built):
    report = {r["rule"]: r for r in built.rule_report}
    # Both annotated pages are in train: the weights' own gold, reported as in-sample train accuracy; the
    # validation split (where accuracy is measured) has no gold, so no held-out accuracy.
    combined = report["COMBINED"]
    assert combined["n_train_gold"] == 24  # 26 gold passages, two table cells that no rule covers
    assert (combined["train_accuracy"], combined["accuracy"], combined["n_gold"]) == (1.0, None, 0)
    assert (combined["accuracy_on"], combined["in_sample"]) == ("validation", False)
    assert report["prose_paragraph"]["n_train_gold"] == 7
    assert report["prose_paragraph"]["coverage"] == 11 / 35


# -- saving --------------------------------------------------------------------------------------
def test_save_task_writes_dataset_card_and_digest(built, tmp_path: Path):
    from datasets import ClassLabel

    summary = save_task("role", "fixtures", built.rows["role"], tmp_path)
    path = tmp_path / "role" / "fixtures"
    assert summary["labels"] == list(ROLE.names)
    assert summary["counts"] == {
        "train": {"body": 9, "byline": 2, "chrome": 5, "promo": 1, "related": 6, "title": 3},
        "validation": {"body": 2, "byline": 1, "chrome": 1, "title": 2},
        "test": {"body": 2, "title": 1},
    }
    assert summary["pages"] == {"train": 2, "validation": 1, "test": 1}
    assert summary["digest"] == digest(built.rows["role"])
    assert json.loads((path / "digest.json").read_text()) == summary
    assert (path / "README.md").read_text() == (
        "# newslabel dataset: role from fixtures\n\n"
        f"Content digest: `{summary['digest']}`. Splits are grouped by site or page (no page in two splits).\n\n"
        "| label | train | validation | test |\n"
        "|---|---:|---:|---:|\n"
        "| title | 3 | 2 | 1 |\n"
        "| byline | 2 | 1 | 0 |\n"
        "| body | 9 | 2 | 2 |\n"
        "| related | 6 | 0 | 0 |\n"
        "| promo | 1 | 0 | 0 |\n"
        "| chrome | 5 | 1 | 0 |\n"
        "| **total rows** | 26 | 6 | 3 |\n"
        "| pages / groups | 2 | 1 | 1 |\n"
    )
    dsd, loaded = load_task("role", "fixtures", tmp_path)
    assert loaded == summary
    assert {s: dsd[s].num_rows for s in SPLITS} == {"train": 26, "validation": 6, "test": 3}
    for split in SPLITS:
        feature = dsd[split].features["label"]
        assert isinstance(feature, ClassLabel)
        assert feature.names == list(ROLE.names)
    assert dsd["train"][0]["label"] == ROLE.index("chrome")
    assert dsd["train"][0]["text"] == "logo"


def test_save_task_label_names_are_the_labels_present(built, tmp_path: Path):
    from datasets import ClassLabel

    summary = save_task("topic", "fixtures", built.rows["topic"], tmp_path)
    assert summary["labels"] == ["arts, culture, entertainment and media", "economy, business and finance",
                                 "environment", "lifestyle and leisure", "sport"]
    from datasets import load_from_disk

    train = load_from_disk(str(tmp_path / "topic" / "fixtures" / "train"))
    assert isinstance(train.features["label"], ClassLabel)
    assert train.features["label"].names == summary["labels"]
    assert train.num_rows == 10


def test_load_task_with_empty_splits(built, tmp_path: Path):
    save_task("topic", "fixtures", built.rows["topic"], tmp_path)
    dsd, _ = load_task("topic", "fixtures", tmp_path)
    assert {s: dsd[s].num_rows for s in SPLITS} == {"train": 10, "validation": 0, "test": 0}


def test_load_task_missing(tmp_path: Path):
    with pytest.raises(FileNotFoundError) as exc:
        load_task("role", "nothing", tmp_path)
    assert str(exc.value) == (
        f"{tmp_path / 'role' / 'nothing'}: no dataset; build it with `python -m src.dataset data=nothing`")


def test_digest_stable_and_sensitive_to_labels(pages, built, tiny_path, tmp_path: Path):
    again = build_from_pages(pages, [tiny_path], SPLIT)
    for task in ("role", "topic", "stance", "bias"):
        assert digest(again.rows[task]) == digest(built.rows[task])
    changed = tmp_path / "tiny.jsonl"
    shutil.copy(tiny_path, changed)
    text = changed.read_text(encoding="utf-8")
    old = '{"doc_id": "tiny-news", "index": 8, "role": "body", "topic": null}'
    assert old in text
    changed.write_text(text.replace(old, old.replace('"body"', '"chrome"')), encoding="utf-8")
    other = build_from_pages(pages, [str(changed)], SPLIT)
    assert digest(other.rows["role"]) != digest(built.rows["role"])
    assert digest(other.rows["topic"]) == digest(built.rows["topic"])  # passage 8 has no topic
    assert len(digest(built.rows["role"])) == 16


def test_digest_depends_on_split_membership():
    row = {"doc_id": "d", "text": "t", "label": "body"}
    assert digest({"train": [row], "test": []}) != digest({"train": [], "test": [row]})
    assert digest({"train": [row]}) == digest({"train": [dict(reversed(list(row.items())))]})


# -- the shipped sample corpus ----------------------------------------------------------------------
def test_sample_corpus_build(repo_root: Path):
    if not (repo_root / "data" / "sample" / "pages").is_dir():
        pytest.skip("data/sample is not present")
    from newslabel.config import compose

    cfg = compose("dataset")
    assert cfg.data.name == "sample"
    result = build_source(cfg.data, int(cfg.ingest.max_bytes))
    assert [str(e) for e in result.errors] == []
    role = result.rows["role"]
    pages = set().union(*(_pages_of(role[s]) for s in SPLITS))
    assert len(pages) >= 40
    assert sum(len(role[s]) for s in SPLITS) >= 1200
    for task, rows in result.rows.items():
        seen: dict[str, str] = {}
        for split in SPLITS:
            for doc in _pages_of(rows[split]):
                assert seen.setdefault(doc, split) == split, f"{task}: page {doc} in {seen[doc]} and {split}"
        groups = [{r["group"] for r in rows[s]} for s in SPLITS]
        assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2]), task


def test_stance_headline_is_the_annotated_title_not_the_heuristic_guess(tmp_path: Path):
    page = tmp_path / "promo-first.txt"
    page.write_text("Get the Gazette app for breaking alerts\nGet the Gazette app for breaking alerts\n"
                    "Harbour ferry fares to rise by a fifth from June\nBy Ada Quill\n"
                    "Ferry fares across the harbour will rise by 20% in June, the operator said on Monday.\n",
                    encoding="utf-8")
    notes = tmp_path / "notes.jsonl"
    notes.write_text("\n".join(json.dumps(r) for r in [
        {"doc_id": "promo-first", "line": 3, "role": "title"},
        {"doc_id": "promo-first", "line": 5, "role": "body", "stance": "agree"}]) + "\n", encoding="utf-8")
    (built_page,), _ = read_pages([str(page)])
    assert built_page.title == "Get the Gazette app for breaking alerts"  # the heuristic's guess: a repeated promo
    rows = build_from_pages([built_page], [str(notes)], {"by": "page", "test": 0.0, "validation": 0.0, "seed": 1}).rows
    (stance,) = rows["stance"]["train"]
    assert stance["headline"] == "Harbour ferry fares to rise by a fifth from June"
    # The role rows keep the page's own title: the role model sees at training what it sees when labelling.
    assert {r["title"] for r in rows["role"]["train"]} == {"Get the Gazette app for breaking alerts"}
