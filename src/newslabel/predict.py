"""The predict API: load the models once, then label pages or bare passages.

    from newslabel import load_labeller
    labeller = load_labeller()                    # the registered champions
    page = labeller.label_page(open("page.html").read())
    page["passages"][0]["role"], page["body_text"], page["topic"]
    labeller.predict(["Shameful scenes at the council."], task="bias")

A page is labelled on its own (its labels never depend on what else is in the batch).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .ingest import RawDoc, check_page
from .passages import AUTHOR_LINE, segment
from .schema import NEWS_TEXT_ROLES, TASKS
from .types import InputWarning, Page

ROLE_INPUT = ("doc_id", "group", "text", "index", "line", "title", "site", "source_path", "tag", "tag_path",
              "class_tokens", "link_density")
_LOOKS_HTML = re.compile(r"^\s*(<!doctype html|<html\b|<\?xml)|<(body|p|div|article)\b", re.I)


class ModelLoadError(ValueError):
    """A model URI or path that cannot be loaded; the message names it and says why."""


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
        frame = pd.DataFrame({"text": list(texts)})
        if task == "stance":
            frame["headline"] = headline if headline is not None else ""
        if task == "role":
            frame = _role_frame([{"doc_id": "passages", "index": i, "text": t} for i, t in enumerate(texts)])
        return _decide(self.models[task], frame)

    def label_page(self, text_or_html: str, doc_id: str = "page", url: str | None = None) -> dict:
        """One page's text or HTML -> `label`'s dict. Raises InputError (one line, naming `doc_id`) for a page
        that is not a non-empty str of text, or is cut off; repairs are reported as InputWarning."""
        text = check_page(doc_id, text_or_html)
        kind = "html" if _LOOKS_HTML.search(text[:2000]) else "text"
        page = segment(RawDoc(doc_id, doc_id, kind, text, url))
        for message in page.extra.get("warnings", []):
            warnings.warn(message, InputWarning, stacklevel=2)
        return self.label(page)

    def label(self, page: Page) -> dict:
        """A segmented page -> its metadata, passages with all labels and scores, body text and topic."""
        records = page.records()
        roles = _decide(self.models["role"], _role_frame(records))
        rows = []
        for rec, (role, score) in zip(records, roles):
            rows.append({k: rec[k] for k in ("doc_id", "source_path", "index", "line", "text")}
                        | {"role": role, "role_score": score, "is_body": role == "body"})
        title = page_title(page, rows)
        news = [r for r in rows if r["role"] in NEWS_TEXT_ROLES]
        topic_proba = self._news_labels(news, title)
        for r in rows:
            for task in ("topic", "stance", "bias"):
                r.setdefault(task, None)
                r.setdefault(f"{task}_score", None)
            r["model_version"] = self.model_version
        body = [r for r in rows if r["is_body"]]
        return _plain({
            "doc_id": page.doc_id, "source_path": page.source_path, "title": title, "source": page.source,
            "date": page.date, "url": page.url, "body_text": "\n\n".join(r["text"] for r in body),
            "topic": _page_topic(body, topic_proba), "role_counts": dict(Counter(r["role"] for r in rows)),
            "passages": rows,
        })

    def _news_labels(self, news: list[dict], title: str | None):
        if not news:
            return None
        frame = pd.DataFrame({"text": [r["text"] for r in news], "headline": title or ""})
        topic_proba = None
        for task in ("topic", "stance", "bias"):
            if task not in self.models:
                continue
            proba = self.models[task].predict_proba(frame)
            classes = self.models[task].classes_
            if task == "topic":
                topic_proba = (classes, proba)
            for r, p in zip(news, proba):
                k = int(p.argmax())
                r[task], r[f"{task}_score"] = str(classes[k]), round(float(p[k]), 4)
        if topic_proba is not None:
            for r, p in zip(news, topic_proba[1]):
                r["_topic_p"] = p
        return topic_proba


def page_title(page: Page, rows: list[dict]) -> str | None:
    """The headline stance is read against. HTML: the page's own (og:title, <title>), else the passage the role
    model is surest is the title; text dumps the other way round, since their heuristic title is a guess."""
    candidates = [r for r in rows if r["role"] == "title" and not AUTHOR_LINE.match(r["text"])]
    predicted = max(candidates, key=lambda r: r["role_score"], default=None)
    guess = predicted["text"] if predicted else None
    return (page.title or guess) if page.kind == "html" else (guess or page.title)


def _page_topic(body: list[dict], topic_proba) -> str | None:
    """The body passages' topic probabilities, weighted by length; None without body or topic model."""
    weighted = [(r.pop("_topic_p"), len(r["text"])) for r in body if "_topic_p" in r]
    if not weighted or topic_proba is None:
        return None
    total = sum(w * p for p, w in weighted)
    return str(topic_proba[0][int(np.argmax(total))])


def _plain(value):
    """JSON types only: numpy scalars and arrays become Python ones; working keys (`_topic_p`) are dropped.

    >>> _plain({"a": np.float32(0.5), "b": [np.int64(2)], "_p": np.zeros(2), "c": np.array([1, 2])})
    {'a': 0.5, 'b': [2], 'c': [1, 2]}
    """
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value.item() if isinstance(value, np.generic) else value


def _role_frame(records: list[dict]) -> pd.DataFrame:
    rows = [{c: r.get(c) for c in ROLE_INPUT} for r in records]
    for r in rows:
        r["group"] = r["group"] or r["site"] or r["doc_id"]
        for c in ("title", "site", "source_path", "tag", "tag_path", "class_tokens"):
            r[c] = r[c] or ""
        r["link_density"] = float(r["link_density"] or 0.0)
    return pd.DataFrame(rows, columns=list(ROLE_INPUT)).astype({"line": "float64", "index": "int64"})


def _decide(model, frame: pd.DataFrame) -> list[tuple[str, float]]:
    proba = model.predict_proba(frame)
    best = proba.argmax(axis=1)
    return [(str(model.classes_[k]), round(float(p[k]), 4)) for k, p in zip(best, proba)]


def load_labeller(model: str | None = None, tracking_uri: str | None = None, mlruns: str | None = None) -> Labeller:
    """The labeller from the registry champions (default), a combined `newslabel` model URI, or a local path.

    The store is mlruns/ of the project unless `mlruns` or $NEWSLABEL_MLRUNS names another.
    `model` may be `models:/newslabel@champion`, `models:/newslabel/3`, `runs:/<id>/labeller`, or a
    folder saved by MLflow. Raises ModelLoadError with a one-line reason when it cannot be loaded.
    """
    from . import tracking

    if tracking_uri is None:
        import os

        from .config import ROOT

        tracking.configure(mlruns or os.environ.get("NEWSLABEL_MLRUNS") or ROOT / "mlruns")
    else:
        tracking.set_uri(tracking_uri)
    if model is None:
        return tracking.load_champions()
    return tracking.load_combined(model)

