"""The Spark engine (`python -m src.label --engine spark`): the local engine's passages, and error rows for bad pages.

Needs pyspark (`pip install -e '.[spark]'`) and Java 17+; skipped with the reason where either is missing,
except the first test, which checks the per-page wrapper model without Spark.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _trained import REPO

from newslabel.serve.spark import spark_problem
from newslabel.types import PAGE_FIELDS, PASSAGE_FIELDS

SPARK_PROBLEM = spark_problem()
needs_spark = pytest.mark.skipif(SPARK_PROBLEM is not None, reason=f"Spark engine cannot run here: {SPARK_PROBLEM}")
N_PAGES = 100
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
MODEL = "models:/newslabel@champion"
BINARY_TEXT = bytes(range(256)).decode("latin-1") * 8  # 13% control characters
BAD = [{"id": "bad-empty", "text": ""}, {"id": "bad-binary", "text": BINARY_TEXT}]
BAD_ERRORS = {"bad-empty": "bad-empty: empty page",
              "bad-binary": "bad-binary: binary data (contains NUL characters, the first at character 0), not text or HTML"}
LABELS = ("doc_id", "source_path", "index", "line", "text", "role", "is_body", "topic", "stance", "bias",
          "model_version")
SCORES = ("role_score", "topic_score", "stance_score", "bias_score")


def _generator():
    spec = importlib.util.spec_from_file_location("spark_vs_local", REPO / "benchmarks" / "spark_vs_local.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def store(trained) -> Path:
    return trained.mlruns


def label(store: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "NEWSLABEL_MLRUNS": str(store),
           "MLFLOW_TRACKING_URI": f"sqlite:///{store.resolve() / 'mlflow.db'}"}
    return subprocess.run([sys.executable, "-m", "src.label", *args, "--model", MODEL], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def key(row: dict) -> tuple:
    return tuple(row[f] for f in LABELS) + tuple(None if row[s] is None else round(row[s], 4) for s in SCORES)


def spark_rows(folder: Path) -> list[dict]:
    frame = pd.read_parquet(folder)
    frame = frame.astype(object).where(frame.notna(), None)
    rows = frame.to_dict("records")
    for r in rows:
        for f in ("index", "line"):
            r[f] = None if r[f] is None else int(r[f])
    return rows


def test_pages_model_answers_one_row_a_page(store, tmp_path):
    """The wrapper spark_udf runs: one row a page, the pyfunc's passages, error rows instead of exceptions."""
    import mlflow.pyfunc

    from newslabel.serve.spark import save_pages_model
    from newslabel.tracking import store as tracking

    tracking.configure(store)
    model = mlflow.pyfunc.load_model(str(save_pages_model(MODEL, tmp_path)))
    page = (REPO / "tests" / "fixtures" / "unseen" / "dailyscope-01.txt").read_text(encoding="utf-8")
    frame = pd.DataFrame([{"id": "good", "text": page, "url": None, "bad": None}, *[{**b, "bad": None} for b in BAD],
                          {"id": None, "text": None, "url": None, "bad": "x.jsonl: not valid JSON: {oops"}])
    out = model.predict(frame)
    assert list(out.columns) == ["passages"] and len(out) == 4
    good, empty, binary, corrupt = out["passages"]
    expected = model.unwrap_python_model().newslabel.predict(None, pd.DataFrame([{"id": "good", "text": page}]))
    assert good == expected.to_dict("records") and len(good) > 30
    assert [r["error"] for r in empty + binary] == list(BAD_ERRORS.values())
    assert corrupt == [{**dict.fromkeys(good[0]), "error": "x.jsonl: not valid JSON: {oops"}]


