"""bench/wcxb: the wcxb-dev word F1 and snippet rule, and score_wcxb on hand-written pages (values counted by hand).

The pages here are written for these tests; nothing is read from ../shared/data.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from newslabel.bench import wcxb


def test_word_f1_on_tiny_strings_is_the_exact_fraction():
    # gold words: the, mayor, opened, the, bridge (5); output: the, mayor, closed (3); shared: the, mayor (2)
    # P 2/3, R 2/5, F1 = 2PR/(P+R) = (8/15)/(16/15) = 1/2
    assert wcxb.word_f1("The Mayor closed", "the mayor opened the bridge") == pytest.approx(float(Fraction(1, 2)))
    # a bag, not a set: "the" twice in the output matches the gold's two; P 4/4, R 4/5, F1 = (8/5)/(9/5) = 8/9
    assert wcxb.word_f1("the mayor the bridge", "the mayor opened the bridge") == pytest.approx(8 / 9)
    # lower-cased \w+ words: punctuation and case do not count, underscores and digits are word characters
    assert wcxb.word_f1("Snake_case, 2026!", "snake_case 2026") == 1.0
    assert wcxb.word_prf("a b", "c d") == (0.0, 0.0, 0.0)


def test_empty_gold_scores_one_for_empty_output_and_zero_otherwise():
    assert wcxb.word_f1("", "") == 1.0
    assert wcxb.word_f1(None, "  ") == 1.0
    assert wcxb.word_f1(" — … ", "") == 1.0  # no words is empty
    assert wcxb.word_f1("Sign in", "") == 0.0
    assert wcxb.word_f1("", "the gold text") == 0.0


def test_snippet_shares_collapse_white_space_and_case():
    out = "Opening hours\n\nMonday  to Friday. Cookie settings"
    # with: 2 of 3 found ("monday to friday" across two spaces, "opening hours"); without: 1 of 2 absent
    found, absent = wcxb.snippet_scores(out, ["Monday to Friday", "opening hours", "closed on sunday"],
                                        ["cookie settings", "newsletter"])
    assert (found, absent) == (pytest.approx(2 / 3), 0.5)
    assert wcxb.snippet_scores("", [], []) == (1.0, 1.0)
    assert wcxb.snippet_scores("", ["x y z"], ["a b c"]) == (0.0, 1.0)


PAGES = [
    {"id": "p1", "page_type": "article", "html": "<p>A</p>", "main_content": "the river rose fast",
     "with": ["river rose"], "without": ["read more"]},
    {"id": "p2", "page_type": "forum", "html": "<p>B</p>", "main_content": "", "with": [], "without": ["log in"]},
]
OUTPUT = {"p1": "The river rose. Read more", "p2": "Log in"}


def test_score_wcxb_with_a_stub_extractor():
    seen = []

    def extract(rec: dict) -> str:
        seen.append(rec["id"])
        return OUTPUT[rec["id"]]

    pages = wcxb.score_wcxb(extract, PAGES)
    assert seen == ["p1", "p2"]
    assert list(pages["id"]) == ["p1", "p2"] and list(pages["page_type"]) == ["article", "forum"]
    # p1: output the, river, rose, read, more (5); gold the, river, rose, fast (4); 3 shared: P 3/5, R 3/4, F1 2/3
    p1, p2 = pages.iloc[0], pages.iloc[1]
    assert (p1["precision"], p1["recall"], p1["f1"]) == pytest.approx((3 / 5, 3 / 4, 2 / 3))
    assert (p1["with_found"], p1["without_absent"]) == (1.0, 0.0)
    # p2: empty gold, words in the output -> 0; no `with` snippets -> 1; "log in" is there -> 0 absent
    assert (p2["f1"], p2["with_found"], p2["without_absent"]) == (0.0, 1.0, 0.0)
    assert (pages["ms"] >= 0).all()
    s = wcxb.summary(pages)
    assert s["f1"] == pytest.approx(1 / 3) and s["f1_article"] == pytest.approx(2 / 3) and s["f1_forum"] == 0.0
    assert (s["with_found"], s["without_absent"], s["pages"]) == (1.0, 0.0, 2.0)


def test_benchmark_rows_pair_ours_with_each_peer():
    ours = wcxb.score_wcxb(lambda rec: OUTPUT[rec["id"]], PAGES)
    peer = wcxb.score_wcxb(lambda rec: "", PAGES)  # p1 0, p2 1 (empty gold, empty output)
    rows = wcxb.benchmark_rows("wcxb", {"ours": ours, "peer": peer}, "ours", bootstrap=50)
    by = {(r["system"], r["metric"]): r for r in rows}
    assert by[("ours", "word_f1")]["value"] == pytest.approx(1 / 3) and by[("peer", "word_f1")]["value"] == 0.5
    assert by[("ours", "word_f1")]["kind"] == "ours" and by[("peer", "word_f1")]["kind"] == "peer"
    diff = by[("ours − peer", "word_f1_diff")]
    # per-page differences 2/3 and −1: mean −1/6; every resample's mean lies between −1 and 2/3
    assert diff["value"] == pytest.approx(-1 / 6) and -1 <= diff["lo"] <= diff["hi"] <= 2 / 3
    assert by[("ours − peer", "word_f1_diff_article")]["value"] == pytest.approx(2 / 3)
    assert by[("ours", "ms_per_page")]["lo"] != by[("ours", "ms_per_page")]["lo"]  # NaN: no interval for time


# -- the labeller benchmark's wcxb-dev row, on a hand-written wcxb-dev folder and a stub labeller --------------
class StubLabeller:
    """label_page's body text from a table; the page "refuse" is refused as an unreadable page is."""

    model_version = "stub"

    def __init__(self, bodies: dict[str, str]):
        self.bodies = bodies

    def label_page(self, html: str, doc_id: str = "page", url=None) -> dict:
        from newslabel.errors import InputError

        if doc_id == "refuse":
            raise InputError(doc_id, "not a page")
        return {"body_text": self.bodies.get(doc_id, "")}


