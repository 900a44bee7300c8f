"""The labels of the shared test training's labeller on the seed, the sample corpus and the unseen fixtures,
against tests/fixtures/snapshot/labels.json: a refactor must not change a single label.

The snapshot was written before the package moved into its pipeline folders (issue 17), by this test with
NEWSLABEL_WRITE_SNAPSHOT=1. It keeps labels only (no page text, no scores, whose last digit may move):
a hash of the page's title, its topic and stories, and each passage's role, topic, stance and bias.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from _trained import REPO, trained_sample

SNAPSHOT = REPO / "tests" / "fixtures" / "snapshot" / "labels.json"
SEED = REPO.parent / "shared" / "seeds" / "000_0eff458de775143f.txt"


def pages() -> dict[str, Path]:
    sample = sorted((REPO / "data" / "sample" / "pages").glob("*/*.*"))
    unseen = sorted((REPO / "tests" / "fixtures" / "unseen").glob("*.txt"))
    out = {f"sample/{p.name}": p for p in sample} | {f"unseen/{p.name}": p for p in unseen}
    return out | ({"seed": SEED} if SEED.is_file() else {})


def labels(page: dict) -> dict:
    stories = [{k: s.get(k) for k in ("lines", "topic", "stance")} for s in page["stories"]]
    passages = [[p["line"], p["role"], p["topic"], p["stance"], p["bias"]] for p in page["passages"]]
    title = hashlib.sha1((page["title"] or "").encode()).hexdigest()[:12]  # which line won, not its words
    return {"title": title, "topic": page["topic"], "stories": stories, "passages": passages}


def dump(snapshot: dict) -> str:
    """JSON with a line a passage, so that a changed label is a one-line diff."""
    pages = []
    for key, page in snapshot.items():
        head = json.dumps({k: v for k, v in page.items() if k != "passages"}, ensure_ascii=False)[:-1]
        rows = ",\n  ".join(json.dumps(r, ensure_ascii=False) for r in page["passages"])
        pages.append(f"{json.dumps(key)}: {head}, \"passages\": [\n  {rows}]}}")
    return "{\n" + ",\n".join(pages) + "\n}\n"


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> dict:
    from newslabel import load_labeller

    labeller = load_labeller(mlruns=trained_sample(tmp_path_factory).mlruns)
    return {key: labels(labeller.label_page(path.read_text(encoding="utf-8"), doc_id=path.stem))
            for key, path in pages().items()}


def test_labels_match_the_snapshot(labelled):
    if os.environ.get("NEWSLABEL_WRITE_SNAPSHOT") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(dump(labelled), encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert len(labelled) >= 45 and set(labelled) <= set(expected)
    for key, got in labelled.items():
        assert got == expected[key], key
