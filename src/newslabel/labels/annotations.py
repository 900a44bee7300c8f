"""Gold annotations: the project's JSONL format, and import of Label Studio exports.

The JSONL format, one record a passage (see docs/annotations.md):

    {"doc_id": "brieflyhub-01", "line": 12, "text": "...", "role": "body",
     "topic": "politics", "stance": "discuss", "bias": "neutral"}

A record is keyed by `doc_id` and either `index` (0-based passage order) or `line` (1-based
line of a text dump). `text`, when given, must equal the passage's text: it catches
annotations that drifted from their page. Any label may be missing or null.

>>> recs = parse_annotation_lines("a.jsonl", ['{"doc_id": "d", "index": 0, "role": "title"}'])
>>> recs[0].key, recs[0].labels
(('d', 'index', 0), {'role': 'title'})
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from newslabel.errors import InputError
from newslabel.ingest.files import expand
from newslabel.labels.schema import TASKS, normalise
from newslabel.types import Page


@dataclass
class Annotation:
    key: tuple[str, str, int]  # (doc_id, "index" | "line", number)
    labels: dict[str, str]
    text: str | None = None
    origin: str = ""  # file:line, for error messages


def parse_annotation_lines(path: str, lines: Iterable[str]) -> list[Annotation]:
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON ({exc.msg} at column {exc.colno})", line=n) from None
        out.append(_annotation(path, n, rec))
    return out


def _annotation(path: str, n: int, rec: dict) -> Annotation:
    if not isinstance(rec, dict) or "doc_id" not in rec:
        raise InputError(path, "annotation has no 'doc_id'", line=n)
    by = "index" if rec.get("index") is not None else "line" if rec.get("line") is not None else None
    if by is None:
        raise InputError(path, "annotation has neither 'index' nor 'line'", line=n)
    labels = {}
    for task in TASKS:
        if rec.get(task) is not None:
            try:
                labels[task] = normalise(task, rec[task])
            except ValueError as exc:
                raise InputError(path, str(exc), line=n) from None
    return Annotation((str(rec["doc_id"]), by, int(rec[by])), labels, rec.get("text"), f"{path}:{n}")


def load_annotations(paths: Iterable[str]) -> list[Annotation]:
    """Annotations from JSONL files or Label Studio JSON exports (files, folders, globs)."""
    out: list[Annotation] = []
    for path in expand(paths, suffixes=(".jsonl", ".json")):
        text = Path(path).read_text(encoding="utf-8")
        if path.endswith(".json"):
            out.extend(from_label_studio(path, json.loads(text)))
        else:
            out.extend(parse_annotation_lines(path, text.splitlines()))
    return out


def from_label_studio(path: str, export: list[dict]) -> list[Annotation]:
    """Label Studio's JSON export of a text-classification project -> annotations.

    Each task's `data` carries `doc_id` and `index` or `line` (as `to_label_studio` writes
    them); each `choices` result's `from_name` names the label task (role, topic, stance,
    bias). The latest annotation that was not cancelled wins.
    """
    if not isinstance(export, list):
        raise InputError(path, "not a Label Studio JSON export (expected a list of tasks)")
    out = []
    for n, task in enumerate(export, start=1):
        done = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
        if not done:
            continue
        latest = max(done, key=lambda a: (a.get("updated_at") or a.get("created_at") or "", a.get("id", 0)))
        rec = dict(task.get("data", {}))
        for result in latest.get("result", []):
            choices = result.get("value", {}).get("choices")
            if result.get("type") == "choices" and choices and result.get("from_name") in TASKS:
                rec[result["from_name"]] = choices[0]
        out.append(_annotation(path, n, rec))
    return out


def to_label_studio(pages: Iterable[Page]) -> list[dict]:
    """Pages -> Label Studio tasks (import them with configs/label_studio.xml)."""
    return [
        {"data": {"doc_id": p.doc_id, "index": p.index, "line": p.line, "text": p.text, "title": page.title or ""}}
        for page in pages
        for p in page.passages
    ]


def apply_annotations(pages: list[Page], annotations: list[Annotation]) -> dict[tuple[str, int], dict[str, str]]:
    """Match annotations to passages -> {(doc_id, index): labels}; unmatched or drifted ones raise."""
    lookup = {}
    for page in pages:
        for p in page.passages:
            lookup[(page.doc_id, "index", p.index)] = p
            if p.line is not None:
                lookup[(page.doc_id, "line", p.line)] = p
    doc_ids = {page.doc_id for page in pages}
    gold: dict[tuple[str, int], dict[str, str]] = {}
    for ann in annotations:
        if ann.key[0] not in doc_ids:
            continue  # annotation for a page that is not in this corpus
        p = lookup.get(ann.key)
        if p is None:
            raise InputError(ann.origin, f"no passage at {ann.key[1]} {ann.key[2]} of page {ann.key[0]!r}")
        if ann.text is not None and ann.text.strip() != p.text:
            raise InputError(ann.origin, f"annotation text does not match passage {ann.key[1]} {ann.key[2]} of {ann.key[0]!r}")
        gold.setdefault((p.doc_id, p.index), {}).update(ann.labels)
    return gold
