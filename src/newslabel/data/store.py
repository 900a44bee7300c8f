"""Rows <-> Hugging Face datasets on disk: one DatasetDict a task and source, with its card and content digest."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

from newslabel.data.build import SPLITS
from newslabel.labels.schema import TASKS, label_set


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
