"""Datasets: pages + annotations + rules (or a public set's importer) -> one DatasetDict a task.

Splits are grouped (by site where known, else by page) and deterministic: groups are ordered
by a salted sha256 and dealt to test, then validation, until each holds its share of rows.
No group, and so no page, is on two sides. Each saved DatasetDict carries a dataset card
(README.md) and a content digest (digest.json) that training logs.

>>> assign_splits(["a", "a", "b", "c", "d"], test=0.2, validation=0.2, seed=0)
['train', 'train', 'train', 'validation', 'test']
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import apply_annotations, load_annotations
from .context import TemplateStats, page_context
from .corpus import read_pages
from .rules import RuleModel, apply_rules, rule_report
from .schema import NEWS_TEXT_ROLES, TASKS, label_set
from .stories import stance_contexts
from .types import InputError, Page

SPLITS = ("train", "validation", "test")
ROLE_COLUMNS = ("index", "line", "title", "site", "source_path", "tag", "tag_path", "class_tokens", "link_density")
MIN_RULE_CONFIDENCE = 0.6  # rule-labelled passages below this are left unlabelled


@dataclass
class BuildResult:
    rows: dict[str, dict[str, list[dict]]]  # task -> split -> rows
    errors: list[InputError] = field(default_factory=list)
    rule_report: list[dict] = field(default_factory=list)


def assign_splits(groups: list[str], test: float, validation: float, seed: int) -> list[str]:
    """Deal whole groups to test, then validation, then train, in salted-hash order."""
    sizes = Counter(groups)
    order = sorted(sizes, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
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


def digest(rows: dict[str, list[dict]]) -> str:
    """A content hash of a task's rows, split by split: the same data gives the same digest."""
    h = hashlib.sha256()
    for split in SPLITS:
        for row in rows.get(split, []):
            h.update(json.dumps(row, sort_keys=True, default=str).encode())
        h.update(b"\x00split\x00")
    return h.hexdigest()[:16]


def to_dataset_dict(task: str, rows: dict[str, list[dict]], label_names: tuple[str, ...] | None = None):
    from datasets import ClassLabel, Dataset, DatasetDict

    names = label_names or label_set(task).names
    out = {}
    for split in SPLITS:
        data = rows.get(split, [])
        columns = sorted({k for r in data for k in r}) or ["text", "label"]
        table = {c: [r.get(c) for r in data] for c in columns}
        ds = Dataset.from_dict(table)
        ds = ds.cast_column("label", ClassLabel(names=list(names))) if data else ds
        out[split] = ds
    # Empty splits (common for topic/stance/bias on small corpora) take the schema of a full one.
    ref = next((ds.features for ds in out.values() if ds.num_rows), None)
    if ref is not None:
        out = {s: ds.cast(ref) if ds.num_rows else Dataset.from_dict({c: [] for c in ref}, features=ref)
               for s, ds in out.items()}
    return DatasetDict(out)


def label_counts(rows: dict[str, list[dict]]) -> dict[str, Counter]:
    return {split: Counter(r["label"] for r in rows.get(split, [])) for split in SPLITS}


def save_task(task: str, source: str, rows: dict[str, list[dict]], out_dir: Path,
              label_names: tuple[str, ...] | None = None) -> dict:
    """Write the DatasetDict, its card and digest; return the summary that training logs."""
    names = label_names or tuple(sorted({r["label"] for s in rows.values() for r in s}, key=_label_order(task)))
    dsd = to_dataset_dict(task, rows, names)
    path = out_dir / task / source
    dsd.save_to_disk(str(path), num_shards={s: 1 for s, ds in dsd.items() if ds.num_rows == 0})
    counts = label_counts(rows)
    summary = {"task": task, "source": source, "digest": digest(rows), "labels": list(names),
               "counts": {s: dict(sorted(c.items())) for s, c in counts.items()},
               "pages": {s: len({r["doc_id"] for r in rows.get(s, [])}) for s in SPLITS}, "path": str(path)}
    (path / "digest.json").write_text(json.dumps(summary, indent=2))
    (path / "README.md").write_text(dataset_card(summary))
    return summary


def _label_order(task: str):
    known = TASKS[task].names if task in TASKS else ()
    return lambda name: (known.index(name) if name in known else len(known), name)


def dataset_card(summary: dict) -> str:
    lines = [f"# newslabel dataset: {summary['task']} from {summary['source']}", "",
             f"Content digest: `{summary['digest']}`. Splits are grouped by site or page (no page in two splits).", "",
             "| label | " + " | ".join(SPLITS) + " |", "|---|" + "---:|" * len(SPLITS)]
    for label in summary["labels"]:
        lines.append(f"| {label} | " + " | ".join(str(summary["counts"][s].get(label, 0)) for s in SPLITS) + " |")
    lines.append("| **total rows** | " + " | ".join(str(sum(summary["counts"][s].values())) for s in SPLITS) + " |")
    lines.append("| pages / groups | " + " | ".join(str(summary["pages"][s]) for s in SPLITS) + " |")
    return "\n".join(lines) + "\n"


def load_task(task: str, source: str, processed_dir: Path):
    """(DatasetDict, summary) saved by `save_task`."""
    from datasets import load_from_disk

    path = processed_dir / task / source
    if not (path / "digest.json").exists():
        raise FileNotFoundError(f"{path}: no dataset; build it with `python -m src.dataset data={source}`")
    return load_from_disk(str(path)), json.loads((path / "digest.json").read_text())


