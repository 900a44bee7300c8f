"""Datasets: pages + annotations + rules (or a public set's importer) -> one DatasetDict a task.

Splits are grouped (by site where known, else by page) and deterministic: groups are ordered
by a salted sha256 and dealt to test, then validation, until each holds its share of rows.
No group, and so no page, is on two sides. Each saved DatasetDict carries a dataset card
(README.md) and a content digest (digest.json) that training logs.

>>> assign_splits(["a", "a", "b", "c", "d"], test=0.2, validation=0.2, seed=0)
['train', 'train', 'train', 'validation', 'test']
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from newslabel import hashing
from newslabel.errors import InputError
from newslabel.labels.annotations import apply_annotations, load_annotations
from newslabel.labels.context import TemplateStats, page_context
from newslabel.labels.rules import RuleModel, apply_rules, rule_report
from newslabel.labels.schema import NEWS_TEXT_ROLES, TASKS
from newslabel.labels.stories import stance_contexts
from newslabel.types import Page

SPLITS = ("train", "validation", "test")
ROLE_COLUMNS = ("index", "line", "title", "site", "source_path", "tag", "tag_path", "class_tokens", "link_density",
                "depth", "blocks")
MIN_RULE_CONFIDENCE = 0.6  # rule-labelled passages below this are left unlabelled


@dataclass
class BuildResult:
    rows: dict[str, dict[str, list[dict]]]  # task -> split -> rows
    errors: list[InputError] = field(default_factory=list)
    rule_report: list[dict] = field(default_factory=list)


def assign_splits(groups: list[str], test: float, validation: float, seed: int) -> list[str]:
    """Deal whole groups to test, then validation, then train, in salted-hash order."""
    sizes = Counter(groups)
    order = sorted(sizes, key=lambda g: hashing.digest(f"{seed}:{g}"))
    total, taken, where = len(groups), Counter(), {}
    for g in order:
        for split, share in (("test", test), ("validation", validation)):
            if taken[split] < share * total and taken[split] + sizes[g] <= max(share * total * 1.5, 1):
                where[g] = split
                taken[split] += sizes[g]
                break
        else:
            where[g] = "train"
    return [where[g] for g in groups]


def build_from_pages(pages: list[Page], annotation_paths: list[str], split_cfg: dict,
                     use_rules: bool = True) -> BuildResult:
    """Label every passage (gold first, else the rule vote) and split pages by site or page."""
    gold = apply_annotations(pages, load_annotations(annotation_paths)) if annotation_paths else {}
    group_of = {p.doc_id: (p.site if split_cfg.get("by", "site") == "site" else p.doc_id) for p in pages}
    page_split = dict(zip(group_of, assign_splits(list(group_of.values()), split_cfg["test"],
                                                  split_cfg["validation"], split_cfg["seed"])))
    records = {p.doc_id: p.records() for p in pages}
    stats = TemplateStats.from_pages([[r["text"] for r in recs] for recs in records.values()],
                                     [p.site or "" for p in pages])
    votes = {doc: apply_rules(page_context(recs, stats)) for doc, recs in records.items()}

    def gold_roles(docs):
        return [(v, gold.get((d, i), {}).get("role")) for d in docs for i, v in enumerate(votes[d])]

    train_pairs = gold_roles([d for d in records if page_split[d] == "train"])
    model = RuleModel().fit([v for v, _ in train_pairs], [g for _, g in train_pairs])
    all_pairs = gold_roles(list(records))
    splits = [page_split[d] for d in records for _ in votes[d]]  # weights from train gold, accuracy on validation's
    report = rule_report([v for v, _ in all_pairs], [g for _, g in all_pairs], model, splits)

    rows: dict[str, dict[str, list[dict]]] = {t: {s: [] for s in SPLITS} for t in TASKS}
    for doc, recs in records.items():
        headline = gold_title(recs, gold)
        contexts = stance_contexts([gold.get((doc, r["index"]), {}).get("role") for r in recs], [r["text"] for r in recs])
        for rec, fired, context in zip(recs, votes[doc], contexts):
            labels = gold.get((doc, rec["index"]), {})
            for task, row in _task_rows(rec, labels, fired, model, use_rules, group_of[doc], headline,
                                        context).items():
                rows[task][page_split[doc]].append(row)
    return BuildResult(rows, rule_report=report)


def gold_title(recs: list[dict], gold: dict) -> str | None:
    """The text of a page's first passage annotated `title`: stance's headline, where the annotator marked one
    (the text-dump title heuristic picks a promo or a byline on some layouts)."""
    return next((r["text"] for r in recs if gold.get((r["doc_id"], r["index"]), {}).get("role") == "title"), None)


def _task_rows(rec: dict, labels: dict, fired: dict, model: RuleModel, use_rules: bool, group: str,
               headline: str | None = None, context: str | None = None) -> dict:
    base = {"doc_id": rec["doc_id"], "group": group, "text": rec["text"]}
    out = {}
    role, source, conf = labels.get("role"), "gold", 1.0
    if role is None and use_rules:
        role, conf = model.predict_one(fired)
        top = max((n for n, lab in fired.items() if lab == role), key=model.weight, default="vote")
        source = f"rule:{top}"
        if conf < MIN_RULE_CONFIDENCE:
            role = None
    if role is not None:
        out["role"] = {**base, **{c: rec.get(c) for c in ROLE_COLUMNS}, "label": role, "label_source": source,
                       "confidence": round(conf, 4)}
    if role in NEWS_TEXT_ROLES or role is None:
        for task in ("topic", "stance", "bias"):
            if labels.get(task):
                extra = ({"headline": headline or rec.get("title") or "", "context": context or rec["text"]}
                         if task == "stance" else {})
                out[task] = {**base, **extra, "label": labels[task], "label_source": "gold", "confidence": 1.0}
    return out
