"""The IPTC word rule that labels unlabelled training articles with a topic (labels/topic_rules.py) and the importer
that applies it to other sets' training splits (data/importers/rule_topics.py)."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from newslabel.data.importers.rule_topics import import_rule_topics
from newslabel.errors import MissingDataError
from newslabel.labels.topic_rules import iptc_lexicon, rule_topic


@pytest.fixture(scope="module")
def lexicon(shared_dir):
    with gzip.open(shared_dir / "data" / "iptc-mediatopic" / "iptc_top_level.jsonl.gz", "rt", encoding="utf-8") as f:
        return iptc_lexicon([json.loads(line) for line in f if line.strip()])


def test_a_word_votes_for_the_one_topic_whose_sub_topics_name_it(lexicon):
    assert len(lexicon) == 1035
    assert [lexicon.get(w) for w in ("cancer", "vaccine", "hospital", "pandemic", "football", "election")] == [
        "health", "health", "health", "health", "sport", "politics"]
    # named under several topics (animal and plant disease, drug trafficking): no vote
    assert [lexicon.get(w) for w in ("disease", "drug", "the")] == [None, None, None]


def test_the_rule_names_a_topic_only_where_it_clearly_leads(lexicon):
    health = "The hospital said the vaccine cut cases in the pandemic, and the cancer and obesity clinics reopened."
    assert rule_topic(health, lexicon) == "health"  # 5 votes, all health
    assert rule_topic("The election was close.", lexicon) is None  # 1 vote: fewer than 3
    split = ("Football at the hospital: the football team played for the cancer and obesity ward while the election "
             "count, the election result and a second election came in.")
    assert rule_topic(split, lexicon) is None  # sport 3, health 3, politics 3: no topic has 35% of the votes
    assert rule_topic(split, lexicon, min_share=0.3) == "sport"  # a tie goes to the topic voted for first


def test_rule_topics_gives_training_rows_of_the_topics_asked_for(shared_dir):
    rows = import_rule_topics(shared_dir / "data" / "iptc-mediatopic")["topic"]
    assert (len(rows["train"]), rows["validation"], rows["test"]) == (75, [], [])
    assert {r["label"] for r in rows["train"]} == {"health"}
    assert {(r["label_source"], r["confidence"]) for r in rows["train"]} == {("rule", 0.5)}
    assert Counter(r["doc_id"].split("-")[1] for r in rows["train"]) == {"fnc1": 45, "em": 16, "wcxb": 14}
    assert all(r["doc_id"] == "rule-" + r["group"] for r in rows["train"])
    both = import_rule_topics(shared_dir / "data" / "iptc-mediatopic", labels=("health", "sport"))["topic"]["train"]
    assert Counter(r["label"] for r in both) == {"sport": 176, "health": 75}


def test_rule_topics_names_the_missing_iptc_folder(tmp_path):
    with pytest.raises(MissingDataError, match=r"iptc-mediatopic: not found; the rule_topics data lives in "
                                               r"\.\./shared/data/iptc-mediatopic$"):
        import_rule_topics(tmp_path / "iptc-mediatopic")
