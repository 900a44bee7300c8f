r"""Benchmark scores: passage-level body metrics, label metrics, FNC-1 stance metrics, and their 95% intervals
(a bootstrap over pages or items), with the confusions and body errors a result file lists.

>>> m = passage_metrics([True, True, False, False], [True, False, True, False])
>>> m["precision_body"], m["recall_body"], m["body_f1"], m["accuracy"]
(0.5, 0.5, 0.5, 0.5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from newslabel.labels.schema import STANCE

STANCE_LABELS = STANCE.names


# -- metrics ---------------------------------------------------------------------------------
def passage_metrics(gold: list[bool], pred: list[bool]) -> dict[str, float]:
    """Passage-level (micro) P/R/F1 of the body class, boilerplate F1, macro-F1 and accuracy."""
    g, p = np.asarray(gold, dtype=bool), np.asarray(pred, dtype=bool)
    tp, fp, fn, tn = int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum()), int((~g & ~p).sum())
    return _counts_metrics(tp, fp, fn, tn)


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _counts_metrics(tp: int, fp: int, fn: int, tn: int) -> dict[str, float]:
    body, boiler = _f1(tp, fp, fn), _f1(tn, fn, fp)
    n = tp + fp + fn + tn
    return {
        "precision_body": tp / (tp + fp) if tp + fp else 0.0,
        "recall_body": tp / (tp + fn) if tp + fn else 0.0,
        "body_f1": body,
        "f1_boilerplate": boiler,
        "macro_f1": (body + boiler) / 2,
        "accuracy": (tp + tn) / n if n else 0.0,
    }


def page_bootstrap(gold: list[bool], pred: list[bool], pages: list[str], n: int, seed: int = 0) -> tuple[float, float]:
    """95% interval of body F1 over pages resampled with replacement (n resamples)."""
    frame = pd.DataFrame({"g": np.asarray(gold, bool), "p": np.asarray(pred, bool), "page": pages})
    counts = frame.assign(tp=frame.g & frame.p, fp=~frame.g & frame.p, fn=frame.g & ~frame.p)
    per_page = counts.groupby("page", sort=False)[["tp", "fp", "fn"]].sum().to_numpy(dtype=float)
    if n <= 0 or len(per_page) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(per_page), size=(n, len(per_page)))
    sums = per_page[idx].sum(axis=1)
    tp, fp, fn = sums[:, 0], sums[:, 1], sums[:, 2]
    f1 = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0)
    return float(np.percentile(f1, 2.5)), float(np.percentile(f1, 97.5))


def item_bootstrap(gold: list[str], pred: list[str], labels: list[str], n: int, seed: int = 0,
                   fnc: bool = False) -> dict[str, float]:
    """95% intervals of accuracy and macro-F1 (over `labels`; FNC-1: also the relative score) over test items
    resampled with replacement: {metric_ci_low, metric_ci_high}.

    >>> ci = item_bootstrap(["a", "b"], ["a", "a"], ["a", "b"], 500, seed=1)
    >>> ci["accuracy_ci_low"], ci["accuracy_ci_high"]
    (0.0, 1.0)
    """
    index = {lab: k for k, lab in enumerate(labels)}
    g = np.asarray([index[x] for x in gold])
    p = np.asarray([index.get(x, len(labels)) for x in pred])
    if n <= 0 or len(g) < 2:
        return {}
    k = len(labels) + 1
    rng = np.random.default_rng(seed)
    acc, macro, rel = np.empty(n), np.empty(n), np.empty(n)
    related = np.asarray([lab != "unrelated" for lab in labels] + [False])
    for b in range(n):
        idx = rng.integers(0, len(g), size=len(g))
        cm = np.bincount(g[idx] * k + p[idx], minlength=k * k).reshape(k, k)[: len(labels)]
        tp = np.diag(cm[:, : len(labels)]).astype(float)
        support, predicted = cm.sum(axis=1), cm[:, : len(labels)].sum(axis=0)
        present = (support + predicted) > 0
        f1 = np.where(present, 2 * tp / np.maximum(support + predicted, 1), 0.0)
        acc[b], macro[b] = tp.sum() / len(g), f1[present].mean() if present.any() else 0.0
        if fnc:
            gi, pi = g[idx], p[idx]
            same_side = related[gi] == related[pi]
            score = 0.25 * same_side + 0.75 * (same_side & related[gi] & (gi == pi))
            rel[b] = score.sum() / np.where(related[gi], 1.0, 0.25).sum()
    out = {}
    for name, values in (("accuracy", acc), ("macro_f1", macro), *((("fnc_relative", rel),) if fnc else ())):
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = (float(np.percentile(values, 2.5)),
                                                          float(np.percentile(values, 97.5)))
    return out


def confusions(gold: list[str], pred: list[str], top: int = 4) -> str:
    """The commonest errors as `gold→predicted count`, after the error count.

    >>> confusions(["a", "a", "b", "c", "c"], ["a", "b", "b", "a", "b"])
    '3 of 5 wrong: a→b 1, c→a 1, c→b 1'
    """
    pairs = pd.Series([f"{g}→{p}" for g, p in zip(gold, pred) if g != p], dtype=object)
    counts = pairs.value_counts(sort=False).sort_index().sort_values(ascending=False, kind="stable").head(top)
    head = f"{len(pairs)} of {len(gold)} wrong"
    return head + (": " + ", ".join(f"{k} {v}" for k, v in counts.items()) if len(pairs) else "")


def body_errors(gold: list[bool], pred: list[bool], test: pd.DataFrame, top: int = 3) -> str:
    """Missed and false body passages, each with its commonest HTML tags and median length in tokens."""
    g, p = np.asarray(gold, bool), np.asarray(pred, bool)
    tags = test["tag"].fillna("").astype(str).replace("", "?").to_numpy() if "tag" in test else np.full(len(g), "?")
    tokens = test["text"].astype(str).str.split().str.len().to_numpy()
    parts = []
    for what, mask in (("missed body", g & ~p), ("false body", ~g & p)):
        common = pd.Series(tags[mask], dtype=object).value_counts().head(top)
        median = int(np.median(tokens[mask])) if mask.any() else 0
        parts.append(f"{what} {int(mask.sum())} (tags {', '.join(f'{k} {v}' for k, v in common.items()) or '—'}; "
                     f"median {median} tokens)")
    return "; ".join(parts)


def label_metrics(gold: list[str], pred: list[str], labels: list[str]) -> dict[str, float]:
    """accuracy, macro_f1 and f1_<label> (evaluate.metrics without a prefix)."""
    from newslabel.training.evaluate import metrics

    return metrics(list(gold), list(pred), list(labels), prefix="")


def stance_metrics(gold: list[str], pred: list[str]) -> dict[str, float]:
    """The official FNC-1 score (raw and relative to the maximum), macro-F1 (newslabel.scoring), per-class F1."""
    from newslabel.training.evaluate import fnc_score

    raw, best = fnc_score(list(gold), list(pred))
    out = label_metrics(gold, pred, list(STANCE_LABELS))
    out.update(fnc_score=raw, fnc_max=best, fnc_relative=raw / best if best else 0.0)
    return out
