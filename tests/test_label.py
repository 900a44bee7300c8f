"""Batch labelling: the CLI's output schema, bad inputs, and resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _trained import REPO

from newslabel.bench.procs import alive, children
from newslabel.predict.batch import read_progress
from newslabel.types import PASSAGE_FIELDS

SAMPLE = REPO / "tests" / "fixtures" / "unseen"
ARTICLE_FIELDS = {"doc_id", "source_path", "title", "source", "date", "author", "site_name", "url", "language",
                  "body_text", "topic", "role_counts", "stories", "model_version"}


@pytest.fixture(scope="module")
def store(trained):
    return trained.mlruns


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
        f"error: {inputs / 'binary.html'}: binary data (33.3% control characters), not text or HTML",
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
    usage = run_label(store, str(inputs), cwd=tmp_path)  # no --out
    assert usage.returncode == 2 and "Missing option '--out'" in usage.stderr
    res = run_label(store, str(inputs), "--out", str(tmp_path / "x.jsonl"), "--model", "models:/nope@champion",
                    cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.startswith("error: models:/nope@champion: cannot load model (")
    assert not (tmp_path / "x.jsonl").exists()


def test_a_page_the_model_fails_on_is_one_error_and_the_rest_is_labelled(inputs, monkeypatch):
    from newslabel.predict import pool

    class Flaky:  # stands in for the loaded models: fails on one page, labels the others
        model_version = "role:1"

        def label(self, page):
            if page.doc_id == "pressline-01":
                raise ValueError("X has 0 features\nsecond line of the traceback message")
            return {"passages": [{f: None for f in PASSAGE_FIELDS}], "doc_id": page.doc_id}

    monkeypatch.setattr(pool, "_LABELLER", Flaky())
    results = [r for f in sorted(inputs.glob("*-01.txt")) for r in pool.label_file(str(f), 1 << 20, frozenset())]
    failed = [o.result for o in results if o.rows is None]
    assert failed == [f"{inputs / 'pressline-01.txt'}: page pressline-01: labelling failed: ValueError: X has 0 "
                      "features"]
    assert [o.result["doc_id"] for o in results if o.rows is not None] == ["coastal-ledger-01", "dailyscope-01"]


# -- robustness (issue 16) ------------------------------------------------------------------------------
class _Stub:
    """Stands in for the loaded models: one row a passage; `slow` pages sleep, the `killer` page kills its
    process as the OOM killer would."""

    model_version = "role:1"

    def label(self, page):
        if page.doc_id == "slow":
            time.sleep(5)
        if page.doc_id == "killer":
            os.kill(os.getpid(), signal.SIGKILL)
        return {"doc_id": page.doc_id, "passages": [{f: getattr(p, f, None) for f in PASSAGE_FIELDS}
                                                    for p in page.passages]}


def _pages(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(f"Headline of the {name} page\nOne body line about {name}.\n",
                                            encoding="utf-8")
    return [folder / f"{n}.txt" for n in names]


def test_a_page_over_the_time_limit_is_one_error_and_the_rest_is_labelled(tmp_path, monkeypatch):
    from newslabel.predict import pool

    monkeypatch.setattr(pool, "_LABELLER", _Stub())
    files = _pages(tmp_path, ["fast", "slow"])
    started = time.perf_counter()
    outcomes = [o for f in files for o in pool.label_file(str(f), 1 << 20, frozenset(), page_timeout=0.3)]
    assert time.perf_counter() - started < 2
    assert [(o.key.split("\t")[1], o.rows is None) for o in outcomes] == [("fast", False), ("slow", True)]
    assert outcomes[1].result == (f"{files[1]}: page slow: over the 0.3 s time limit for a page "
                                  "(label.page_timeout_s); not labelled")


def test_a_dead_worker_is_one_line_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    from newslabel.predict import batch, load

    monkeypatch.setattr(load, "load_labeller", lambda model=None: _Stub())  # forked workers inherit it
    files = _pages(tmp_path / "in", ["a", "b", "killer", "c", "d"])
    out = tmp_path / "labels.jsonl"
    res = batch.run_batch([str(tmp_path / "in")], out, None, None, 2, 1 << 20, progress_bar=False)
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    killer = files[2]
    assert errors[0].startswith("error: a worker process died (killed by SIGKILL) while labelling ")
    assert str(killer) in errors[0] and errors[0].endswith("; retrying them one at a time on a fresh pool")
    assert errors[1:] == [f"error: {killer}: the worker labelling it died again (killed by SIGKILL); not labelled"]
    assert (res.pages, res.failed) == (4, 1)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((r["doc_id"], r["index"]) for r in rows) == [(p, i) for p in "abcd" for i in (0, 1)]


def test_a_second_run_into_the_same_out_refuses(store, inputs, tmp_path):
    from newslabel.predict.batch import out_lock

    out = tmp_path / "labels.jsonl"
    with out_lock(out):
        res = run_label(store, str(inputs), "--out", str(out), "-j", "1", cwd=tmp_path)
    assert res.returncode == 3
    assert res.stderr.splitlines() == [
        f"error: {out}: another run is writing it (pid {os.getpid()} holds {out}.lock); not started"]
    assert not out.exists()


def test_torn_done_line_is_repaired_and_a_lost_output_is_relabelled(store, inputs, tmp_path):
    out = tmp_path / "labels.jsonl"
    pages = [str(inputs / "dailyscope-01.txt"), str(inputs / "pressline-01.txt")]
    assert run_label(store, *pages, "--out", str(out), "-j", "1", cwd=tmp_path).returncode == 0
    full, done = out.read_bytes(), Path(f"{out}.done")
    lines = done.read_bytes().splitlines(keepends=True)
    done.write_bytes(lines[0] + lines[1][:20])  # killed while writing the second page's progress line
    again = run_label(store, *pages, "--out", str(out), "-j", "1", cwd=tmp_path)
    assert again.stderr.splitlines()[-1] == f"labelled 1 pages (48 passages) into {out}; 0 failed"
    assert out.read_bytes() == full
    assert [json.loads(line)["key"].split("\t")[1] for line in done.read_text().splitlines()] == [
        "dailyscope-01", "pressline-01"]
    out.unlink()  # the outputs are gone but the progress file is not: nothing may count as done
    third = run_label(store, *pages, "--out", str(out), "-j", "1", cwd=tmp_path)
    assert third.stderr.splitlines()[-1] == f"labelled 2 pages (99 passages) into {out}; 0 failed"
    assert out.read_bytes() == full


def _start_and_wait_for_work(store: Path, folder: Path, out: Path) -> tuple[subprocess.Popen, list[int]]:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "NEWSLABEL_MLRUNS": str(store)}
    proc = subprocess.Popen([sys.executable, "-m", "src.label", str(folder), "--out", str(out), "-j", "2"],
                            cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    done = Path(f"{out}.done")
    before = done.stat().st_size if done.exists() else 0
    deadline = time.time() + 180
    while time.time() < deadline and not (done.exists() and done.stat().st_size > before):  # a page written now
        time.sleep(0.1)
    workers = children(proc.pid)
    assert len(workers) == 2, workers
    return proc, workers


def _many(tmp_path: Path) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    text = (SAMPLE / "dailyscope-01.txt").read_text(encoding="utf-8")
    for i in range(60):
        (folder / f"page-{i:02d}.txt").write_text(text.replace("\n", f" {i}\n", 1), encoding="utf-8")
    return folder


def test_sigterm_stops_the_workers_with_the_leader_and_sigkill_too(store, tmp_path):
    folder, out = _many(tmp_path), tmp_path / "labels.jsonl"
    proc, workers = _start_and_wait_for_work(store, folder, out)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 3
    time.sleep(0.5)
    assert [w for w in workers if alive(w)] == []
    last = proc.stderr.read().splitlines()[-1]
    assert last.startswith("error: interrupted by SIGTERM: ") and last.endswith(
        " pages labelled this run; rerun the same command to resume")
    proc, workers = _start_and_wait_for_work(store, folder, out)  # resumes; then SIGKILL, as the OOM killer would
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.time() + 5
    while time.time() < deadline and any(alive(w) for w in workers):
        time.sleep(0.1)
    assert [w for w in workers if alive(w)] == []
    final = run_label(store, str(folder), "--out", str(out), "-j", "2", cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted({r["doc_id"] for r in rows}) == [f"page-{i:02d}" for i in range(60)]
    assert len(rows) == len({(r["doc_id"], r["index"]) for r in rows}) == 60 * 51  # dailyscope-01: 51 passages


@pytest.mark.parametrize(("page", "reason"), [
    (None, "no page: got None, not a str of text or HTML"),
    (b"<p>Bytes</p>", "page is bytes, not str: decode it first (e.g. data.decode('utf-8'))"),
    (42, "page is int, not a str of text or HTML"),
    ("  \n ", "empty page"),
    ("\x89PNG\x01\x02\x03\x04\x05\x06\x07\x08 garbage", "binary data (40.0% control characters), not text or HTML"),
    ("A fine first line\n" * 1000 + "\x00", "binary data (contains NUL characters, the first at character 18,000), "
                                            "not text or HTML"),
    ("<html><body><p>Cut in the mid", "truncated HTML: ends in the middle of text ('<p>Cut in the mid')"),
])
def test_label_page_rejects_what_is_not_a_page_in_one_line(page, reason):
    from newslabel.errors import InputError
    from newslabel.predict.labeller import Labeller

    with pytest.raises(InputError) as exc:
        Labeller(models={}).label_page(page, doc_id="p1")  # checked before any model is used
    assert str(exc.value) == f"p1: {reason}"


def test_label_page_drops_a_stray_nul_in_html_and_says_so(store):
    from newslabel import load_labeller
    from newslabel.errors import InputWarning

    page = ("<html><head><title>Harbour wall repairs agreed</title>" + "<!-- a long head -->" * 50 + "</head>"
            "<body><h1>Harbour wall repairs agreed</h1>"
            "<p>The council met again on Tuesday to talk about the harbour wall.\x00 It agreed to pay for repairs.</p>"
            "</body></html>")
    with pytest.warns(InputWarning) as said:
        out = load_labeller(mlruns=store).label_page(page, doc_id="p1")
    assert [str(w.message) for w in said] == [
        "p1: 1 NUL character dropped (the first at character 1,170), as an HTML parser does"]
    assert [p["text"] for p in out["passages"]] == [
        "Harbour wall repairs agreed", "The council met again on Tuesday to talk about the harbour wall. It agreed to "
        "pay for repairs."]


def test_label_page_splits_a_long_line_at_the_passage_cap(store):
    from newslabel import load_labeller

    sentence = "The council met again on Tuesday to talk about the harbour wall. "  # 65 characters
    page = load_labeller(mlruns=store).label_page("Harbour wall repairs agreed after a long night\n" + sentence * 760)
    assert [(p["line"], len(p["text"])) for p in page["passages"]] == [(1, 46)] + [(2, 76 * 65 - 1)] * 10
