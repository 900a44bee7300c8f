"""Role labels of a split predicted as one batch (how training evaluates) and page by page (how `label_page` labels).

    python benchmarks/page_vs_batch.py [OVERRIDES...]     # e.g. data=sample (the default), model=logreg

Fits the role model as `python -m src.train task=role` does (same config, same train split, no tracking), then
predicts the validation and test splits both ways and prints macro-F1 and body F1 of each, and how many passages
differ. Batch-independent features make the two identical; any difference is a bug. The datasets are built
into a temporary folder, so data/processed and mlruns/ are left alone.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np


def predict_both(model, df):
    """(labels predicted on the whole frame, labels predicted one page at a time)."""
    from newslabel.training.fit import inputs

    X = inputs(df)
    batch = model.classes_[model.predict_proba(X).argmax(axis=1)]
    pages = [X[X["doc_id"] == doc] for doc in dict.fromkeys(X["doc_id"])]
    single = np.concatenate([model.classes_[model.predict_proba(p).argmax(axis=1)] for p in pages])
    order = np.concatenate([np.flatnonzero(X["doc_id"].to_numpy() == doc) for doc in dict.fromkeys(X["doc_id"])])
    by_page = np.empty_like(single)
    by_page[order] = single
    return batch, by_page


def main(overrides: list[str]) -> dict:
    from newslabel.config import compose
    from newslabel.training.evaluate import metrics
    from newslabel.training.fit import ensure_datasets, fit_task, frames

    with tempfile.TemporaryDirectory() as tmp:
        cfg = compose("train", ["task=role", f"paths.processed={Path(tmp) / 'processed'}",
                                f"paths.mlruns={Path(tmp) / 'mlruns'}", *overrides])
        ensure_datasets(cfg)
        data, _, labels = frames("role", cfg)
        model, _, _ = fit_task("role", cfg, data, labels)
    out = {}
    for split in ("validation", "test"):
        gold = data[split]["label"].tolist()
        batch, by_page = predict_both(model, data[split])
        for how, pred in (("batch", batch), ("page", by_page)):
            m = metrics(gold, pred.tolist(), labels, prefix="")
            out[f"{split}_{how}_macro_f1"], out[f"{split}_{how}_body_f1"] = m["macro_f1"], m["body_f1"]
        out[f"{split}_passages"] = len(gold)
        out[f"{split}_differing_passages"] = int((batch != by_page).sum())
    return out


if __name__ == "__main__":
    result = main(sys.argv[1:])
    for split in ("validation", "test"):
        print(f"{split} ({result[f'{split}_passages']} passages): "
              f"batch macro-F1 {result[f'{split}_batch_macro_f1']:.4f} body F1 {result[f'{split}_batch_body_f1']:.4f}; "
              f"page by page macro-F1 {result[f'{split}_page_macro_f1']:.4f} body F1 "
              f"{result[f'{split}_page_body_f1']:.4f}; passages labelled differently: "
              f"{result[f'{split}_differing_passages']}")
