"""The champion rule's paired bootstrap (promotion.py), on small cases checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from newslabel.tracking.promotion import paired_bootstrap, weighted_metric
from newslabel.training.evaluate import metrics

LABELS = ["body", "chrome", "title"]


def test_unit_weights_give_the_metrics_of_evaluate():
    y = np.array(["body", "body", "chrome", "title", "chrome", "body"])
    pred = np.array(["body", "chrome", "chrome", "body", "chrome", "body"])
    m = metrics(list(y), list(pred), LABELS, "val_")
    ones = np.ones((1, len(y)))
    # by hand: body tp 2 fp 1 fn 1 -> F1 2/3; chrome tp 2 fp 1 fn 0 -> 0.8; title tp 0 fn 1 -> 0
    assert weighted_metric("body_f1", y, pred, ones)[0] == pytest.approx(2 / 3) == m["val_body_f1"]
    assert weighted_metric("macro_f1", y, pred, ones)[0] == pytest.approx((2 / 3 + 0.8 + 0) / 3)
    assert weighted_metric("macro_f1", y, pred, ones)[0] == pytest.approx(m["val_macro_f1"])
    assert weighted_metric("accuracy", y, pred, ones)[0] == pytest.approx(4 / 6) == m["val_accuracy"]


def test_integer_weights_equal_repeating_rows():
    y = np.array(["body", "chrome", "title", "body"])
    pred = np.array(["body", "body", "title", "chrome"])
    w = np.array([[2, 0, 1, 3]])
    repeated = metrics(list(np.repeat(y, w[0])), list(np.repeat(pred, w[0])), LABELS, "val_")
    # the resample drops the only chrome row: chrome stays in the macro mean (predicted 3 times, F1 0)
    assert weighted_metric("macro_f1", y, pred, w)[0] == pytest.approx(repeated["val_macro_f1"])
    assert weighted_metric("macro_f1", y, pred, w)[0] == pytest.approx((4 / 7 + 0 + 1) / 3)
    # body: 2 right, 3 predicted chrome -> 2*2 / (2*2 + 0 + 3)
    assert weighted_metric("body_f1", y, pred, w)[0] == pytest.approx(repeated["val_body_f1"])
    assert weighted_metric("body_f1", y, pred, w)[0] == pytest.approx(4 / 7)


def test_identical_predictions_are_a_tie():
    y = ["body", "chrome"] * 10
    pred = ["body"] * 20
    c = paired_bootstrap("val_body_f1", y, pred, pred, resamples=200, seed=1)
    assert (c.new, c.champion, c.low, c.high, c.identical) == (c.champion, pytest.approx(2 / 3), 0.0, 0.0, True)
    assert c.verdict(0.0) == "tie"
    assert c.summary(0.95) == ("val_body_f1 0.6667 vs 0.6667: difference +0.0000, 95% interval [+0.0000, +0.0000] "
                               "over 200 passage resamples")


def test_one_better_passage_in_four_is_noise():
    """New fixes one of four passages: +0.27 macro-F1, but 32% of resamples ((3/4)^4) miss that passage."""
    y = ["a", "a", "b", "b"]
    c = paired_bootstrap("val_macro_f1", y, y, ["a", "b", "b", "b"], resamples=1000, seed=0)
    assert c.new == 1.0 and c.champion == pytest.approx((2 / 3 + 0.8) / 2)
    assert c.low == 0.0 and c.high > 0.2  # the new model is never worse on a draw, often no better
    assert c.verdict(0.0) == "not better"


def test_forty_fixed_passages_in_two_hundred_beat_noise():
    y = np.array(["a", "b"] * 100)
    champion = y.copy()
    champion[:40] = np.where(y[:40] == "a", "b", "a")  # 40 errors the new model does not make
    c = paired_bootstrap("val_accuracy", y, y, champion, resamples=1000, seed=0)
    assert (c.new, c.champion) == (1.0, 0.8)
    assert 0.1 < c.low < 0.2 and c.verdict(0.0) == "better"


def test_pages_are_resampled_whole():
    """One page only: every resample is that page, so the interval is the point difference."""
    y, new, old = ["body", "chrome", "body"], ["body", "chrome", "body"], ["body", "body", "chrome"]
    c = paired_bootstrap("val_body_f1", y, new, old, groups=["p1", "p1", "p1"], resamples=100, seed=0)
    assert c.unit == "page" and c.low == c.high == pytest.approx(c.diff) == pytest.approx(1 - 0.5)
