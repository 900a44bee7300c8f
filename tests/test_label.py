"""Batch labelling: the CLI's output schema, bad inputs, and resume after a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _trained import REPO, trained_sample

from newslabel.label import PASSAGE_FIELDS, read_progress

SAMPLE = REPO / "tests" / "fixtures" / "unseen"
ARTICLE_FIELDS = {"doc_id", "source_path", "title", "source", "date", "url", "body_text", "topic", "role_counts", "stories",
                  "model_version"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return trained_sample(tmp_path_factory).mlruns


def run_label(store: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "NEWSLABEL_MLRUNS": str(store)}
    return subprocess.run([sys.executable, "-m", "src.label", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture()
def inputs(tmp_path):
    pages = tmp_path / "in"
    pages.mkdir()
    for name in ("dailyscope-01", "pressline-01", "coastal-ledger-01"):
        (pages / f"{name}.txt").write_text((SAMPLE / f"{name}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (pages / "empty.txt").write_bytes(b"")
    (pages / "binary.html").write_bytes(b"\x00\x01\x02PNG" * 50)
    return pages


def test_cli_output_schema_and_failures(store, inputs, tmp_path):
    out, arts = tmp_path / "labels.jsonl", tmp_path / "articles.jsonl"
    res = run_label(store, str(inputs), "--out", str(out), "--articles", str(arts), "-j", "1", cwd=tmp_path)
    assert res.returncode == 1
    errors = [line for line in res.stderr.splitlines() if line.startswith("error: ")]
    assert sorted(errors) == sorted([
        f"error: {inputs / 'binary.html'}: binary file (contains NUL bytes), not text or HTML",
        f"error: {inputs / 'empty.txt'}: empty file",
    ])
    assert res.stderr.strip().splitlines()[-1] == f"labelled 3 pages (136 passages) into {out}; 2 failed"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 136 and all(set(r) == set(PASSAGE_FIELDS) for r in rows)
    assert {r["doc_id"] for r in rows} == {"dailyscope-01", "pressline-01", "coastal-ledger-01"}
    pages = [json.loads(line) for line in arts.read_text().splitlines()]
    assert [set(p) for p in pages] == [ARTICLE_FIELDS] * 3
    assert sum(pages[0]["role_counts"].values()) == 37  # coastal-ledger-01 comes first (sorted paths)


def test_rerun_resumes_after_a_kill(store, inputs, tmp_path):
    out = tmp_path / "labels.jsonl"
    first = run_label(store, str(inputs / "dailyscope-01.txt"), str(inputs / "pressline-01.txt"), "--out", str(out),
                      "-j", "1", cwd=tmp_path)
    assert first.returncode == 0
    full = out.read_text().splitlines()
    # A kill in the middle of the second page: its lines are half written, the last one torn.
    done = read_progress(out)
    first_page_end = json.loads(Path(f"{out}.done").read_text().splitlines()[0])["out"]
    with out.open("r+b") as fh:
        fh.truncate(first_page_end + 300)
    Path(f"{out}.done").write_text(Path(f"{out}.done").read_text().splitlines()[0] + "\n")
    assert len(done.done) == 2
    again = run_label(store, str(inputs / "dailyscope-01.txt"), str(inputs / "pressline-01.txt"), "--out", str(out),
                      "-j", "1", cwd=tmp_path)
    assert again.returncode == 0
    assert again.stderr.strip().splitlines()[-1] == f"labelled 1 pages (48 passages) into {out}; 0 failed"
    assert out.read_text().splitlines() == full
    third = run_label(store, str(inputs / "dailyscope-01.txt"), str(inputs / "pressline-01.txt"), "--out", str(out),
                      cwd=tmp_path)
    assert third.stderr.strip().splitlines()[-1] == f"labelled 0 pages (0 passages) into {out}; 0 failed"


def test_unknown_model_is_one_line_and_exit_2(store, inputs, tmp_path):
    res = run_label(store, str(inputs), "--out", str(tmp_path / "x.jsonl"), "--model", "models:/nope@champion",
                    cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith("error: models:/nope@champion: cannot load model (")
    assert not (tmp_path / "x.jsonl").exists()


def test_a_page_the_model_fails_on_is_one_error_and_the_rest_is_labelled(inputs, monkeypatch):
    from newslabel import label as label_mod

    class Flaky:  # stands in for the loaded models: fails on one page, labels the others
        model_version = "role:1"

        def label(self, page):
            if page.doc_id == "pressline-01":
                raise ValueError("X has 0 features\nsecond line of the traceback message")
            return {"passages": [{f: None for f in PASSAGE_FIELDS}], "doc_id": page.doc_id}

    monkeypatch.setattr(label_mod, "_LABELLER", Flaky())
    results = [r for f in sorted(inputs.glob("*-01.txt")) for r in label_mod.label_file(str(f), 1 << 20, frozenset())]
    failed = [msg for _, rows, msg in results if rows is None]
    assert failed == [f"{inputs / 'pressline-01.txt'}: page pressline-01: labelling failed: ValueError: X has 0 "
                      "features"]
    assert [msg["doc_id"] for _, rows, msg in results if rows is not None] == ["coastal-ledger-01", "dailyscope-01"]
