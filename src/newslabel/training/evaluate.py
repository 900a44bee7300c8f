"""Metrics with the same names in every run, and the report artifacts.

>>> m = metrics(["body", "chrome", "body"], ["body", "body", "body"], ["body", "chrome"], prefix="test_")
>>> round(m["test_accuracy"], 3), round(m["test_f1_body"], 3), round(m["test_body_f1"], 3)
(0.667, 0.8, 0.8)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import classification_report, confusion_matrix, f1_score

from newslabel.models.body_gate import BODY, COARSE
from newslabel.scoring import accuracy, macro_f1


def metrics(y_true, y_pred, labels: list[str], prefix: str) -> dict[str, float]:
    """accuracy, macro_f1 (newslabel.scoring), f1_<label>, and body_f1 if any."""
    out = {f"{prefix}accuracy": accuracy(y_true, y_pred), f"{prefix}macro_f1": macro_f1(y_true, y_pred, labels)}
    per = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    for lab, v in zip(labels, per):
        out[f"{prefix}f1_{lab.replace(' ', '_').replace(',', '')}"] = float(v)
    if "body" in labels:
        out[f"{prefix}body_f1"] = float(f1_score(np.asarray(y_true) == "body", np.asarray(y_pred) == "body",
                                                 zero_division=0))
    return out


def coarse_view(gold: np.ndarray, pred: np.ndarray, coarse: str = COARSE) -> np.ndarray:
    """Predictions as the gold's granularity reads them: where the gold only says `coarse` (not body: the
    extraction sets' rows), any predicted role but body is `coarse`.

    >>> coarse_view(np.array(["boilerplate", "boilerplate", "title"]), np.array(["chrome", "body", "chrome"])).tolist()
    ['boilerplate', 'body', 'chrome']
    """
    pred = np.asarray(pred, dtype=object)
    return np.where((np.asarray(gold) == coarse) & (pred != BODY), coarse, pred)


def fnc_score(y_true, y_pred) -> tuple[float, float]:
    """The official FNC-1 weighted score: (raw, max). +0.25 for related/unrelated right, +0.75 more for the
    exact related label.

    >>> fnc_score(["unrelated", "agree", "discuss"], ["unrelated", "discuss", "discuss"])
    (1.5, 2.25)
    """
    related = {"agree", "disagree", "discuss"}
    raw = best = 0.0
    for t, p in zip(y_true, y_pred):
        best += 1.0 if t in related else 0.25
        if (t in related) == (p in related):
            raw += 0.25
            if t in related and t == p:
                raw += 0.75
    return raw, best


def write_reports(out_dir: Path, y_true, y_pred, labels: list[str], frame: pd.DataFrame, scores,
                  title: str = "") -> list[Path]:
    """confusion_matrix.png (titled `title`: task, split, model), classification_report.txt and
    misclassified.csv for a test split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    present = [lab for lab in labels if lab in set(y_true) | set(y_pred)]
    cm = confusion_matrix(y_true, y_pred, labels=present)
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(present), 1.0 + 0.6 * len(present)))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(present)), present, rotation=45, ha="right")
    ax.set_yticks(range(len(present)), present)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if title:
        ax.set_title(f"confusion matrix: {title}", fontsize=9, loc="left")
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
    fig.tight_layout()
    png = out_dir / "confusion_matrix.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    report = out_dir / "classification_report.txt"
    report.write_text(classification_report(y_true, y_pred, labels=present, zero_division=0, digits=3))
    wrong = frame.assign(gold=list(y_true), predicted=list(y_pred), score=list(scores))
    wrong = wrong[wrong["gold"] != wrong["predicted"]]
    keep = [c for c in ("doc_id", "index", "line", "headline", "text", "gold", "predicted", "score") if c in wrong]
    csv = out_dir / "misclassified.csv"
    wrong[keep].to_csv(csv, index=False)
    return [png, report, csv]


def by_source(task: str, df: pd.DataFrame, pred, labels: list[str], prefix: str) -> dict[str, float]:
    """accuracy and macro-F1 (and the FNC relative score for stance) per `source` of a mixed split."""
    if "source" not in df or df["source"].nunique() < 2:
        return {}
    out = {}
    pred = np.asarray(pred)
    for source, idx in df.groupby("source").indices.items():
        gold = df["label"].iloc[idx].tolist()
        present = [lab for lab in labels if lab in set(gold)]
        m = metrics(gold, pred[idx].tolist(), present, f"{prefix}{source}_")
        out.update({k: v for k, v in m.items() if k.endswith(("_accuracy", "_macro_f1"))})
        if task == "stance":
            raw, best = fnc_score(gold, pred[idx].tolist())
            out[f"{prefix}{source}_fnc_relative"] = raw / best if best else 0.0
    return out
