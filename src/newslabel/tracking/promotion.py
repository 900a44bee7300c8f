"""The champion rule, in plain numpy: a paired bootstrap of (new − champion) on the validation split.

Both models predict the same validation rows; each resample draws passages (pages for role, whose passages
are not independent) with replacement and scores both models on the same draw, so the noise the two share
cancels. The new model is promoted only when the lower end of the interval of the difference is above the
configured bound (0: "better, beyond resampling noise"); identical predictions give a zero-width interval
at 0, a tie, which never promotes.

>>> y = np.array(["a", "b", "a", "b"])
>>> weighted_metric("macro_f1", y, np.array(["a", "b", "b", "b"]), np.ones((1, 4)))
array([0.73333333])
>>> c = paired_bootstrap("val_macro_f1", y, y, y, resamples=50, confidence=0.95, seed=0)
>>> (c.new, c.champion, c.low, c.high, c.verdict(0.0))
(1.0, 1.0, 0.0, 0.0, 'tie')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 100  # resamples scored at once (bounds memory: CHUNK × rows weights)


@dataclass(frozen=True)
class Comparison:
    metric: str  # e.g. val_body_f1
    new: float  # on the validation split as it is
    champion: float
    low: float  # the interval of (new − champion) over the resamples
    high: float
    resamples: int
    unit: str  # what was resampled: passages or pages
    identical: bool  # the two models predicted the same label on every row

    @property
    def diff(self) -> float:
        return self.new - self.champion

    def verdict(self, min_lower_bound: float) -> str:
        """`better` (promote), `tie` (same predictions or same score) or `not better`."""
        if self.identical or self.diff == 0:
            return "tie"
        return "better" if self.low > min_lower_bound else "not better"

    def summary(self, confidence: float) -> str:
        return (f"{self.metric} {self.new:.4f} vs {self.champion:.4f}: difference {self.diff:+.4f}, "
                f"{confidence:.0%} interval [{self.low:+.4f}, {self.high:+.4f}] over {self.resamples} "
                f"{self.unit} resamples")


def weighted_metric(name: str, y: np.ndarray, pred: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """`name` (accuracy, macro_f1 or body_f1, as evaluate.metrics defines them) under each row of `weights`
    (resamples × rows, how often each row was drawn)."""
    if name == "accuracy":
        return weights @ (y == pred) / weights.sum(axis=1)
    if name == "body_f1":
        y, pred, classes = (y == "body"), (pred == "body"), np.array([True])
    else:
        classes = np.union1d(y, pred)
    truth, guess = (y[:, None] == classes), (pred[:, None] == classes)
    tp, fp, fn = weights @ (truth & guess), weights @ (~truth & guess), weights @ (truth & ~guess)
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(denom, dtype=float), where=denom > 0)
    if name == "body_f1":
        return f1[:, 0]
    # macro over the labels present (in truth or prediction) in each resample, as evaluate.metrics does
    return f1.sum(axis=1) / np.maximum((denom > 0).sum(axis=1), 1)


def paired_bootstrap(metric: str, y, new, champion, groups=None, resamples: int = 1000, confidence: float = 0.95,
                     seed: int = 0) -> Comparison:
    """Compare two models' predictions `new` and `champion` of the rows labelled `y`; `groups` (e.g. page ids)
    are resampled whole when given. `metric` is a validation metric name such as `val_macro_f1`."""
    y, new, champion = (np.asarray(a, dtype=object).astype(str) for a in (y, new, champion))
    name = metric.split("_", 1)[1]
    unit_of_row = np.unique(np.asarray(groups), return_inverse=True)[1] if groups is not None else np.arange(len(y))
    n_units = int(unit_of_row.max()) + 1
    rng = np.random.default_rng(seed)
    diffs = []
    for start in range(0, resamples, CHUNK):
        drawn = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=min(CHUNK, resamples - start))
        weights = drawn[:, unit_of_row].astype(float)
        diffs.append(weighted_metric(name, y, new, weights) - weighted_metric(name, y, champion, weights))
    diffs = np.concatenate(diffs)
    ones = np.ones((1, len(y)))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return Comparison(metric, float(weighted_metric(name, y, new, ones)[0]),
                      float(weighted_metric(name, y, champion, ones)[0]), float(low), float(high), resamples,
                      "page" if groups is not None else "passage", bool((new == champion).all()))