def group_rows_by_page(rows: list[dict]) -> dict[str, list[dict]]:
    pages = defaultdict(list)
    for r in rows:
        pages[r["doc_id"]].append(r)
    return pages


def build_source(data_cfg: dict, max_bytes: int) -> BuildResult:
    """Rows for a configured source: a folder of pages with annotations, or a public importer."""
    if data_cfg.get("mix"):
        return build_mix(data_cfg, max_bytes)
    if data_cfg.get("importer"):
        from .importers import IMPORTERS

        return BuildResult(IMPORTERS[data_cfg["importer"]](Path(data_cfg["root"])))
    pages, errors = read_pages(list(data_cfg["pages"]), max_bytes=max_bytes)
    result = build_from_pages(pages, list(data_cfg.get("annotations") or []), dict(data_cfg["split"]),
                              use_rules=bool(data_cfg.get("use_rules", True)))
    result.errors = errors
    return result


# -- the mix: several sources a task, each with its own splits ---------------------------------
MIX_COLUMNS = ("doc_id", "group", "source", "text", "headline", "context", "label", "label_source", "confidence")


def build_mix(data_cfg: dict, max_bytes: int, log=print) -> BuildResult:
    """Rows of every task from the sources listed under `mix` (configs/data/mix.yaml).

    Each source keeps its own train/validation/test rows (tagged with `source`); `max_train` (and
    `max_validation`) cap a big source by a hash of the group, so whole groups stay together. Train and
    validation rows whose text is in a test split of the task are dropped (MBIC repeats BABE's sentences;
    BABE repeats a few sentences across articles). A source with `train: false` is scored on its validation and test rows only. A missing data
    root or source folder is one line through `log`, never an error.
    """
    root = Path(data_cfg["root"])
    if not root.is_dir():
        log(f"data: {root} not found; topic, stance and bias train on the sample corpus only")
    sample = build_source(dict(data_cfg["sample"]), max_bytes)
    rows: dict[str, dict[str, list[dict]]] = {t: {s: [] for s in SPLITS} for t in data_cfg["tasks"]}
    imported: dict[str, dict] = {}
    for task in data_cfg["tasks"]:
        for spec in data_cfg["mix"].get(task) or []:
            spec = dict(spec)
            if spec["source"] == "sample":
                parts = sample.rows.get(task, {})
            else:
                parts = _import_source(spec, root, imported, log).get(task) if root.is_dir() else None
                if parts is None:
                    continue
            for split in SPLITS:
                if split == "train" and not spec.get("train", True):
                    continue  # scored on its held-out splits, not trained on (see the config's reason)
                cap = min([c for c in (spec.get(f"max_{split}"), data_cfg.get("limit")) if c] or [0])
                rows[task][split] += [_mix_row(r, spec["source"], task) for r in _cap(parts.get(split, []), cap)]
        if data_cfg.get("drop_test_texts", True) and task != "role":  # role: the sample's own rows, as before
            _drop_test_texts(rows[task], log, task)
    return BuildResult(rows, sample.errors, sample.rule_report)


def _import_source(spec: dict, root: Path, cache: dict, log) -> dict:
    from .importers import IMPORTERS

    folder = root / spec["folder"]
    if not folder.is_dir():
        log(f"data: {folder} not found; skipping {spec['source']}")
        return {}
    if spec["importer"] not in cache:
        cache[spec["importer"]] = IMPORTERS[spec["importer"]](folder, **dict(spec.get("options") or {}))
    return cache[spec["importer"]]


def _cap(rows: list[dict], cap: int) -> list[dict]:
    """At most `cap` rows (0: all), chosen by a hash of the group so that groups stay whole."""
    if not cap or len(rows) <= cap:
        return rows
    order = sorted({r["group"] for r in rows}, key=lambda g: hashlib.sha256(str(g).encode()).hexdigest())
    size = Counter(r["group"] for r in rows)
    keep, n = set(), 0
    for g in order:
        if n >= cap:
            break
        keep.add(g)
        n += size[g]
    return [r for r in rows if r["group"] in keep]


def _mix_row(row: dict, source: str, task: str) -> dict:
    if task == "role":  # role reads the page context columns: its rows stay as the sample builds them
        return {**row, "source": source}
    out = {c: row.get(c) for c in MIX_COLUMNS if c not in ("source", "headline", "context")}
    out.update(source=source, group=f"{source}:{row['group']}", label_source=row.get("label_source", "gold"),
               confidence=float(row.get("confidence", 1.0)))
    if task == "stance":
        out["headline"] = row.get("headline") or ""
        out["context"] = row.get("context") or row["text"]
    return out


def _drop_test_texts(rows: dict[str, list[dict]], log, task: str) -> None:
    def key(r):  # a stance item is the pair: FNC-1 pairs one body with many headlines
        return (_norm_text(r.get("headline") or ""), _norm_text(r["text"])) if task == "stance" else _norm_text(r["text"])

    test = {key(r) for r in rows["test"]}
    for split in ("train", "validation"):
        before = len(rows[split])
        rows[split] = [r for r in rows[split] if key(r) not in test]
        if before - len(rows[split]):
            log(f"data: {task} {split}: dropped {before - len(rows[split])} rows whose text is in a test split")


def _norm_text(text: str) -> str:
    return " ".join(str(text).lower().split())
