"""Benchmark harness: the passage-level scorer, the FNC-1 score, the peers and a smoke run of each benchmark.

The scorer cases are small original pages whose expected labels were counted by hand. The checks against the
READMEs' figures and the smoke runs read ../shared/data in place and skip where it is absent.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from newslabel.bench import harness, metrics, runners
from newslabel.bench import report as bench_report
from newslabel.ingest import peers
from newslabel.training.evaluate import fnc_score

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def need(folder: str) -> Path:
    path = DATA / folder
    if not path.is_dir():
        pytest.skip(f"{path} not found (public data lives in ../shared/data beside the checkout)")
    return path


# -- tokens and the passage-level rule (hand-counted) -----------------------------------------
def test_tokens_nfkc_casefold_and_cjk():
    # NFKC: full-width letters -> ASCII, "½" -> "1⁄2" (so "3½" is "31⁄2": tokens 31 and 2); casefold: ß -> ss
    assert peers.tokens("ＡＢＣ Straße, 3½ — OK!") == ["abc", "strasse", "31", "2", "ok"]
    assert peers.tokens("東京で雨 ｶﾀｶﾅ") == ["東", "京", "で", "雨", "カ", "タ", "カ", "ナ"]
    assert peers.tokens("snake_case co-op") == ["snake", "case", "co", "op"]
    assert peers.tokens("— … !") == []


def test_score_passages_marks_the_aligned_article():
    passages = ["Home", "World news", "The mayor opened the new bridge on Friday.",
                "Traffic will flow from Monday.", "More world news"]
    extracted = "The mayor opened the new bridge on Friday.\nTraffic will flow from Monday."
    assert peers.score_passages(passages, extracted) == [False, False, True, True, False]


def test_alignment_keeps_order_so_menu_words_stay_boilerplate():
    # "News" and the first "Sport" also occur in the article, but the alignment is order-preserving:
    # the article sentence is matched as one block, the menu items before it are not matched.
    passages = ["News", "Sport", "Sport stars met the News team today."]
    assert peers.score_passages(passages, "Sport stars met the News team today.") == [False, False, True]
    assert peers.passage_coverage(passages, "Sport stars met the News team today.") == [0.0, 0.0, 1.0]


def test_half_covered_passage_is_body_and_below_half_is_not():
    # "Photo: J. Smith / Agency" has 4 tokens (photo, j, smith, agency); 2 matched = 0.5 -> body.
    assert peers.passage_coverage(["Council votes yes", "Photo: J. Smith / Agency"],
                                  "Council votes yes. Photo: J.") == [1.0, 0.5]
    assert peers.score_passages(["Council votes yes", "Photo: J. Smith / Agency"],
                                "Council votes yes. Photo: J.") == [True, True]
    # "Read more about storms here": 5 tokens, "read more" matched = 0.4 -> boilerplate (body at threshold 0.4).
    passages = ["Storm warning issued for the coast", "Read more about storms here"]
    extracted = "Storm warning issued for the coast tonight. Read more"
    assert peers.passage_coverage(passages, extracted) == [1.0, 0.4]
    assert peers.score_passages(passages, extracted) == [True, False]
    assert peers.score_passages(passages, extracted, threshold=0.4) == [True, True]


def test_cjk_characters_are_tokens_of_their_own():
    assert peers.score_passages(["東京で雨", "ログイン"], "東京で雨が降った") == [True, False]


def test_empty_output_and_tokenless_passages_are_boilerplate():
    assert peers.score_passages(["A line of text.", "—"], "") == [False, False]
    assert peers.score_passages(["A line of text.", "—"], "A line of text.") == [True, False]


def test_heuristic_needs_five_tokens_and_a_sentence_mark():
    lines = ["Home", "Short line.", "This sentence has five tokens.", "Five tokens but no mark here",
             "東京で雨が降った。"]
    assert peers.heuristic(lines) == [False, False, True, False, True]


def test_passage_metrics_hand_counted():
    gold = [True, True, True, False, False, False, False]
    pred = [True, True, False, True, False, False, False]
    m = metrics.passage_metrics(gold, pred)  # tp 2, fn 1, fp 1, tn 3
    assert m["precision_body"] == pytest.approx(2 / 3)
    assert m["recall_body"] == pytest.approx(2 / 3)
    assert m["body_f1"] == pytest.approx(2 / 3)
    assert m["f1_boilerplate"] == pytest.approx(6 / 8)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.75) / 2)
    assert m["accuracy"] == pytest.approx(5 / 7)
    none = metrics.passage_metrics([True, False], [False, False])
    assert none["precision_body"] == 0.0 and none["body_f1"] == 0.0 and none["accuracy"] == 0.5


def test_body_errors_hand_counted():
    import pandas as pd

    test = pd.DataFrame({"text": ["one two three", "a b c d e", "menu", "x y", "long body text here ok"],
                         "tag": ["p", "p", "a", "li", ""]})
    gold = [True, True, False, False, True]
    pred = [False, True, True, True, False]
    # missed: rows 0 (p, 3 tokens) and 4 (no tag, 5 tokens); false: rows 2 (a, 1) and 3 (li, 2)
    assert metrics.body_errors(gold, pred, test) == (
        "missed body 2 (tags p 1, ? 1; median 4 tokens); false body 2 (tags a 1, li 1; median 1 tokens)")


def test_page_bootstrap_interval():
    gold, pred, pages = [True, False, True, False], [True, False, True, False], ["a", "a", "b", "b"]
    assert metrics.page_bootstrap(gold, pred, pages, 200) == (1.0, 1.0)
    lo, hi = metrics.page_bootstrap([True, True], [True, False], ["a", "b"], 500, seed=1)
    assert lo == 0.0 and hi == 1.0  # page a alone scores 1.0, page b alone 0.0


# -- the FNC-1 score -------------------------------------------------------------------------
def test_fnc_score_hand_computed():
    gold = ["agree", "disagree", "discuss", "unrelated", "unrelated", "agree"]
    pred = ["agree", "discuss", "unrelated", "unrelated", "agree", "disagree"]
    # 1.0 (exact related) + 0.25 (related, wrong label) + 0 + 0.25 (unrelated right) + 0 + 0.25 = 1.75;
    # max = 4 related x 1.0 + 2 unrelated x 0.25 = 4.5
    assert fnc_score(gold, pred) == (1.75, 4.5)
    m = metrics.stance_metrics(gold, pred)
    assert m["fnc_score"] == 1.75 and m["fnc_max"] == 4.5
    assert m["fnc_relative"] == pytest.approx(1.75 / 4.5)
    # per class F1: agree 0.5 (tp 1, fp 1, fn 1), disagree 0, discuss 0, unrelated 0.5
    assert m["f1_agree"] == pytest.approx(0.5) and m["f1_unrelated"] == pytest.approx(0.5)
    assert m["macro_f1"] == pytest.approx(0.25)


def test_fnc_score_matches_readme_on_the_competition_test_set():
    import pandas as pd

    root = need("fnc1")
    gold = pd.read_csv(root / "competition_test_stances.csv")["Stance"].tolist()
    m = metrics.stance_metrics(gold, ["unrelated"] * len(gold))
    assert m["fnc_max"] == 11651.25
    assert m["fnc_score"] == 4587.25
    assert round(100 * m["fnc_relative"], 2) == 39.37
    assert round(m["macro_f1"], 3) == 0.210


# -- the rule and the peers against the webextract README ------------------------------------
def _webextract_pages(root: Path) -> tuple[dict, dict]:
    pages = {}
    for line in (root / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            p = json.loads(line)
            pages[p["page_id"]] = p
    by_page = defaultdict(list)
    with gzip.open(root / "passages.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            by_page[r["page_id"]].append(r)
    for rows in by_page.values():
        rows.sort(key=lambda r: r["position"])
    return pages, by_page


def test_rule_reproduces_the_gold_labels_from_the_ground_truth():
    pages, by_page = _webextract_pages(need("webextract"))
    wrong = 0
    for page_id, rows in by_page.items():
        pred = peers.score_passages([r["text"] for r in rows], pages[page_id]["body"])
        wrong += sum(p != (r["label"] == "body") for p, r in zip(pred, rows))
    assert sum(map(len, by_page.values())) == 29808
    assert wrong == 0


def test_trafilatura_precision_and_heuristic_match_the_readme_on_test():
    root = need("webextract")
    pages, by_page = _webextract_pages(root)
    gold, traf, heur = [], [], []
    for page_id, rows in by_page.items():
        if pages[page_id]["split"] != "test":
            continue
        texts = [r["text"] for r in rows]
        html = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
        gold += [r["label"] == "body" for r in rows]
        traf += peers.score_passages(texts, peers.trafilatura_text(html, favor_precision=True))
        heur += peers.heuristic(texts)
    t, h = metrics.passage_metrics(gold, traf), metrics.passage_metrics(gold, heur)
    assert (round(t["precision_body"], 3), round(t["recall_body"], 3), round(t["body_f1"], 3)) == (0.956, 0.960, 0.958)
    assert round(t["macro_f1"], 3) == 0.976
    assert (round(h["precision_body"], 3), round(h["recall_body"], 3), round(h["body_f1"], 3)) == (0.604, 0.681, 0.640)


# -- smoke runs ------------------------------------------------------------------------------
SMOKE_LIMIT = {"webextract": 2, "bbc": 4, "agnews": 4, "fnc1": 4, "babe": 4}


@pytest.mark.slow
@pytest.mark.parametrize("name", harness.BENCHMARKS)
def test_smoke_run(name, tmp_path):
    folder = harness.load_config().benchmarks[name].folder
    need(folder)
    import mlflow
    from mlflow import MlflowClient

    mlruns, docs, lines = tmp_path / "mlruns", tmp_path / "benchmarks.md", []
    code = harness.main([name], limit=SMOKE_LIMIT[name], shared=DATA.parent, mlruns=mlruns, docs=docs,
                          log=lines.append)
    assert code == 0, lines
    assert not any(line.startswith("skipped") for line in lines)
    report = bench_report.collect(name, mlruns, harness.load_config(), include_limited=True)
    kinds = {r.kind for r in report.rows}
    assert {"ours", "published"} <= kinds and kinds & {"peer", "baseline"}
    conf = harness.load_config().benchmarks[name]
    assert sum(r.kind == "ours" for r in report.rows) == len(conf.ours)
    # Every measured run carries the table's metrics under the same names.
    intervals = {f"{m}_{end}" for m, _, _ in bench_report.COLUMNS[name] if m in bench_report.CI_COLUMNS
                 for end in ("low", "high")}
    wanted = {m for m, _, _ in bench_report.COLUMNS[name] if m not in bench_report.CI_COLUMNS} | intervals
    for row in report.rows:
        if row.kind == "published":
            assert row.note == "published, not measured"
            continue
        names = wanted - ({"cv_macro_f1", "cv_macro_f1_std"} if row.params.get("cv") == "False" else set())
        assert names <= set(row.metrics), (row.system, names - set(row.metrics))
        assert row.metrics["n_items"] == float(report.meta["n_test_items"])  # scored on every test item
    runs = MlflowClient().search_runs([mlflow.get_experiment_by_name(f"benchmark-{name}").experiment_id])
    assert {r.info.run_name for r in runs} >= {r.system for r in report.rows}
    text = docs.read_text(encoding="utf-8")
    assert f"## {name}" in text and "Smoke run" in text and "published, not measured" in text
    assert "- Errors of newslabel" in text and "(gold→predicted)" in text
    assert "do not edit by hand" in text
    # A smoke run writes its result file beside the docs it was given, never into benchmarks/results.
    result = json.loads((tmp_path / "results" / f"{name}.json").read_text(encoding="utf-8"))
    assert result["benchmark"] == name and result["run"]["limit"] == str(SMOKE_LIMIT[name])
    assert len(result["git_commit"]) >= 40 and result["machine"]["cores"] == str(os.cpu_count())


def test_missing_data_skips_with_a_message(tmp_path):
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    out = subprocess.run([sys.executable, "-m", "src.benchmark", "bbc", "--limit", "2", "--shared", str(tmp_path),
                          "--mlruns", str(tmp_path / "mlruns")], cwd=REPO, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "skipped bbc:" in out.stdout and "topic-bbc-news" in out.stdout
    assert not (tmp_path / "mlruns").exists()


def test_unknown_benchmark_is_an_error():
    lines = []
    assert harness.main(["nope"], log=lines.append) == 2
    assert "unknown benchmark" in lines[0]


# -- the GPU-machine figures (benchmarks/device_minilm.py), run here on CPU with two steps ----------
@pytest.mark.slow
def test_device_minilm_prepare_run_log(tmp_path):
    need("babe")
    import pandas as pd
    from safetensors import safe_open

    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import device_minilm as dm
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    folder = tmp_path / "device"
    dm.prepare(folder, ["babe"], DATA.parent)
    job = json.loads((folder / "babe" / "job.json").read_text())
    # The resolved model=minilm_full settings travel, not the CPU ones.
    assert job["overrides"] == ["data=babe", "task=bias", "model=minilm_full"]
    assert (job["settings"]["max_length"], job["settings"]["batch_size"], job["settings"]["max_steps"]) == (256, 32, -1)
    frames = {s: pd.read_parquet(folder / "babe" / f"{s}.parquet") for s in ("train", "validation", "test")}
    assert [len(frames[s]) for s in ("train", "validation", "test")] == [2351, 574, 748]
    assert set(frames["train"].columns) <= set(dm.COLUMNS) and "label" in frames["train"].columns
    with safe_open(folder / dm.ENCODER_DIR / "model.safetensors", "pt") as f:  # halved to travel (64 MiB cap)
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16", "torch.int64"}  # + position ids
    # Two optimiser steps on 8 rows a label, then the whole test split (what log scores).
    for split in ("train", "validation"):
        frames[split].groupby("label").head(8).to_parquet(folder / "babe" / f"{split}.parquet")
    job["settings"].update(max_steps=2, eval_steps=1, max_length=32)
    (folder / "babe" / "job.json").write_text(json.dumps(job))
    dm.run(folder, tmp_path / "out", ["babe"])
    result = json.loads((tmp_path / "out" / "babe.json").read_text())
    assert len(result["pred"]) == 748 and set(result["pred"]) <= {"biased", "neutral"}
    import torch

    assert result["summary"]["steps"] == 2
    assert result["summary"]["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    docs = tmp_path / "benchmarks.md"
    dm.log(tmp_path / "out", DATA.parent, tmp_path / "mlruns", docs, tmp_path / "results")
    assert json.loads((tmp_path / "results" / "babe-gpu.json").read_text())["rows"][0]["kind"] == "ours"
    report = bench_report.collect("babe-gpu", tmp_path / "mlruns", harness.load_config())
    (row,) = report.rows
    assert row.system == "newslabel bias, fine-tuned MiniLM (model=minilm_full), GPU"
    assert row.params["train_command"] == "python -m src.train data=babe task=bias model=minilm_full"
    assert {"macro_f1", "f1_biased", "accuracy", "seconds_per_item", "fit_seconds"} <= set(row.metrics)
    text = docs.read_text(encoding="utf-8")
    assert "### babe on a GPU machine" in text and "Target (set for the 2-core machine, shown for comparison)" in text


@pytest.mark.slow
def test_webextract_text_model_meets_the_seed_acceptance(shared_dir):
    """The role model of the webextract text-in row, trained as the harness trains it, labels the seed page."""
    need("webextract")
    from _trained import body_scores, seed_gold

    from newslabel.predict.labeller import Labeller

    conf = harness.load_config()
    bench = conf.benchmarks.webextract
    (system,) = [s for s in bench.ours if s.get("input") == "text"]
    frames = runners.load_data("webextract", bench, shared_dir)
    cfg = runners.compose_ours(system, shared_dir)
    train, validation = runners._split_for_ours(system, frames)
    model, _, _ = runners.fit_ours(system, cfg, runners.text_only(train), runners.text_only(validation),
                                  runners.label_names("role", frames))
    seed = shared_dir / "seeds" / "000_0eff458de775143f.txt"
    result = Labeller({"role": model}).label_page(seed.read_text(encoding="utf-8"), doc_id="seed")
    gold = [r for _, r in seed_gold(shared_dir)]
    agree, f1, related_as_body = body_scores(gold, result["passages"])
    assert agree >= 0.95 and f1 >= 0.95 and related_as_body == 0, (agree, f1, related_as_body)


# -- result files and the rendered page ----------------------------------------------------------------
def _report(name: str, accuracy: float, date: str) -> bench_report.Report:
    ours = bench_report.Row("newslabel topic", "ours", {"accuracy": accuracy, "macro_f1": 0.5, "accuracy_ci_low": 0.25,
                                                    "accuracy_ci_high": 0.875, "seconds_per_item": 0.001,
                                                    "cpu_seconds_per_item": 0.001, "fit_seconds": 2.0},
                         {"train_command": f"python -m src.train data={name} task=topic", "model": "logreg",
                          "n_train": "10", "model_config": "not kept"}, {"accuracy": 0.9},
                         validation={"val_accuracy": 0.75, "val_macro_f1": float("nan")})
    published = bench_report.Row("a paper", "published", {"accuracy": 0.95}, note="published, not measured")
    meta = {"command": f"python -m src.benchmark {name}", "date": date, "git_commit": "abc123", "limit": "0",
            "machine.cores": "2", "machine.cpu": "Test CPU", "version.numpy": "2.4.6", "n_test": "8",
            "n_test_items": "8", "item": "article", "n_train": "10", "wall_seconds": "3"}
    return bench_report.Report(name, [ours, published], meta)


def test_result_files_render_the_docs_and_a_partial_run_keeps_the_other_section(tmp_path):
    results, docs = tmp_path / "results", tmp_path / "benchmarks.md"
    path = bench_report.save_result(_report("bbc", 0.625, "2026-12-01 10:00 UTC"), results)
    bench_report.save_result(_report("agnews", 0.5, "2026-12-01 10:05 UTC"), results)
    data = json.loads(path.read_text())
    assert (data["benchmark"], data["command"], data["git_commit"], data["date"]) == (
        "bbc", "python -m src.benchmark bbc", "abc123", "2026-12-01 10:00 UTC")
    assert data["machine"] == {"cores": "2", "cpu": "Test CPU"} and data["versions"] == {"numpy": "2.4.6"}
    ours = data["rows"][0]
    assert ours["intervals"] == {"accuracy": [0.25, 0.875]}
    assert ours["validation"] == {"val_accuracy": 0.75, "val_macro_f1": None}  # NaN is written as null
    assert "model_config" not in ours["params"]
    text = bench_report.write_docs(docs, results).read_text(encoding="utf-8")
    assert "| **newslabel topic** | ours | 0.6250 | 0.250–0.875 | 0.5000 |" in text
    assert "- Validation (newslabel topic; the held-out rows it early-stopped on): accuracy 0.7500." in text
    assert "date: 2026-12-01 10:00 UTC; git commit `abc123`" in text
    assert "## fnc1\n\nNot run yet: `python -m src.benchmark fnc1`." in text
    # A later run of bbc alone rewrites bbc's file and section; agnews keeps its figures.
    bench_report.save_result(_report("bbc", 0.875, "2026-12-01 11:00 UTC"), results)
    again = bench_report.write_docs(docs, results).read_text(encoding="utf-8")
    bbc = again[again.index("## bbc"):again.index("## agnews")]
    agnews = again[again.index("## agnews"):again.index("## fnc1")]
    assert "| **newslabel topic** | ours | 0.8750 |" in bbc and "2026-12-01 11:00 UTC" in bbc
    assert agnews == text[text.index("## agnews"):text.index("## fnc1")]
    assert "| **newslabel topic** | ours | 0.5000 |" in agnews and "2026-12-01 10:05 UTC" in agnews
    assert bench_report.load_result(path).rows[0].metrics["accuracy"] == 0.875


def test_item_bootstrap_hand_checked():
    # Every item right: every resample scores 1.0, so both ends of every interval are 1.0.
    ci = metrics.item_bootstrap(["agree", "unrelated"], ["agree", "unrelated"], list(metrics.STANCE_LABELS),
                                  200, fnc=True)
    assert ci == {f"{m}_ci_{end}": 1.0 for m in ("accuracy", "macro_f1", "fnc_relative") for end in ("low", "high")}
    # One of two wrong: a resample holds 0, 1 or 2 right items, so accuracy spans 0 to 1.
    ci = metrics.item_bootstrap(["a", "b"], ["a", "a"], ["a", "b"], 500, seed=1)
    assert (ci["accuracy_ci_low"], ci["accuracy_ci_high"]) == (0.0, 1.0)


def test_code_commit_ignores_the_benchmark_outputs_and_git_commit_does_not(tmp_path):
    from newslabel.tracking import store as tracking

    def git(*args):
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                              check=True, capture_output=True, text=True).stdout.strip()

    assert bench_report.code_commit(tmp_path) == tracking.git_commit(tmp_path) == "unknown"  # not a checkout yet
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    for name in ("benchmarks/results/labeller.json", "docs/benchmarks.md", "code.py"):
        (tmp_path / name).write_text("0\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    head = git("rev-parse", "HEAD")
    (tmp_path / "benchmarks/results/labeller.json").write_text("1\n")
    (tmp_path / "docs/benchmarks.md").write_text("1\n")
    (tmp_path / "new.txt").write_text("untracked\n")
    assert bench_report.code_commit(tmp_path) == head
    assert tracking.git_commit(tmp_path) == f"{head}-dirty"
    (tmp_path / "code.py").write_text("1\n")
    assert bench_report.code_commit(tmp_path) == f"{head}-dirty"
