"""The four label sets: names, order, IPTC codes, and the errors for unknown labels."""

from __future__ import annotations

import pytest

from newslabel.labels import schema
from newslabel.labels.schema import BIAS, IPTC_TOPICS, ROLE, STANCE, TASKS, TOPIC

TOPIC_NAMES = (
    "arts, culture, entertainment and media",
    "crime, law and justice",
    "disaster, accident and emergency incident",
    "economy, business and finance",
    "education",
    "environment",
    "health",
    "human interest",
    "labour",
    "lifestyle and leisure",
    "politics",
    "religion",
    "science and technology",
    "society",
    "sport",
    "conflict, war and peace",
    "weather",
)


def test_role_stance_bias_names_in_class_label_order():
    assert ROLE.names == ("title", "byline", "body", "related", "promo", "chrome")
    assert STANCE.names == ("agree", "disagree", "discuss", "unrelated")
    assert BIAS.names == ("biased", "neutral")
    assert (ROLE.task, TOPIC.task, STANCE.task, BIAS.task) == ("role", "topic", "stance", "bias")
    assert ROLE.index("title") == 0
    assert ROLE.index("chrome") == 5
    assert STANCE.index("unrelated") == 3


def test_tasks_and_news_text_roles():
    assert list(TASKS) == ["role", "topic", "stance", "bias"]
    assert TASKS["topic"] is TOPIC
    assert schema.NEWS_TEXT_ROLES == frozenset({"body", "related"})
    assert schema.label_set("stance") is STANCE


def test_seventeen_iptc_topics():
    assert TOPIC.names == TOPIC_NAMES
    assert len(IPTC_TOPICS) == 17
    assert list(IPTC_TOPICS) == [f"medtop:{i:02d}000000" for i in range(1, 18)]
    assert list(IPTC_TOPICS)[0] == "medtop:01000000"
    assert list(IPTC_TOPICS)[-1] == "medtop:17000000"
    assert IPTC_TOPICS["medtop:11000000"] == "politics"
    assert IPTC_TOPICS["medtop:16000000"] == "conflict, war and peace"


@pytest.mark.parametrize("i", range(1, 18))
def test_topic_name_code_round_trip(i):
    code = f"medtop:{i:02d}000000"
    name = TOPIC_NAMES[i - 1]
    assert schema.topic_name(code) == name
    assert schema.topic_name(name) == name
    assert schema.topic_code(name) == code
    assert schema.topic_code(code) == code
    assert schema.topic_code(schema.topic_name(code)) == code
    assert TOPIC.index(name) == i - 1


def test_normalise_and_is_body():
    assert schema.normalise("topic", "medtop:15000000") == "sport"
    assert schema.normalise("topic", "weather") == "weather"
    assert schema.normalise("role", "promo") == "promo"
    assert schema.normalise("bias", "neutral") == "neutral"
    assert schema.is_body("body") is True
    assert schema.is_body("related") is False


def test_unknown_role_label_message():
    with pytest.raises(ValueError) as exc:
        ROLE.check("headline")
    assert str(exc.value) == (
        "unknown role label 'headline'; expected one of title, byline, body, related, promo, chrome")
    with pytest.raises(ValueError) as exc:
        schema.is_body("Body")
    assert str(exc.value) == "unknown role label 'Body'; expected one of title, byline, body, related, promo, chrome"


def test_unknown_stance_and_bias_label_messages():
    with pytest.raises(ValueError) as exc:
        schema.normalise("stance", "support")
    assert str(exc.value) == "unknown stance label 'support'; expected one of agree, disagree, discuss, unrelated"
    with pytest.raises(ValueError) as exc:
        BIAS.index("left")
    assert str(exc.value) == "unknown bias label 'left'; expected one of biased, neutral"


def test_unknown_topic_message_lists_all_names():
    expected = (
        "unknown topic label 'medtop:18000000'; expected one of arts, culture, entertainment and media, "
        "crime, law and justice, disaster, accident and emergency incident, economy, business and finance, "
        "education, environment, health, human interest, labour, lifestyle and leisure, politics, religion, "
        "science and technology, society, sport, conflict, war and peace, weather"
    )
    with pytest.raises(ValueError) as exc:
        schema.topic_name("medtop:18000000")
    assert str(exc.value) == expected
    with pytest.raises(ValueError) as exc:
        schema.topic_code("Sport")
    assert str(exc.value).startswith("unknown topic label 'Sport'; expected one of arts, culture, entertainment")


def test_unknown_task_message():
    with pytest.raises(ValueError) as exc:
        schema.label_set("sentiment")
    assert str(exc.value) == "unknown task 'sentiment'; expected one of role, topic, stance, bias"
    with pytest.raises(ValueError) as exc:
        schema.normalise("genre", "news")
    assert str(exc.value) == "unknown task 'genre'; expected one of role, topic, stance, bias"
