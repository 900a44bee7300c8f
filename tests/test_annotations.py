"""Gold annotations: the JSONL format, matching to passages, and the Label Studio round trip."""

from __future__ import annotations

import copy
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from newslabel.errors import InputError
from newslabel.ingest.corpus import read_pages
from newslabel.labels.annotations import (
    Annotation,
    apply_annotations,
    from_label_studio,
    load_annotations,
    parse_annotation_lines,
    to_label_studio,
)
from newslabel.labels.schema import TASKS

AGG, NEWS = "tiny-aggregator", "tiny-news"
AGG_TITLE = "Marrowby tidal barrier delayed again after council splits over costs"
NEWS_TITLE = "Fenwick library to stay open until nine on Fridays"
ARTS = "arts, culture, entertainment and media"
ROLE_NAMES = "title, byline, body, related, promo, chrome"


@pytest.fixture(scope="module")
def pages(fixtures_dir: Path):
    pages, _ = read_pages([str(fixtures_dir / "pages" / "tiny-aggregator.txt"),
                           str(fixtures_dir / "pages" / "tiny-news.html")])
    assert [p.doc_id for p in pages] == [AGG, NEWS]
    return pages


@pytest.fixture(scope="module")
def tiny_path(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "annotations" / "tiny.jsonl")


@pytest.fixture(scope="module")
def export_path(fixtures_dir: Path) -> str:
    return str(fixtures_dir / "label_studio_export.json")


def _raises(fn, *args) -> str:
    with pytest.raises(InputError) as exc:
        fn(*args)
    return str(exc.value)


# -- the JSONL format ----------------------------------------------------------------------------
def test_parse_index_and_line_keys():
    lines = [
        '{"doc_id": "d", "index": 0, "role": "title"}',
        "",
        '{"doc_id": "d", "line": 12, "text": "It rained.", "role": "body", "topic": "medtop:17000000", '
        '"stance": null, "bias": "neutral"}',
        '{"doc_id": 42, "index": null, "line": 3, "topic": "weather"}',
        '{"doc_id": "d", "index": 2, "line": 9}',
    ]
    recs = parse_annotation_lines("a.jsonl", lines)
    assert recs == [
        Annotation(("d", "index", 0), {"role": "title"}, None, "a.jsonl:1"),
        Annotation(("d", "line", 12), {"role": "body", "topic": "weather", "bias": "neutral"}, "It rained.",
                   "a.jsonl:3"),
        Annotation(("42", "line", 3), {"topic": "weather"}, None, "a.jsonl:4"),
        # With both keys, index wins; a record with no labels is kept (it still checks the passage exists).
        Annotation(("d", "index", 2), {}, None, "a.jsonl:5"),
    ]


