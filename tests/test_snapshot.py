"""The labels of the shared test training's labeller on the seed, the sample corpus and the unseen fixtures,
against tests/fixtures/snapshot/labels.json: a refactor must not change a label (near-ties aside, below).

The snapshot was written before the package moved into its pipeline folders (issue 17), by this test with
NEWSLABEL_WRITE_SNAPSHOT=1. It keeps labels only (no page text, no scores, whose last digit may move):
a hash of the page's title, its topic and stories, and each passage's role, topic, stance and bias.

The same training on another CPU (OpenBLAS and numpy pick their kernels per CPU) ends a few 1e-4 away in
probability, which flips a decision that was a near-tie: on b65840f a teaser story of the-ledger-review-03 is
`religion` in the snapshot, written on one machine, and `sport` on another (sport 0.14882, religion 0.14823 there).
Another, in coastal-ledger-01, moved in the same way. So a label that differs from the
snapshot is accepted where this run's decision for it was a near-tie (its two best classes within TIE_MARGIN),
a few of them at most (MAX_TIES); every other difference fails.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from _trained import REPO

SNAPSHOT = REPO / "tests" / "fixtures" / "snapshot" / "labels.json"
SEED = REPO.parent / "shared" / "seeds" / "000_0eff458de775143f.txt"
TIE_MARGIN = 0.01  # a decision whose two best probabilities are closer than this may go either way on another CPU
MAX_TIES = 6       # near-tie differences accepted in the whole snapshot; more is a change, not rounding
FIELDS = ("line", "role", "topic", "stance", "bias")


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
def labelled(trained) -> dict:
    """{page key: (its labels, the labeller's output, the (task, text) of its near-tie decisions)}."""
    import newslabel.predict.labeller as labeller_module
    from newslabel import load_labeller

    labeller = load_labeller(mlruns=trained.mlruns)
    decide, ties = labeller_module.decide, set()

    def recording_decide(model, frame):
        task = next(t for t, m in labeller.models.items() if m is model)
        top2 = np.sort(model.predict_proba(frame), axis=1)[:, -2:]
        ties.update((task, text) for text, (b, a) in zip(frame["text"], top2) if a - b < TIE_MARGIN)
        return decide(model, frame)

    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(labeller_module, "decide", recording_decide)
        for key, path in pages().items():
            ties = set()
            page = labeller.label_page(path.read_text(encoding="utf-8"), doc_id=path.stem)
            out[key] = (labels(page), page, ties)
    return out


def differences(got: dict, expected: dict, page: dict, ties: set) -> tuple[list[str], list[str]]:
    """(differences that fail, near-tie differences accepted) between a page's labels and its snapshot."""
    def tie(task: str, text: str) -> bool:
        return any(t == task and text and text in tied for t, tied in ties)

    failing, accepted = [], []
    rows = list(zip(page["passages"], got["passages"], expected["passages"]))
    moved = [b[0] for p, a, b in rows if a[1] != b[1] and tie("role", p["text"])]
    if moved and len(got["passages"]) == len(expected["passages"]):  # the page's other labels follow from roles
        return [], [f"line {line} role: a near-tie" for line in moved]
    for what, a, b in (("title", got["title"], expected["title"]), ("topic", got["topic"], expected["topic"])):
        if a != b:
            (accepted if what == "topic" and any(t == "topic" for t, _ in ties) else failing).append(f"{what} {b} -> {a}")
    if len(got["stories"]) != len(expected["stories"]) or len(got["passages"]) != len(expected["passages"]):
        return failing + ["stories or passages differ in number"], accepted
    for s, a, b in zip(page["stories"], got["stories"], expected["stories"]):
        for field in ("lines", "topic", "stance"):
            if a[field] != b[field]:
                ok = field != "lines" and tie(field, s["text"])
                (accepted if ok else failing).append(f"story {b['lines']} {field} {b[field]} -> {a[field]}")
    for p, a, b in rows:
        for field, x, y in zip(FIELDS, a, b):
            if x != y:
                ok = field in ("topic", "stance", "bias") and tie(field, p["text"])
                (accepted if ok else failing).append(f"line {b[0]} {field} {y} -> {x}")
    return failing, accepted


def test_labels_match_the_snapshot(labelled):
    if os.environ.get("NEWSLABEL_WRITE_SNAPSHOT") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(dump({key: got for key, (got, _, _) in labelled.items()}), encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert len(labelled) >= 45 and set(labelled) <= set(expected)
    failing, accepted = [], []
    for key, (got, page, ties) in labelled.items():
        f, a = differences(got, expected[key], page, ties)
        failing += [f"{key}: {d}" for d in f]
        accepted += [f"{key}: {d}" for d in a]
    assert not failing, "\n".join(failing)
    assert len(accepted) <= MAX_TIES, "\n".join(accepted)
