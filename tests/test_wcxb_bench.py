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
