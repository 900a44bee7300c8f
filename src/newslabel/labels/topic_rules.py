"""A topic from the words of the IPTC Media Topics tree: the rule that labels unlabelled articles for training.

No set at hand has full-length health articles with labels (BBC 2004-05 has no health section, HuffPost's health
rows are headlines), so the topic model read NHS stories as politics. The IPTC tree names hundreds of sub-topics
under each top-level topic ("cancer", "communicable disease", "obesity" under health). A word that occurs in the
sub-topic names of one top-level topic only (or `purity` of its occurrences) votes for that topic; an article whose
votes give one topic at least `MIN_HITS` words and `MIN_SHARE` of them is labelled with it, others get None.

The rule is precise where it fires and fires on few articles: on the 472 MasakhaNEWS validation articles it labels
23 health articles, 22 of them right (docs/decisions.md, "Issue 33: health articles labelled by a rule").

>>> tops = [{"name": "health", "descendants": [{"name": "cancer"}, {"name": "heart disease"}, {"name": "obesity"}]},
...         {"name": "sport", "descendants": [{"name": "football"}, {"name": "heart of the team"}]}]
>>> lexicon = iptc_lexicon(tops)
>>> sorted(lexicon.items())
[('cancer', 'health'), ('disease', 'health'), ('football', 'sport'), ('health', 'health'), ('obesity', 'health'), ('sport', 'sport'), ('team', 'sport')]
>>> rule_topic("Cancer and obesity rates rose; heart disease fell, and cancer wards filled.", lexicon)
'health'
>>> rule_topic("Football: the team won.", lexicon) is None    # two votes: fewer than MIN_HITS
True
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

WORD = re.compile(r"[a-z]{3,}")
PURITY = 0.8  # a word's share of its occurrences in one topic's sub-topic names for it to vote
MIN_HITS = 3  # votes the winning topic needs
MIN_SHARE = 0.35  # the winning topic's share of the votes


def iptc_lexicon(tops: list[dict], purity: float = PURITY) -> dict[str, str]:
    """{word: top-level topic} from the sub-topic names of the IPTC tree (`iptc_top_level.jsonl.gz`'s records:
    `name` and `descendants`, each with a `name`). Stop words and words under three letters do not vote."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for top in tops:
        for name in [top["name"]] + [d["name"] for d in top.get("descendants", [])]:
            for word in set(WORD.findall(name.lower())) - ENGLISH_STOP_WORDS:
                seen[word][top["name"]] += 1
    out = {}
    for word, topics in seen.items():
        topic, n = topics.most_common(1)[0]
        if n / sum(topics.values()) >= purity:
            out[word] = topic
    return out


def rule_topic(text: str, lexicon: dict[str, str], min_hits: int = MIN_HITS, min_share: float = MIN_SHARE) -> str | None:
    """The topic the words of `text` vote for (see the module docstring), or None where no topic clearly leads."""
    votes = Counter(lexicon[w] for w in WORD.findall(text.lower()) if w in lexicon)
    if not votes:
        return None
    topic, n = votes.most_common(1)[0]
    return topic if n >= min_hits and n / sum(votes.values()) >= min_share else None
