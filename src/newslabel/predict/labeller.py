"""The predict API: load the models once, then label pages or bare passages.

    from newslabel import load_labeller
    labeller = load_labeller()                    # the registered champions
    page = labeller.label_page(open("page.html").read())
    page["passages"][0]["role"], page["body_text"], page["topic"]
    labeller.predict(["Shameful scenes at the council."], task="bias")

A page is labelled on its own (its labels never depend on what else is in the batch).
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from newslabel.errors import InputWarning
from newslabel.ingest.decoding import check_page, drop_html_nuls, sniff_kind
from newslabel.ingest.files import RawDoc
from newslabel.ingest.segment import segment
from newslabel.labels.schema import TASKS
from newslabel.labels.stories import page_stories, page_title, story_text
from newslabel.models.inputs import ROLE_INPUT, decide, role_frame, text_frame  # noqa: F401 - ROLE_INPUT re-exported
from newslabel.types import Page


@dataclass
class Labeller:
    models: dict  # task -> fitted scikit-learn model with predict_proba and classes_
    versions: dict = field(default_factory=dict)  # task -> registered version or path

    @property
    def model_version(self) -> str:
        return ",".join(f"{t}:{self.versions.get(t, '?')}" for t in TASKS if t in self.models)

    def predict(self, texts: list[str], task: str, headline: str | list[str] | None = None):
        """Bare passages -> [(label, score)]. Stance needs the headline(s) they are read against."""
        if task not in self.models:
            raise ValueError(f"no {task} model loaded; loaded: {', '.join(self.models) or 'none'}")
        frame = text_frame({"text": list(texts)})
        if task == "stance":  # a bare passage is its own context (FNC-1: the whole body)
            frame["headline"] = headline if headline is not None else ""
            frame["context"] = frame["text"]
        if task == "role":
            frame = role_frame([{"doc_id": "passages", "index": i, "text": t} for i, t in enumerate(texts)])
        return decide(self.models[task], frame)

    def label_page(self, text_or_html: str, doc_id: str = "page", url: str | None = None) -> dict:
        """One page's text or HTML -> `label`'s dict. Raises InputError (one line, naming `doc_id`) for a page
        that is not a non-empty str of text, or is cut off; repairs are reported as InputWarning."""
        page = read_page(text_or_html, doc_id, url)
        for message in page.extra.get("warnings", []):
            warnings.warn(message, InputWarning, stacklevel=2)
        return self.label(page)

    def label(self, page: Page) -> dict:
        """A segmented page -> its metadata, passages with all labels and scores, body text and topic."""
        from newslabel.models.text import shared_analysis  # scikit-learn: loaded with the models by now

        # The role, topic, stance and bias models read the same passages through vectorisers of the same settings
        with shared_analysis():
            return self._label(page)

    def _label(self, page: Page) -> dict:
        records = page.records()
        roles = decide(self.models["role"], role_frame(records, page.extra.get("html")))
        rows = []
        for rec, (role, score) in zip(records, roles):
            rows.append({k: rec[k] for k in ("doc_id", "source_path", "index", "line", "text")}
                        | {"role": role, "role_score": score, "is_body": role == "body"})
        title = page_title(page, rows)
        page_topic, stories = self._news_labels(rows, title)
        for r in rows:
            for task in ("topic", "stance", "bias"):
                r.setdefault(task, None)
                r.setdefault(f"{task}_score", None)
            r["model_version"] = self.model_version
        body = [r for r in rows if r["is_body"]]
        return _plain({
            "doc_id": page.doc_id, "source_path": page.source_path,
            # An HTML page's own title with its site suffix cut; otherwise the headline stance read against.
            "title": page.extra.get("headline", title) if title and title == page.title else title, "source": page.source,
            "date": page.date, "author": list(page.author), "site_name": page.site_name, "url": page.url,
            "language": page.language, "body_text": "\n\n".join(r["text"] for r in body),
            "topic": page_topic, "role_counts": dict(Counter(r["role"] for r in rows)),
            "stories": stories, "passages": rows,
        })

    def _news_labels(self, rows: list[dict], title: str | None) -> tuple[str | None, list[dict]]:
        """Topic, stance and bias where they mean something; returns (page topic, teaser stories).

        Topic is an article's: the page's from its whole body (every body passage carries it), each
        teaser story's from its headline and summary. Stance is read against the page's headline: each
        body passage in the context of the whole body, each teaser story as one text. Bias is a
        sentence's own. Lines that carry no news text (`stories.carries_news`) get none of the three.
        """
        texts = [r["text"] for r in rows]
        body, groups = page_stories([r["role"] for r in rows], texts)
        body_text = story_text(texts, body)
        units = ([body_text] if body else []) + [story_text(texts, g) for g in groups]
        members = ([body] if body else []) + groups
        topics = self._scores("topic", text_frame({"text": units})) if units else []
        for unit_members, topic in zip(members, topics):
            for i in unit_members:
                rows[i]["topic"], rows[i]["topic_score"] = topic
        stance_in = text_frame({"headline": title or "", "text": [texts[i] for i in body] + units[bool(body):],
                                  "context": [body_text] * len(body) + units[bool(body):]})
        stances = self._scores("stance", stance_in) if len(stance_in) else []
        for i, stance in zip(body, stances):
            rows[i]["stance"], rows[i]["stance_score"] = stance
        for g, stance in zip(groups, stances[len(body):]):
            for i in g:
                rows[i]["stance"], rows[i]["stance_score"] = stance
        news = body + [i for g in groups for i in g]
        for i, bias in zip(news, self._scores("bias", text_frame({"text": [texts[i] for i in news]})) if news else []):
            rows[i]["bias"], rows[i]["bias_score"] = bias
        stories = [{"lines": [rows[i]["line"] for i in g], "index": [rows[i]["index"] for i in g],
                    "text": units[k + bool(body)], "topic": rows[g[0]]["topic"], "topic_score": rows[g[0]]["topic_score"],
                    "stance": rows[g[0]]["stance"], "stance_score": rows[g[0]]["stance_score"]}
                   for k, g in enumerate(groups)]
        return (topics[0][0] if body and topics else None), stories

    def _scores(self, task: str, frame: pd.DataFrame) -> list[tuple[str | None, float | None]]:
        if task not in self.models:
            return [(None, None)] * len(frame)
        return decide(self.models[task], frame)


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def read_page(text_or_html: str, doc_id: str = "page", url: str | None = None) -> Page:
    """The first half of `Labeller.label_page`: the page checked, its kind sniffed (text dump or HTML), segmented."""
    text, repaired = drop_html_nuls(doc_id, text_or_html) if isinstance(text_or_html, str) else (text_or_html, [])
    text = check_page(doc_id, text)
    return segment(RawDoc(doc_id, doc_id, sniff_kind(text), text, url, warnings=repaired))


def _plain(value):
    """JSON types only: numpy scalars and arrays become Python ones; working keys (`_topic_p`) are dropped.

    >>> _plain({"a": np.float32(0.5), "b": [np.int64(2)], "_p": np.zeros(2), "c": np.array([1, 2])})
    {'a': 0.5, 'b': [2], 'c': [1, 2]}
    """
    if type(value) in _JSON_SCALARS:  # most values of a page (exact types: numpy's float64 subclasses float)
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else value