@pytest.fixture(scope="module")
def engines(store, tmp_path_factory):
    """The same pages (N_PAGES generated, 2 bad records, 2 good ones) labelled by the local engine and by the Spark engine."""
    tmp = tmp_path_factory.mktemp("spark")
    gen = _generator()
    pages = tmp / "pages"
    gen.write_jsonl(gen.make_pages(N_PAGES), pages)
    (pages / "bad.jsonl").write_text("".join(json.dumps(b) + "\n" for b in BAD), encoding="utf-8")
    # Two good records (text and HTML), a line that is not JSON, a record with neither text nor html.
    (pages / "records.jsonl").write_text((FIXTURE_PAGES / "records.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    local = label(store, str(pages), "--out", str(tmp / "local.jsonl"), "-j", "2")
    spark = label(store, "--engine", "spark", str(pages), "--out", str(tmp / "spark.parquet"), "--master", "local[2]")
    return tmp, pages, local, spark


@needs_spark
def test_spark_equals_local_passage_for_passage(engines):
    tmp, pages, local, spark = engines
    records = pages / "records.jsonl"
    assert local.returncode == 1, local.stderr[-2000:]  # the bad records are reported, the rest labelled
    for line in (f"{pages / 'bad.jsonl'}:1: record 'bad-empty' has empty text",
                 f"{records}:3: not valid JSON", f"{records}:4: record has no 'text' or 'html' string field"):
        assert f"error: {line}" in local.stderr
    assert spark.returncode == 1, spark.stderr[-3000:]
    local_rows = [json.loads(line) for line in (tmp / "local.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = spark_rows(tmp / "spark.parquet")
    errors = {r["doc_id"]: r["error"] for r in rows if r["error"] is not None}
    assert errors == {**BAD_ERRORS, None: f"{records}: not valid JSON: this line is not JSON",
                      "rec-no-body": "rec-no-body: record has no 'text' string field"}
    assert all(r[f] is None for r in rows if r["error"] for f in PASSAGE_FIELDS if f not in ("doc_id", "source_path"))
    passages = [r for r in rows if r["error"] is None]
    assert all(set(r) == set(PASSAGE_FIELDS) | set(PAGE_FIELDS) | {"error", "bucket"} for r in rows)
    # Each passage row carries its page's metadata (hand-checked against the fixture records), author an array.
    page_meta = {r["doc_id"]: tuple((k, list(r[k]) if k == "author" else r[k]) for k in PAGE_FIELDS)
                 for r in passages if r["doc_id"] in ("rec-text", "rec-html")}
    assert page_meta == {
        "rec-text": (("title", "Gales expected along the west coast as the weekend begins"), ("date", "2025-03-14"),
                     ("author", ["Tamsin Reddaway"]), ("site_name", None), ("url", None), ("language", "en")),
        "rec-html": (("title", "Bakery on Mill Lane wins regional bread prize"), ("date", "2025-02-28"),
                     ("author", []), ("site_name", None),
                     ("url", "https://www.quayside-post.test/food/bakery-prize"), ("language", "en"))}
    assert all(len({tuple(map(str, (r[k] for k in PAGE_FIELDS))) for r in passages if r["doc_id"] == d}) == 1
               for d in page_meta)
    good_local = [r for r in local_rows if r["doc_id"] not in BAD_ERRORS]
    assert len({r["doc_id"] for r in passages}) == N_PAGES + 2  # + rec-text, rec-html
    assert sorted(map(key, passages)) == sorted(map(key, good_local))
    last = spark.stderr.strip().splitlines()[-1]
    assert last == f"labelled {N_PAGES + 2} pages ({len(passages)} passages) into {tmp / 'spark.parquet'}; 4 failed"


@needs_spark
def test_spark_output_layout(engines):
    """One Parquet file a hash bucket of doc_id, every page in one bucket, rows in page and passage order."""
    tmp = engines[0]
    out = tmp / "spark.parquet"
    buckets = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert buckets == sorted(f"bucket={k}" for k in range(16))
    for folder in out.iterdir():
        if folder.is_dir():
            files = list(folder.glob("*.parquet"))
            assert len(files) == 1
            frame = pd.read_parquet(files[0])
            order = list(zip(frame["doc_id"].fillna(""), frame["index"].fillna(-1)))  # Spark sorts nulls first
            assert order == sorted(order)
    assert pd.read_parquet(out).groupby("doc_id")["bucket"].nunique().max() == 1


@needs_spark
def test_spark_reads_parquet_with_other_column_names(store, engines):
    tmp = engines[0]
    gen = _generator()
    records = gen.make_pages(12)
    frame = pd.DataFrame({"page_id": [r["id"] for r in records] + ["no-body"],
                          "body": [r.get("text", r.get("html")) for r in records] + [None]})
    (tmp / "pq").mkdir()
    frame.to_parquet(tmp / "pq" / "pages.parquet")
    res = label(store, "--engine", "spark", str(tmp / "pq"), "--out", str(tmp / "pq.parquet"), "--id-col", "page_id",
                "--text-col", "body", "--master", "local[1]")
    assert res.returncode == 1, res.stderr[-3000:]
    rows = spark_rows(tmp / "pq.parquet")
    assert [r["error"] for r in rows if r["error"]] == ["no-body: record has no 'body' string field"]
    ids = set(frame["page_id"][:12])
    first = [r for r in spark_rows(tmp / "spark.parquet") if r["doc_id"] in ids]
    strip = [f for f in LABELS if f != "source_path"]
    assert sorted(tuple(r[f] for f in strip + list(SCORES)) for r in rows if not r["error"]) == \
        sorted(tuple(r[f] for f in strip + list(SCORES)) for r in first)
    assert {r["source_path"] for r in rows} == {str(tmp / "pq" / "pages.parquet")}


@needs_spark
def test_spark_unknown_model_is_one_line_and_exit_2(store, engines):
    tmp = engines[0]
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "NEWSLABEL_MLRUNS": str(store)}
    res = subprocess.run([sys.executable, "-m", "src.label", "--engine", "spark", str(engines[1]), "--out",
                          str(tmp / "nope.parquet"), "--model", "models:/nope@champion"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2
    assert res.stderr.startswith("error: models:/nope@champion: cannot load model ("), res.stderr[-2000:]
    assert not (tmp / "nope.parquet").exists()