def _wcxb_folder(root, pages: list[dict]):
    import gzip
    import json

    (root / "html").mkdir(parents=True)
    with gzip.open(root / "ground-truth.jsonl.gz", "wt", encoding="utf-8") as f:
        for page in pages:
            f.write(json.dumps({k: v for k, v in page.items() if k != "html"}) + "\n")
            (root / "html" / f"{page['id']}.html.gz").write_bytes(gzip.compress(page["html"].encode()))
    return root


HAND_PAGES = [  # scratchculinary.com is a validation site (wcxb_split's doctest), example.org a train one
    {"id": "v1", "domain": "scratchculinary.com", "url": "https://scratchculinary.com/a", "page_type": "article",
     "html": "<html><body><nav>Home</nav><article><p>Stir the soup slowly for ten minutes.</p></article></body></html>",
     "main_content": "Stir the soup slowly for ten minutes.", "with": ["stir the soup"], "without": ["home"]},
    {"id": "refuse", "domain": "scratchculinary.com", "url": "https://scratchculinary.com/b", "page_type": "forum",
     "html": "<html><body><p>Reply</p></body></html>", "main_content": "a reply", "with": [], "without": []},
    {"id": "t1", "domain": "example.org", "url": "https://example.org/", "page_type": "article",
     "html": "<html><body><p>Train page.</p></body></html>", "main_content": "Train page.", "with": [], "without": []},
]


def test_eval_wcxb_scores_the_validation_pages_and_counts_refusals(tmp_path):
    from newslabel.bench import labeller

    root = _wcxb_folder(tmp_path / "wcxb-dev", HAND_PAGES)
    rows = labeller.eval_wcxb(StubLabeller({"v1": "Stir the soup slowly"}), root, bootstrap=50)
    by = {(r["system"], r["metric"]): r for r in rows}
    ours = by[(labeller.WCXB_OURS, "word_f1")]
    # v1: 4 words of 7 (stir, the, soup, slowly): P 1, R 4/7, F1 8/11; refused: empty output against a reply: 0
    assert ours["n"] == 2 and ours["value"] == pytest.approx((8 / 11 + 0) / 2)
    assert ours["confusion"].endswith("refused 1") and {r["split"] for r in rows} == {"validation"}
    assert by[(labeller.WCXB_OURS, "word_f1_forum")]["value"] == 0.0
    assert {name for name, _ in by} >= set(labeller.WCXB_PEERS)
    assert all(0.0 <= by[(p, "word_f1")]["value"] <= 1.0 for p in labeller.WCXB_PEERS)


def test_the_wcxb_rows_render_as_a_line_a_system(tmp_path):
    from newslabel.bench import labeller
    from newslabel.bench import report as bench_report

    root = _wcxb_folder(tmp_path / "wcxb-dev", HAND_PAGES)
    rows = [r | {"split": "validation"} for r in labeller.eval_wcxb(StubLabeller({}), root, bootstrap=20)]
    text = "\n".join(bench_report.render_report(labeller.labeller_report(rows)))
    assert "| system | word F1 (all) | article | forum | with found | without absent | ms/page |" in text
    # no body text: v1 scores 0, the refused page 0; "home" is absent, "stir the soup" missing
    assert f"| {labeller.WCXB_OURS} | 0.000 | 0.000 | 0.000 | 0.500 | 1.000 |" in text


def test_the_gold_text_scores_one_on_the_real_validation_pages():
    from pathlib import Path

    from newslabel.data.importers.wcxb import read_wcxb

    root = Path(__file__).resolve().parents[2] / "shared" / "data" / "wcxb-dev"
    if not root.is_dir():
        pytest.skip(f"{root} not found (public data lives in ../shared/data beside the checkout)")
    pages = wcxb.score_wcxb(lambda rec: rec["main_content"], read_wcxb(root, "validation"))
    s = wcxb.summary(pages)
    assert s["pages"] == 249 and s["f1"] == 1.0 and len([k for k in s if k.startswith("f1_")]) == 7
    assert s["with_found"] > 0.99 and s["without_absent"] > 0.99  # the gold's own snippets (a few gold errors)


def test_the_wcxb_check_alone_is_logged_and_written(tmp_path, monkeypatch):
    import json

    import mlflow

    from newslabel.bench import labeller
    from newslabel.predict import load

    _wcxb_folder(tmp_path / "shared" / "data" / "wcxb-dev", HAND_PAGES)
    monkeypatch.setattr(load, "load_labeller", lambda **_: StubLabeller({"v1": "Stir the soup slowly"}))
    out = tmp_path / "wcxb.json"
    assert labeller.main(["wcxb-dev", "--shared", str(tmp_path / "shared"), "--mlruns", str(tmp_path / "mlruns"),
                          "--out", str(out)]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert {r["check"] for r in rows} == {labeller.WCXB_CHECK} and rows[0]["value"] == pytest.approx(4 / 11)
    timed = [r for r in rows if r["metric"] == "ms_per_page"]
    assert len(timed) == 3 and all(r["lo"] is None and r["value"] > 0 for r in timed)
    runs = mlflow.search_runs(experiment_names=[labeller.EXPERIMENT])
    assert len(runs) == len(rows) and "metrics.ms_per_page_lo" not in runs.columns  # no interval, not logged