@pytest.mark.parametrize(("line", "message"), [
    ('{"index": 0, "role": "body"}', "a.jsonl:2: annotation has no 'doc_id'"),
    ('["d", 0, "body"]', "a.jsonl:2: annotation has no 'doc_id'"),
    ('{"doc_id": "d", "role": "body"}', "a.jsonl:2: annotation has neither 'index' nor 'line'"),
    ('{"doc_id": "d", "index": null, "line": null}', "a.jsonl:2: annotation has neither 'index' nor 'line'"),
    ("{'doc_id': 'd'}", "a.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
    ('{"doc_id": "d", "index": 1, "role": "headline"}',
     f"a.jsonl:2: unknown role label 'headline'; expected one of {ROLE_NAMES}"),
    ('{"doc_id": "d", "index": 1, "bias": "left"}',
     "a.jsonl:2: unknown bias label 'left'; expected one of biased, neutral"),
    ('{"doc_id": "d", "index": 1, "stance": "Agree"}',
     "a.jsonl:2: unknown stance label 'Agree'; expected one of agree, disagree, discuss, unrelated"),
])
def test_parse_errors_are_pinned(line, message):
    ok = '{"doc_id": "d", "index": 0, "role": "title"}'
    assert _raises(parse_annotation_lines, "a.jsonl", [ok, line]) == message


def test_load_fixture_annotations(tiny_path):
    anns = load_annotations([tiny_path])
    assert len(anns) == 26
    assert anns[0] == Annotation((AGG, "line", 1), {"role": "chrome"}, "logo", f"{tiny_path}:1")
    assert anns[16] == Annotation((NEWS, "index", 4), {"role": "body", "topic": ARTS, "stance": "agree",
                                                       "bias": "neutral"}, None, f"{tiny_path}:17")
    assert sum(a.key[1] == "line" for a in anns) == 12
    assert sum(a.key[1] == "index" for a in anns) == 14


def test_apply_fixture_annotations(pages, tiny_path):
    gold = apply_annotations(pages, load_annotations([tiny_path]))
    assert sorted(gold) == [(AGG, i) for i in range(12)] + [(NEWS, i) for i in range(14)]
    assert gold[(AGG, 0)] == {"role": "chrome"}
    assert gold[(AGG, 3)] == {"role": "byline"}  # line 7
    assert gold[(AGG, 6)] == {"role": "body", "topic": "environment", "stance": "discuss", "bias": "biased"}
    assert gold[(AGG, 10)] == {"role": "related", "topic": "lifestyle and leisure", "stance": "unrelated"}
    assert gold[(NEWS, 4)] == {"role": "body", "topic": ARTS, "stance": "agree", "bias": "neutral"}
    assert gold[(NEWS, 8)] == {"role": "body"}
    assert [gold[(AGG, i)]["role"] for i in range(12)] == [
        "chrome", "title", "title", "byline", "body", "body", "body", "body", "promo", "related", "related", "related"]
    assert [gold[(NEWS, i)]["role"] for i in range(14)] == [
        "chrome", "chrome", "title", "byline", "body", "body", "body", "chrome", "body", "body", "related", "related",
        "related", "chrome"]


def test_apply_merges_line_and_index_records_and_ignores_other_pages(pages):
    anns = parse_annotation_lines("m.jsonl", [
        '{"doc_id": "tiny-aggregator", "line": 9, "role": "body"}',
        '{"doc_id": "tiny-aggregator", "index": 4, "topic": "environment", "text": "  Work on the tidal barrier at '
        'Marrowby harbour has been postponed for a third time after councillors failed to agree on who should pay '
        'for it. "}',
        '{"doc_id": "some-other-page", "index": 99, "role": "body"}',
        '{"doc_id": "tiny-aggregator", "line": 9, "role": "related"}',
    ])
    assert apply_annotations(pages, anns) == {(AGG, 4): {"role": "related", "topic": "environment"}}


def test_text_mismatch_error(pages):
    anns = parse_annotation_lines("drift.jsonl", [
        '{"doc_id": "tiny-aggregator", "line": 1, "text": "logo", "role": "chrome"}',
        '{"doc_id": "tiny-aggregator", "line": 3, "text": "Marrowby tidal barrier delayed again", "role": "title"}',
    ])
    assert _raises(apply_annotations, pages, anns) == (
        "drift.jsonl:2: annotation text does not match passage line 3 of 'tiny-aggregator'")
    by_index = parse_annotation_lines("drift.jsonl", ['{"doc_id": "tiny-news", "index": 0, "text": "home"}'])
    assert _raises(apply_annotations, pages, by_index) == (
        "drift.jsonl:1: annotation text does not match passage index 0 of 'tiny-news'")


def test_unmatched_passage_errors(pages):
    blank_line = parse_annotation_lines("u.jsonl", ['{"doc_id": "tiny-aggregator", "line": 2, "role": "chrome"}'])
    assert _raises(apply_annotations, pages, blank_line) == "u.jsonl:1: no passage at line 2 of page 'tiny-aggregator'"
    past_end = parse_annotation_lines("u.jsonl", ["", '{"doc_id": "tiny-news", "index": 14, "role": "chrome"}'])
    assert _raises(apply_annotations, pages, past_end) == "u.jsonl:2: no passage at index 14 of page 'tiny-news'"
    # HTML passages have no line numbers.
    html_line = parse_annotation_lines("u.jsonl", ['{"doc_id": "tiny-news", "line": 1, "role": "chrome"}'])
    assert _raises(apply_annotations, pages, html_line) == "u.jsonl:1: no passage at line 1 of page 'tiny-news'"


def test_fixture_with_a_bad_record_fails_on_load(tmp_path: Path, tiny_path):
    bad = tmp_path / "tiny.jsonl"
    lines = Path(tiny_path).read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace('"role": "body"', '"role": "article"')
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _raises(load_annotations, [str(bad)]) == (
        f"{bad}:5: unknown role label 'article'; expected one of {ROLE_NAMES}")


# -- Label Studio ---------------------------------------------------------------------------------
def test_label_studio_import_later_wins_cancelled_ignored(export_path):
    anns = load_annotations([export_path])
    assert anns == [
        Annotation((NEWS, "index", 2), {"role": "title"}, NEWS_TITLE, f"{export_path}:1"),
        # Task 502: annotation 9107 (12 January) replaces 9002 (10 January), including its topic.
        Annotation((NEWS, "index", 4), {"role": "body", "topic": ARTS, "stance": "discuss", "bias": "neutral"},
                   "The central library in Fenwick will stay open until nine o'clock every Friday from next month, "
                   "the town council said.", f"{export_path}:2"),
        # Task 503: the later annotation was cancelled, so the earlier one stands.
        Annotation((NEWS, "index", 7), {"role": "chrome"}, "Photo: the reading room on a Friday evening",
                   f"{export_path}:3"),
        # Task 504 has only a cancelled annotation: no record.
        Annotation((NEWS, "index", 11), {"role": "related", "topic": "sport", "stance": "unrelated"},
                   "Swimming pool reopens after a new roof is fitted", f"{export_path}:5"),
    ]


def test_label_studio_import_applies_to_pages(pages, export_path):
    gold = apply_annotations(pages, load_annotations([export_path]))
    assert gold == {
        (NEWS, 2): {"role": "title"},
        (NEWS, 4): {"role": "body", "topic": ARTS, "stance": "discuss", "bias": "neutral"},
        (NEWS, 7): {"role": "chrome"},
        (NEWS, 11): {"role": "related", "topic": "sport", "stance": "unrelated"},
    }


def test_label_studio_updated_at_and_id_break_ties(export_path):
    export = json.loads(Path(export_path).read_text(encoding="utf-8"))
    task = copy.deepcopy(export[1])
    first, second = task["annotations"]
    first["updated_at"] = "2025-02-01T00:00:00.000Z"  # edited after the second was made: it is now the latest
    assert from_label_studio("e.json", [task])[0].labels == {"role": "body", "topic": "education", "stance": "agree"}
    for a in (first, second):
        a["created_at"] = a["updated_at"] = "2025-01-10T09:00:00.000Z"
    assert from_label_studio("e.json", [task])[0].labels["topic"] == ARTS  # same time: the higher id (9107) wins


def test_label_studio_ignores_other_results_and_checks_labels():
    task = {"id": 1, "data": {"doc_id": "d", "index": 3, "text": "x"}, "annotations": [{"id": 1, "result": [
        {"from_name": "role", "to_name": "text", "type": "choices", "value": {"choices": ["promo", "chrome"]}},
        {"from_name": "comment", "to_name": "text", "type": "textarea", "value": {"text": ["looks like an ad"]}},
        {"from_name": "mood", "to_name": "text", "type": "choices", "value": {"choices": ["happy"]}},
        {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": []}},
    ], "was_cancelled": False, "created_at": "2025-01-01T00:00:00Z"}]}
    assert from_label_studio("e.json", [task]) == [Annotation(("d", "index", 3), {"role": "promo"}, "x", "e.json:1")]
    task["annotations"][0]["result"][0]["value"]["choices"] = ["advert"]
    assert _raises(from_label_studio, "e.json", [task]) == (
        f"e.json:1: unknown role label 'advert'; expected one of {ROLE_NAMES}")
    assert _raises(from_label_studio, "e.json", {"tasks": []}) == (
        "e.json: not a Label Studio JSON export (expected a list of tasks)")


def test_to_label_studio_tasks(pages):
    tasks = to_label_studio(pages)
    assert len(tasks) == 26
    assert tasks[0] == {"data": {"doc_id": AGG, "index": 0, "line": 1, "text": "logo", "title": AGG_TITLE}}
    assert tasks[12] == {"data": {"doc_id": NEWS, "index": 0, "line": None, "text": "Home", "title": NEWS_TITLE}}


def test_label_studio_round_trip(pages, tiny_path):
    """Tasks from to_label_studio, labelled in Label Studio with the fixture gold, import back to the same gold."""
    gold = apply_annotations(pages, load_annotations([tiny_path]))
    export = []
    for n, task in enumerate(to_label_studio(pages), start=1):
        labels = gold[(task["data"]["doc_id"], task["data"]["index"])]
        result = [{"from_name": t, "to_name": "text", "type": "choices", "value": {"choices": [v]}}
                  for t, v in labels.items()]
        export.append({"id": n, "data": task["data"], "annotations": [
            {"id": 100 + n, "result": result, "was_cancelled": False, "created_at": "2025-03-01T10:00:00Z"}]})
    back = from_label_studio("export.json", json.loads(json.dumps(export)))
    assert len(back) == 26
    assert back[1].key == (AGG, "index", 1)
    assert apply_annotations(pages, back) == gold


def test_load_annotations_folder_with_label_studio_export(tmp_path: Path, tiny_path, export_path):
    shutil.copy(tiny_path, tmp_path / "tiny.jsonl")
    shutil.copy(export_path, tmp_path / "export.json")
    assert len(load_annotations([str(tmp_path)])) == 26 + 4


def test_load_annotations_folder_of_jsonl(tmp_path: Path, tiny_path):
    shutil.copy(tiny_path, tmp_path / "a.jsonl")
    (tmp_path / "b.jsonl").write_text('{"doc_id": "x", "index": 0, "role": "body"}\n', encoding="utf-8")
    anns = load_annotations([str(tmp_path)])
    assert len(anns) == 27
    assert anns[-1].origin == f"{tmp_path / 'b.jsonl'}:1"


# -- the Label Studio labelling config ----------------------------------------------------------
def test_label_studio_config_matches_schema(repo_root: Path):
    view = ET.parse(repo_root / "configs" / "label_studio.xml").getroot()
    assert view.tag == "View"
    texts = view.findall(".//Text")
    assert [(t.get("name"), t.get("value")) for t in texts] == [("text", "$text")]
    assert "$title" in [h.get("value") for h in view.findall(".//Header")]
    choices = view.findall(".//Choices")
    assert [c.get("name") for c in choices] == ["role", "topic", "stance", "bias"]
    for c in choices:
        assert (c.get("toName"), c.get("choice")) == ("text", "single")
        assert tuple(x.get("value") for x in c.findall("Choice")) == TASKS[c.get("name")].names
    assert len(choices[1].findall("Choice")) == 17
