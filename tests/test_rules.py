"""Role rules: which named rule fires where, the accuracy-weighted vote, and the rule report."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from newslabel.ingest.corpus import read_pages
from newslabel.labels.context import PageContext, page_context
from newslabel.labels.rules import (
    MAX_ACCURACY,
    MIN_ACCURACY,
    PRIOR_ACCURACY,
    RULES,
    RuleModel,
    apply_rules,
    page_cues,
    rule_report,
)


def _ctx(texts: list[str], title: str | None = None, shares: list[float | None] | None = None) -> PageContext:
    n = len(texts)
    return PageContext(texts, title, "site", shares or [None] * n, [""] * n, [0.0] * n, [""] * n)


@pytest.fixture(scope="module")
def aggregator_votes(fixtures_dir: Path) -> list[dict[str, str]]:
    pages, errors = read_pages([str(fixtures_dir / "pages" / "tiny-aggregator.txt")])
    assert errors == []
    return apply_rules(page_context(pages[0].records(), None))


def _fired(votes: list[dict[str, str]], rule: str) -> list[int]:
    return [i for i, v in enumerate(votes) if rule in v]


def test_rule_names():
    assert list(RULES) == [
        "repeated_title", "byline_pattern", "related_section", "read_more_link", "relative_time", "promo_phrases",
        "cookie_banner", "share_comment_widget", "footer_phrases", "image_caption", "live_timestamp", "site_template",
        "short_line_before_article", "prose_paragraph", "short_sentence_in_body",
    ]


# Passage indexes of tests/fixtures/pages/tiny-aggregator.txt:
# 0 logo | 1, 2 title | 3 glued byline | 4-7 body | 8 promo | 9 "Related Articles" | 10 teaser | 11 "time1 hour ago"
def test_aggregator_named_rules_fire_where_expected(aggregator_votes):
    v = aggregator_votes
    assert _fired(v, "repeated_title") == [1, 2]
    assert _fired(v, "byline_pattern") == [3]
    assert _fired(v, "related_section") == [9, 10, 11]
    assert _fired(v, "relative_time") == [11]
    assert _fired(v, "promo_phrases") == [8]
    assert _fired(v, "share_comment_widget") == [0]
    assert _fired(v, "short_line_before_article") == [0]
    assert _fired(v, "prose_paragraph") == [4, 5, 6, 7]
    assert _fired(v, "short_sentence_in_body") == [5, 6]
    for rule in ("read_more_link", "cookie_banner", "footer_phrases", "image_caption", "live_timestamp",
                 "site_template"):
        assert _fired(v, rule) == []


def test_aggregator_all_votes(aggregator_votes):
    assert aggregator_votes == [
        {"share_comment_widget": "chrome", "short_line_before_article": "chrome"},
        {"repeated_title": "title"},
        {"repeated_title": "title"},
        {"byline_pattern": "byline"},
        {"prose_paragraph": "body"},
        {"prose_paragraph": "body", "short_sentence_in_body": "body"},
        {"prose_paragraph": "body", "short_sentence_in_body": "body"},
        {"prose_paragraph": "body"},
        {"promo_phrases": "promo"},
        {"related_section": "related"},
        {"related_section": "related"},
        {"related_section": "related", "relative_time": "related"},
    ]


def test_aggregator_prior_vote(aggregator_votes):
    model = RuleModel()
    assert [model.predict_one(v)[0] for v in aggregator_votes] == [
        "chrome", "title", "title", "byline", "body", "body", "body", "body", "promo", "related", "related", "related"]
    # One rule at the prior accuracy 0.8 has likelihood ratio 0.8 * 5 / 0.2 = 20: 20 / (20 + 5 roles at e^0 = 1).
    assert model.predict_one(aggregator_votes[3])[1] == pytest.approx(20 / 25)
    # Two agreeing rules: 20 * 20 = 400.
    assert model.predict_one(aggregator_votes[11])[1] == pytest.approx(400 / 405)


def test_related_section_ends_at_promo_and_time_needs_prose_before():
    ctx = _ctx([
        "2h ago",  # before any prose: not teaser metadata
        "The river burst its banks overnight and flooded the lower town, the fire service said.",
        "Most read",
        "Ferry timetable changes for the summer",
        "5 mins ago",
        "Sign up to our morning newsletter",
        "Some trailing words after the promo",
    ])
    cues = page_cues(ctx)
    assert cues.related == [False, False, True, True, True, False, False]
    assert cues.first_prose == 1
    votes = apply_rules(ctx)
    assert _fired(votes, "related_section") == [2, 3, 4]
    assert _fired(votes, "relative_time") == [4]
    assert _fired(votes, "promo_phrases") == [5]


@pytest.mark.parametrize(("text", "rule", "role"), [
    ("Read more: Council approves the new harbour wall", "read_more_link", "related"),
    ("We use cookies to improve your experience. Accept all", "cookie_banner", "chrome"),
    ("Share this article", "share_comment_widget", "chrome"),
    ("© 2025 Northfield Press. All rights reserved.", "footer_phrases", "chrome"),
    ("The old pier at dusk (Photo: Jan Morrow)", "image_caption", "chrome"),
    ("45+2'", "live_timestamp", "chrome"),
    ("17:42", "live_timestamp", "chrome"),
    ("By Rhiannon Dace", "byline_pattern", "byline"),
])
def test_single_rules(text, rule, role):
    prose = "The committee met on Tuesday and agreed the plan after a long and careful debate."
    votes = apply_rules(_ctx(["A headline about the harbour wall plan", prose, text, prose],
                             title="A headline about the harbour wall plan"))
    assert votes[2].get(rule) == role


def test_site_template_needs_a_share():
    texts = ["Weather", "A headline about the harbour wall plan", "Weather"]
    assert _fired(apply_rules(_ctx(texts, shares=[0.75, 0.25, 0.5])), "site_template") == [0, 2]
    assert _fired(apply_rules(_ctx(texts, shares=[0.4, None, None])), "site_template") == []


# -- the weighted vote ----------------------------------------------------------------------------
TOY_VOTES = [
    {"repeated_title": "title"},
    {"prose_paragraph": "body", "short_sentence_in_body": "body"},
    {"prose_paragraph": "body", "related_section": "related", "relative_time": "related"},
    {},
]
TOY_GOLD = ["title", "body", "related", "chrome"]


def test_fit_estimates_accuracy_from_gold():
    votes = [
        {"prose_paragraph": "body"},
        {"prose_paragraph": "body", "related_section": "related"},
        {"prose_paragraph": "body"},  # no gold: not counted
        {"repeated_title": "title"},
    ]
    model = RuleModel().fit(votes, ["body", "related", None, "title"])
    # (hits + 2 * 0.8) / (seen + 2)
    assert model.accuracy["prose_paragraph"] == pytest.approx((1 + 1.6) / (2 + 2)) == 0.65
    assert model.accuracy["related_section"] == pytest.approx((1 + 1.6) / (1 + 2))
    assert model.accuracy["repeated_title"] == pytest.approx(2.6 / 3)
    assert model.accuracy["cookie_banner"] == pytest.approx(PRIOR_ACCURACY)  # never fired: the prior
    assert set(model.accuracy) == set(RULES)
    # log(a (K - 1) / (1 - a)) with K = 6 roles
    assert model.weight("prose_paragraph") == pytest.approx(math.log(0.65 * 5 / 0.35))
    assert model.weight("related_section") == pytest.approx(math.log(32.5))
    # related (ratio 32.5) beats body (65/7); title, byline, promo, chrome abstain at 1.
    role, conf = model.predict_one({"prose_paragraph": "body", "related_section": "related"})
    assert role == "related"
    assert conf == pytest.approx(32.5 / (32.5 + 65 / 7 + 4))


def test_fit_clamps_accuracy():
    never = [{"live_timestamp": "chrome"}] * 98
    always = [{"footer_phrases": "chrome"}] * 198
    model = RuleModel().fit(never + always, ["body"] * 98 + ["chrome"] * 198)
    assert model.accuracy["live_timestamp"] == MIN_ACCURACY == 0.05  # 1.6 / 100 = 0.016, clamped
    assert model.accuracy["footer_phrases"] == MAX_ACCURACY == 0.99  # 199.6 / 200 = 0.998, clamped


def test_predict_one_weighted_winner():
    model = RuleModel(accuracy={"prose_paragraph": 0.65, "related_section": 2.6 / 3, "relative_time": 2.6 / 3})
    role, conf = model.predict_one(TOY_VOTES[2])
    # related: 32.5 * 32.5 = 1056.25 from two rules, against body's single 65/7.
    assert role == "related"
    assert conf == pytest.approx(1056.25 / (1056.25 + 65 / 7 + 4))
    # A rule missing from the fitted accuracies gets the prior weight, log(0.8 * 5 / 0.2).
    assert model.weight("byline_pattern") == pytest.approx(math.log(20))
    assert model.predict_one({}) == (None, 0.0)
    # A strong single rule outvotes two weak ones.
    weak = RuleModel(accuracy={"prose_paragraph": 0.6, "short_sentence_in_body": 0.6, "related_section": 0.95})
    role, conf = weak.predict_one({"prose_paragraph": "body", "short_sentence_in_body": "body",
                                   "related_section": "related"})
    assert role == "related"
    assert conf == pytest.approx(95 / (95 + 7.5 * 7.5 + 4))


def test_weak_rule_above_chance_adds_to_its_own_label():
    # K = 6 roles, so chance is 1/6: a rule right 40% of the time is evidence for its label, weight
    # log(0.4 * 5 / 0.6) = log(10/3) > 0 (the log-odds log(0.4 / 0.6) would vote against it).
    model = RuleModel(accuracy={"prose_paragraph": 0.4, "image_caption": 0.3})
    assert model.weight("prose_paragraph") == pytest.approx(math.log(10 / 3))
    role, conf = model.predict_one({"prose_paragraph": "body"})
    # Alone, its posterior is its accuracy: (10/3) / (10/3 + 5).
    assert role == "body" and conf == pytest.approx(0.4)
    # Against a weaker rule (0.3: ratio 1.5 / 0.7 = 15/7) it still wins; both beat the four silent roles.
    role, conf = model.predict_one({"prose_paragraph": "body", "image_caption": "chrome"})
    assert role == "body" and conf == pytest.approx((10 / 3) / (10 / 3 + 15 / 7 + 4))
    # At chance exactly the weight is 0: the rule carries no evidence.
    assert RuleModel(accuracy={"prose_paragraph": 1 / 6}).weight("prose_paragraph") == pytest.approx(0.0)


def _row(rows, rule):
    return next(r for r in rows if r["rule"] == rule)


def test_rule_report_on_toy_votes():
    rows = rule_report(TOY_VOTES, TOY_GOLD, RuleModel())
    assert [r["rule"] for r in rows] == [*RULES, "COMBINED"]
    keys = ("label", "coverage", "overlaps", "conflicts", "accuracy", "n_gold", "weight")
    expect = {
        "repeated_title": ("title", 0.25, 0.0, 0.0, 1.0, 1, 2.996),
        "prose_paragraph": ("body", 0.5, 0.5, 0.25, 0.5, 2, 2.996),
        "short_sentence_in_body": ("body", 0.25, 0.25, 0.0, 1.0, 1, 2.996),
        "related_section": ("related", 0.25, 0.25, 0.25, 1.0, 1, 2.996),
        "relative_time": ("related", 0.25, 0.25, 0.25, 1.0, 1, 2.996),
        "cookie_banner": ("", 0.0, 0.0, 0.0, None, 0, 2.996),
        # Passage 3 is covered by no rule, so its gold is not judged: 3 of 3 covered are right.
        "COMBINED": ("", 0.75, None, 0.25, 1.0, 3, None),
    }
    for rule, values in expect.items():
        assert tuple(_row(rows, rule)[k] for k in keys) == values, rule
    assert {(r["accuracy_on"], r["in_sample"]) for r in rows} == {("all gold", True)}


def test_rule_report_with_fitted_weights():
    model = RuleModel().fit(TOY_VOTES, TOY_GOLD)
    rows = rule_report(TOY_VOTES, TOY_GOLD, model)
    assert _row(rows, "prose_paragraph")["weight"] == round(math.log(0.65 * 5 / 0.35), 3) == 2.228
    assert _row(rows, "repeated_title")["weight"] == round(math.log(32.5), 3) == 3.481
    assert _row(rows, "COMBINED")["accuracy"] == 1.0
    # Gold of None is not judged.
    rows = rule_report(TOY_VOTES, [None, "body", None, None], model)
    assert (_row(rows, "prose_paragraph")["accuracy"], _row(rows, "prose_paragraph")["n_gold"]) == (1.0, 1)
    assert _row(rows, "repeated_title")["accuracy"] is None
    assert _row(rows, "COMBINED")["n_gold"] == 1


def test_rule_report_held_out_accuracy_is_marked():
    # Weights fitted on the train rows (0, 1); accuracy reported on the validation rows (2, 3), marked.
    votes = [{"prose_paragraph": "body"}, {"prose_paragraph": "body"}, {"prose_paragraph": "body"},
             {"prose_paragraph": "body", "related_section": "related"}]
    gold = ["body", "chrome", "related", "related"]
    splits = ["train", "train", "validation", "validation"]
    model = RuleModel().fit(votes[:2], gold[:2])
    rows = rule_report(votes, gold, model, splits)
    prose, related, combined = _row(rows, "prose_paragraph"), _row(rows, "related_section"), _row(rows, "COMBINED")
    assert (prose["accuracy"], prose["n_gold"], prose["train_accuracy"], prose["n_train_gold"]) == (0.0, 2, 0.5, 2)
    assert (related["accuracy"], related["n_gold"], related["train_accuracy"]) == (1.0, 1, None)
    assert (prose["accuracy_on"], prose["in_sample"]) == ("validation", False)
    # Validation: row 2 voted body (wrong); row 3 related, the prior 0.8 (ratio 20) beating prose's 0.65 (65/7).
    assert (combined["accuracy"], combined["n_gold"], combined["train_accuracy"]) == (0.5, 2, 0.5)
