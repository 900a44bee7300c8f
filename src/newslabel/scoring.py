"""The two scores every stage reports the same way (training runs, benchmarks, the labeller checks).

macro-F1 is the mean F1 over the labels that occur in the gold or the predictions (scikit-learn's default set):
a label in neither has no F1 to average, and a label only predicted counts, with F1 0. A null prediction (None,
a passage left unlabelled) is a wrong label.

>>> macro_f1(["a", "a", "b"], ["a", "b", "b"]), accuracy(["a", "a", "b"], ["a", "b", "b"])
(0.6666666666666666, 0.6666666666666666)
>>> macro_f1(["a", "b"], ["a", "c"], labels=["a", "b", "c", "d"])  # d absent: not averaged; c only predicted
0.3333333333333333
"""

from __future__ import annotations


def present_labels(gold, pred, labels=None) -> list:
    """The labels macro-F1 averages over, in the order of `labels` (sorted when None)."""
    seen = set(gold) | set(pred)
    return [lab for lab in labels if lab in seen] if labels is not None else sorted(seen, key=str)


def macro_f1(gold, pred, labels=None) -> float:
    from sklearn.metrics import f1_score

    gold, pred = list(gold), ["" if p is None else p for p in pred]
    if not gold:
        return 0.0
    return float(f1_score(gold, pred, labels=present_labels(gold, pred, labels), average="macro", zero_division=0))


def accuracy(gold, pred) -> float:
    gold, pred = list(gold), list(pred)
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
