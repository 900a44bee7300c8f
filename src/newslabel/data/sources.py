"""A configured source -> rows: a folder of pages with annotations, one public importer, or the mix of several
sources a task (configs/data/mix.yaml), each keeping its own splits."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from omegaconf import OmegaConf

from newslabel import hashing
from newslabel.data.build import SPLITS, BuildResult, build_from_pages
from newslabel.data.store import save_task
from newslabel.ingest.corpus import read_pages

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
        log(f"data: {root} not found; {', '.join(data_cfg['tasks'])} train on the sample corpus only")
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
    from newslabel.data.importers.registry import IMPORTERS

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
    order = hashing.by_digest({r["group"] for r in rows})
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


def build_source(data_cfg: dict, max_bytes: int) -> BuildResult:
    """Rows for a configured source: a folder of pages with annotations, or a public importer."""
    if data_cfg.get("mix"):
        return build_mix(data_cfg, max_bytes)
    if data_cfg.get("importer"):
        from newslabel.data.importers.registry import IMPORTERS

        return BuildResult(IMPORTERS[data_cfg["importer"]](Path(data_cfg["root"])))
    pages, errors = read_pages(list(data_cfg["pages"]), max_bytes=max_bytes)
    result = build_from_pages(pages, list(data_cfg.get("annotations") or []), dict(data_cfg["split"]),
                              use_rules=bool(data_cfg.get("use_rules", True)))
    result.errors = errors
    return result


@dataclass
class Built:
    summaries: dict[str, dict]  # task -> the saved dataset's summary (data.store.save_task)
    errors: list  # one InputError an input that could not be read
    rule_report: list[dict]
    rule_report_path: Path | None


def build_and_save(cfg) -> Built:
    """Build every task of `cfg.data` and save it under `cfg.paths.processed` (with the rule report, if any)."""
    data = OmegaConf.to_container(cfg.data, resolve=True)
    result = build_source(data, int(cfg.ingest.max_bytes))
    out_dir = Path(cfg.paths.processed)
    summaries = {task: save_task(task, data["name"], rows, out_dir) for task, rows in result.rows.items()
                 if task in data["tasks"] and any(rows.values())}
    report_path = None
    if result.rule_report:
        report_path = out_dir / "rules" / data["name"] / "report.json"
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(result.rule_report, indent=2))
    return Built(summaries, result.errors, result.rule_report, report_path)
