"""The four label sets, defined once and used everywhere.

>>> ROLE.names
('title', 'byline', 'body', 'related', 'promo', 'chrome')
>>> topic_name("medtop:15000000")
'sport'
>>> topic_code("economy, business and finance")
'medtop:04000000'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of label names; the order is the ClassLabel id order."""

    task: str
    names: tuple[str, ...]

    def index(self, name: str) -> int:
        return self.names.index(self.check(name))

    def check(self, name: str) -> str:
        if name not in self.names:
            raise ValueError(f"unknown {self.task} label {name!r}; expected one of {', '.join(self.names)}")
        return name


ROLE = LabelSet("role", ("title", "byline", "body", "related", "promo", "chrome"))
STANCE = LabelSet("stance", ("agree", "disagree", "discuss", "unrelated"))
BIAS = LabelSet("bias", ("biased", "neutral"))


# IPTC Media Topics, top level (https://cv.iptc.org/newscodes/mediatopic/), code -> name.
IPTC_TOPICS: dict[str, str] = {
    "medtop:01000000": "arts, culture, entertainment and media",
    "medtop:02000000": "crime, law and justice",
    "medtop:03000000": "disaster, accident and emergency incident",
    "medtop:04000000": "economy, business and finance",
    "medtop:05000000": "education",
    "medtop:06000000": "environment",
    "medtop:07000000": "health",
    "medtop:08000000": "human interest",
    "medtop:09000000": "labour",
    "medtop:10000000": "lifestyle and leisure",
    "medtop:11000000": "politics",
    "medtop:12000000": "religion",
    "medtop:13000000": "science and technology",
    "medtop:14000000": "society",
    "medtop:15000000": "sport",
    "medtop:16000000": "conflict, war and peace",
    "medtop:17000000": "weather",
}
TOPIC = LabelSet("topic", tuple(IPTC_TOPICS.values()))
_CODE_BY_NAME = {name: code for code, name in IPTC_TOPICS.items()}
TASKS: dict[str, LabelSet] = {"role": ROLE, "topic": TOPIC, "stance": STANCE, "bias": BIAS}


# Roles whose passages are news text, and so carry topic, stance and bias labels.
NEWS_TEXT_ROLES = frozenset({"body", "related"})


def topic_name(code_or_name: str) -> str:
    """Normalise an IPTC code or name to the name; raises ValueError on anything else."""
    if code_or_name in IPTC_TOPICS:
        return IPTC_TOPICS[code_or_name]
    return TOPIC.check(code_or_name)


def topic_code(name: str) -> str:
    return _CODE_BY_NAME[topic_name(name)]


def label_set(task: str) -> LabelSet:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return TASKS[task]


def normalise(task: str, value: str) -> str:
    """Check a label for a task, accepting IPTC codes for topic."""
    return topic_name(value) if task == "topic" else label_set(task).check(value)


def is_body(role: str) -> bool:
    return ROLE.check(role) == "body"
