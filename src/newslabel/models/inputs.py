"""What the role model reads of a page, and how a model's probabilities become one label with its score.

Shared by the labeller (predict/) and by training, which needs the role champion's view of the sample pages
(the headline stance is read against).
"""

from __future__ import annotations

import pandas as pd

ROLE_INPUT = ("doc_id", "group", "text", "index", "line", "title", "site", "source_path", "tag", "tag_path",
              "class_tokens", "link_density", "depth", "blocks", "html")


def role_frame(records: list[dict], html: str | None = None) -> pd.DataFrame:
    """A page's passage records (`Page.records()`) -> the role model's input frame; `html`, the page's HTML
    (None for a text dump), is its `html` column, which the DOM features read."""
    rows = [{c: r.get(c) for c in ROLE_INPUT} for r in records]
    for r in rows:
        r["group"] = r["group"] or r["site"] or r["doc_id"]
        for c in ("title", "site", "source_path", "tag", "tag_path", "class_tokens", "blocks"):
            r[c] = r[c] or ""
        r["depth"] = int(r["depth"] or 0)
        r["html"] = html or ""
        r["link_density"] = float(r["link_density"] or 0.0)
    types = {"line": "float64", "index": "int64", "depth": "int64"}
    return pd.DataFrame(rows, columns=list(ROLE_INPUT), dtype=object).astype(types)


def text_frame(columns: dict) -> pd.DataFrame:
    """A model input frame whose text columns stay Python objects.

    pandas 3 stores new text columns as Arrow strings: a page's frames copied every text (a role frame
    repeats the page's HTML on each row, a stance frame its body) into Arrow and back out for the
    vectorisers, 70 of 450 ms a webextract page. An object column holds references, and gives the models
    the same strings.

    >>> text_frame({"headline": "Rain", "text": ["a", "b"]}).dtypes.tolist()
    [dtype('O'), dtype('O')]
    """
    return pd.DataFrame(columns, dtype=object)


def strings(X: pd.DataFrame, column: str) -> list[str]:
    """A column as Python strings, missing cells as "": what `X[column].fillna("").astype(str).tolist()` gives,
    without pandas 3's detour through Arrow (which copies each cell, and the role frame repeats the page's
    HTML on every row).

    >>> strings(pd.DataFrame({"t": ["Rain", None, float("nan"), 3]}, dtype=object), "t")
    ['Rain', '', '', '3']
    """
    return [v if isinstance(v, str) else "" if v is None or v != v else str(v) for v in X[column].tolist()]


def records(X: pd.DataFrame) -> list[dict]:
    """The rows as dicts, what `X.to_dict("records")` gives, without pandas boxing each cell on its own (the role
    frame's rows were 7 ms a webextract page that way).

    >>> records(pd.DataFrame({"text": ["Rain", "Sun"], "index": [0, 1]}))
    [{'text': 'Rain', 'index': 0}, {'text': 'Sun', 'index': 1}]
    """
    columns = [str(c) for c in X.columns]
    return [dict(zip(columns, row)) for row in zip(*(X[c].tolist() for c in X.columns))]


def decide(model, frame: pd.DataFrame) -> list[tuple[str, float]]:
    """[(the most probable label, its probability rounded to 4 places)] a row."""
    proba = model.predict_proba(frame)
    best = proba.argmax(axis=1)
    return [(str(model.classes_[k]), round(float(p[k]), 4)) for k, p in zip(best, proba)]
