"""Topic, stance and bias trained on the real data mix: the mix config, the new importers, the lines that
carry news text, teaser stories, and the shipped labeller on the seed and on a fixture page written for
these tests. The public sets are read in place from ../shared/data; tests that need them skip without."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from _trained import seed_gold

from newslabel.config import compose
from newslabel.data.sources import build_mix
from newslabel.labels.stories import carries_news, news_mask, page_stories

SHARED = Path(__file__).resolve().parents[2] / "shared"
DATA = SHARED / "data"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "teasers" / "harbour-01.txt"


def _mix_cfg(*extra: str) -> dict:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(compose("train", ["data=mix", *extra]).data, resolve=True)


def test_mix_without_the_data_root_is_the_sample_with_one_line(tmp_path):
    lines = []
    result = build_mix(_mix_cfg(f"data.root={tmp_path / 'nowhere'}"), 10_000_000, log=lines.append)
    assert lines == [f"data: {tmp_path / 'nowhere'} not found; role, topic, stance, bias train on the sample "
                     "corpus only"]
    for task in ("role", "topic", "stance", "bias"):
        sources = {r["source"] for split in result.rows[task].values() for r in split}
        assert sources == {"sample"}
    # role keeps the sample's rows with their page columns (the mix adds only `source`)
    assert sum(len(v) for v in result.rows["role"].values()) == 2460
    from newslabel.data.build import ROLE_COLUMNS

    assert set(result.rows["role"]["train"][0]) == {"doc_id", "group", "text", "label", "label_source", "confidence",
                                                    "source", *ROLE_COLUMNS}


def test_mix_skips_a_missing_source_folder_with_one_line(tmp_path):
    if not DATA.is_dir():
        pytest.skip("../shared/data not found")
    root = tmp_path / "data"
    root.mkdir()
    (root / "topic-bbc-news").symlink_to(DATA / "topic-bbc-news")
    lines = []
    cfg = _mix_cfg(f"data.root={root}", "data.limit=30", "data.tasks=[topic]")
    result = build_mix(cfg, 10_000_000, log=lines.append)
    assert lines == [f"data: {root / f} not found; skipping {s}" for s, f in
                     (("agnews", "topic-ag-news"), ("huffpost", "topic-huffpost"), ("iptc", "iptc-mediatopic"),
                      ("rule", "iptc-mediatopic"), ("masakhanews", "topic-masakhanews-eng"))]
    counts = Counter((r["source"], split) for split, rows in result.rows["topic"].items() for r in rows)
    # limit=30 caps each split by whole groups; BBC's groups are single articles but for a few duplicates
    assert {k: v for k, v in counts.items() if k[0] == "bbc"} == {("bbc", "train"): 30, ("bbc", "validation"): 30,
                                                                   ("bbc", "test"): 30}


def test_mix_never_trains_on_test_text():
    if not DATA.is_dir():
        pytest.skip("../shared/data not found")
    result = build_mix(_mix_cfg("data.tasks=[bias]"), 10_000_000, log=lambda _: None)
    rows = result.rows["bias"]
    test = {" ".join(r["text"].lower().split()) for r in rows["test"]}
    assert not [r for r in rows["train"] + rows["validation"] if " ".join(r["text"].lower().split()) in test]
    # MBIC's sentences are the ones BABE re-annotated: some of them were dropped for being in BABE's test split
    mbic_train = sum(r["source"] == "mbic" for r in rows["train"])
    assert 0 < mbic_train < 1091
    groups = {s: {r["group"] for r in rows[s]} for s in rows}
    assert not groups["train"] & groups["test"] and not groups["validation"] & groups["test"]


def test_arc_is_regrouped_by_body():
    if not (DATA / "stance-arc").is_dir():
        pytest.skip("stance-arc not found")
    from newslabel.data.importers.stance import import_arc

    splits = import_arc(DATA / "stance-arc")["stance"]
    bodies = {s: {r["body_id"] for r in rows} for s, rows in splits.items()}
    assert not bodies["train"] & bodies["test"] and not bodies["validation"] & bodies["test"]
    pairs = Counter((r["headline"], r["body_id"]) for rows in splits.values() for r in rows)
    assert max(pairs.values()) == 1
    assert sum(len(v) for v in bodies.values()) == 4448


def test_huffpost_keeps_the_high_confidence_mapping_only():
    if not (DATA / "topic-huffpost").is_dir():
        pytest.skip("topic-huffpost not found")
    from newslabel.data.importers.topic import import_huffpost

    rows = [r for s in import_huffpost(DATA / "topic-huffpost")["topic"].values() for r in s]
    assert "WELLNESS" not in {r["native_label"] for r in rows} and "WORLDPOST" not in {r["native_label"] for r in rows}
    by_label = Counter(r["label"] for r in rows)
    # README "Counts and proposed IPTC mapping": 26 high-confidence sections x 900 rows
    assert by_label["politics"] == 900 and by_label["sport"] == 900 and by_label["lifestyle and leisure"] == 3600
    assert "health" not in by_label and sum(by_label.values()) == 26 * 900


def test_news_lines_on_a_fixture_page():
    lines = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    mask = dict(zip(lines, news_mask(lines)))
    for line in ("The Western Wire", "• The Western Wire", "time4 hours ago", "Midland Trade Post",
                 "• Midland Trade Post", "time6 hours ago", "Related Articles", "Comments"):
        assert mask[line] is False, line
    assert mask["Rail operator adds late trains for the summer festival season"] is True
    assert [carries_news(t) for t in ("World, 1 hour ago", "6 March 2025", "Daily Mail", "Rain fell.")] == \
        [False, False, False, True]


def test_teaser_stories_on_the_seed_gold_roles():
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared/seeds not found")
    gold = seed_gold(SHARED)
    text = (SHARED / "seeds" / "000_0eff458de775143f.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    body, stories = page_stories([role for _, role in gold], lines)
    assert len(body) == 20
    assert [[gold[i][0] for i in s] for s in stories] == [[41, 42, 50, 52], [54, 55, 63, 65], [67, 68, 76, 78]]


# -- the labeller trained on the (capped) mix, as the test session trains it ---------------------------
@pytest.fixture(scope="module")
def labeller(trained):
    from newslabel import load_labeller

    return load_labeller(mlruns=trained.mlruns)


def test_fixture_page_labels_where_they_mean_something(labeller):
    page = labeller.label_page(FIXTURE.read_text(encoding="utf-8"), doc_id="harbour-01")
    by_line = {p["line"]: p for p in page["passages"]}
    for line in (20, 22, 24, 32, 34, 36):  # source names, times, bulleted sources of the two teasers
        p = by_line[line]
        assert (p["topic"], p["stance"], p["bias"]) == (None, None, None), p
    # two stories (headline, its repeat, summary); the role model may call the last summary a promo
    assert [s["lines"][:2] for s in page["stories"]] == [[18, 26], [30, 38]] and page["stories"][0]["lines"][2] == 28
    for story in page["stories"]:
        assert story["stance"] == "unrelated" and {by_line[n]["stance"] for n in story["lines"]} == {"unrelated"}
    body = [p for p in page["passages"] if p["is_body"]]
    assert len(body) == 4 and {p["topic"] for p in body} == {page["topic"]}
    assert all(p["stance"] in ("agree", "disagree", "discuss") for p in body)


def test_seed_topic_stance_and_null_labels(labeller):
    if not (SHARED / "seeds").is_dir():
        pytest.skip("../shared/seeds not found")
    gold = dict(seed_gold(SHARED))
    page = labeller.label_page((SHARED / "seeds" / "000_0eff458de775143f.txt").read_text(encoding="utf-8"))
    assert page["topic"] == "politics"
    rows = page["passages"]
    for p in rows:
        if p["text"] in ("The Independent", "• The Independent", "Daily Mail", "• Daily Mail", "Related Articles") or \
                p["text"].startswith("time"):
            assert (p["topic"], p["stance"], p["bias"]) == (None, None, None), p
    teaser = [p["stance"] for p in rows if gold[p["line"]] == "related" and p["stance"] is not None]
    body = [p["stance"] for p in rows if gold[p["line"]] == "body"]
    assert len(teaser) >= 10 and sum(s == "unrelated" for s in teaser) >= 0.8 * len(teaser)
    assert sum(s not in ("unrelated", None) for s in body) >= 0.8 * len(body)
    assert {s["topic"] for s in page["stories"]} == {"politics"}


def test_stance_reads_the_headline(labeller):
    """FNC-1 validation pairs: the same bodies with the headlines shuffled among them score clearly worse."""
    if not (DATA / "fnc1").is_dir():
        pytest.skip("fnc1 not found")
    import pandas as pd

    from newslabel.bench.labeller import fnc_relative, fnc_sample
    from newslabel.data.importers.stance import import_fnc1
    from newslabel.scoring import macro_f1

    pairs = fnc_sample(pd.DataFrame(import_fnc1(DATA / "fnc1")["stance"]["validation"]), 600)
    gold = pairs["label"].tolist()
    right = [s for s, _ in labeller.predict(pairs["text"].tolist(), task="stance", headline=pairs["headline"].tolist())]
    shuffled = pairs["headline"].sample(frac=1.0, random_state=1).tolist()
    wrong = [s for s, _ in labeller.predict(pairs["text"].tolist(), task="stance", headline=shuffled)]
    assert macro_f1(gold, right) > macro_f1(gold, wrong) + 0.2
    assert fnc_relative(gold, right) > fnc_relative(gold, wrong) + 0.2


def test_basil_and_mbic_counts_match_their_readme():
    if not (DATA / "bias-basil").is_dir() or not (DATA / "babe").is_dir():
        pytest.skip("bias-basil or babe not found")
    from newslabel.data.importers.bias import import_basil, import_mbic

    basil = import_basil(DATA / "bias-basil")["bias"]
    # README: 451 sentences with a lexical span; 6,658 with no span (the 1,175 informational-only ones dropped)
    assert Counter(r["label"] for s in basil.values() for r in s) == {"biased": 451, "neutral": 6658}
    groups = {s: {r["group"] for r in rows} for s, rows in basil.items()}
    assert not groups["train"] & groups["test"]
    mbic = import_mbic(DATA / "babe")["bias"]
    # README: Biased 1,018 / Non-biased 533 / No agreement 149 (dropped)
    assert Counter(r["label"] for s in mbic.values() for r in s) == {"biased": 1018, "neutral": 533}


def test_labeller_benchmark_smoke_run_scores_every_check(trained_copy):
    """`newslabel benchmark labeller --limit 3`: each check through the user's calls, logged, counted as run."""
    if not all((DATA / d).is_dir() for d in ("topic-bbc-news", "topic-ag-news", "babe", "fnc1")):
        pytest.skip("the labeller checks' data is not under ../shared/data")
    from newslabel.bench import harness

    lines = []
    assert harness.main(["labeller"], limit=3, shared=SHARED, mlruns=trained_copy,
                        log=lines.append) == 0
    checks = Counter(line.split("  ")[0] for line in lines if " n=" in line)
    body = {}  # ours and trafilatura on webextract and each extraction-merged dataset's test pages; ours on dumps
    if (DATA / "webextract").is_dir():
        body["webextract body"] = 2
    if (DATA / "extraction-merged").is_dir():
        merged = ("cleaneval-dev", "cleaneval-final", "cleanportaleval", "googlenews", "readability")
        body |= {f"{d} body": 2 for d in merged} | {f"{d} dump body": 1 for d in merged}
    if (DATA / "topic-masakhanews-eng").is_dir():  # its first 3 articles are all business: accuracy, 1 recall, majority
        body["masakhanews page topic"] = 3
    if (DATA / "wcxb-dev").is_dir():  # the first 3 validation pages are articles: for ours and the two trafilatura
        # settings word F1 in all and on articles, the two snippet shares, ms a page (5 x 3); ours - each peer (2 x 2)
        body["wcxb-dev validation body"] = 19
    assert checks == {"bbc page topic": 3, "agnews topic": 2, "babe bias": 3, "fnc1 stance": 6, **body}, lines
    assert lines[-1].startswith("done: 1 of 1 benchmark(s)")


def test_sample_stance_is_trained_with_the_headline_the_labeller_reads(trained_store, labeller):
    """The training's headline for a sample page is the labeller's `title` for that file (as `newslabel label`
    reads it: its path gives the site), from the role champion's roles."""
    from mlflow import MlflowClient

    from newslabel.training.headlines import predicted_headlines, sample_pages

    t = trained_store
    exp = MlflowClient().get_experiment_by_name("newslabel-train")
    (run,) = MlflowClient().search_runs([exp.experiment_id], "tags.task = 'stance'")
    assert run.data.tags["sample_headlines_from"] == "models:/newslabel-role/1"
    pages = sample_pages(t.cfg)
    headlines = predicted_headlines(pages, labeller.models["role"])
    assert len(pages) == 42 and len(headlines) == 42
    for page in pages:
        assert headlines[page.doc_id] == labeller.label(page)["title"], page.doc_id
