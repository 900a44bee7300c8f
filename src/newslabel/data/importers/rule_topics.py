"""Full-length articles of other sets' training splits, topic-labelled by a rule (`labels.topic_rules`).

The texts: FNC-1's train bodies (the baseline's train part), extraction-merged's English training pages' gold
text (not the synthetic ones), webextract's training pages' body and wcxb-dev's training sites' article pages'
main text, each of at least `MIN_WORDS` words, each distinct text once. Their sets label roles or stance, not
topic; the rule gives the topic where the IPTC tree's words clearly vote for one, and only the topics asked for
(`labels`) are kept: the rule's precision was measured on validation articles for health alone.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd

from newslabel.data.importers import common
from newslabel.data.importers.common import Rows
from newslabel.labels.topic_rules import iptc_lexicon, rule_topic

MIN_WORDS = 100  # an article, not a headline or a teaser


def unlabelled_articles(root: Path) -> pd.DataFrame:
    """(pool, doc_id, text) of the training-split texts above, from the data root's folders that are present."""
    from newslabel.data.importers.extraction import webextract_splits
    from newslabel.data.importers.wcxb import wcxb_split

    root, rows = Path(root), []
    if (root / "fnc1").is_dir():
        split = common.read_csv(root / "fnc1" / "train_holdout_split.csv", ("Body ID", "split"))
        train_ids = set(split.loc[split["split"] == "train", "Body ID"])
        bodies = common.read_csv(root / "fnc1" / "train_bodies.csv", ("Body ID", "articleBody"))
        rows += [("fnc1", f"fnc1-{b}", t) for b, t in zip(bodies["Body ID"], bodies["articleBody"]) if b in train_ids]
    if (root / "extraction-merged").is_dir():
        with gzip.open(root / "extraction-merged" / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
            rows += [(p["dataset"], f"em-{p['page_id']}", p["gold_text"]) for p in map(json.loads, f)
                     if p["split"] == "train" and p["lang"] == "en" and not p.get("synthetic")]
    if (root / "webextract").is_dir():
        pages = pd.read_json(root / "webextract" / "pages.jsonl", lines=True)
        pages = pages[webextract_splits(pages) == "train"]
        rows += [("webextract", f"we-{i}", t) for i, t in zip(pages["page_id"], pages["body"])]
    if (root / "wcxb-dev").is_dir():
        with gzip.open(root / "wcxb-dev" / "ground-truth.jsonl.gz", "rt", encoding="utf-8") as f:
            rows += [("wcxb", f"wcxb-{r['id']}", r["main_content"] or "") for r in map(json.loads, f)
                     if r["page_type"] == "article" and wcxb_split(r["domain"]) == "train"]
    df = pd.DataFrame(rows, columns=["pool", "doc_id", "text"])
    df["text"] = ["\n".join(ln.strip() for ln in str(t).split("\n") if ln.strip()) for t in df["text"]]
    return df[df["text"].str.split().str.len() >= MIN_WORDS].drop_duplicates("text").reset_index(drop=True)


def import_rule_topics(root: Path, labels: tuple[str, ...] = ("health",)) -> dict[str, dict[str, Rows]]:
    """The IPTC folder (``iptc-mediatopic``, the rule's words) with the other sets beside it -> ``topic`` training
    rows: `unlabelled_articles` of its parent folder whose rule topic is one of `labels`. doc_id = "rule-" + the text's own id (the topic head weighs them as the source ``rule``), group = that
    id, label_source = "rule", confidence 0.5. Training rows only: the texts come from training splits, and a
    rule's labels are not gold to choose or report on."""
    path = common.require(Path(root), "iptc_top_level.jsonl.gz", "rule_topics", "iptc-mediatopic")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lexicon = iptc_lexicon([json.loads(line) for line in f if line.strip()])
    df = unlabelled_articles(Path(root).parent)
    df["label"] = [rule_topic(t, lexicon) for t in df["text"]]
    df = df[df["label"].isin(list(labels))]
    out = pd.DataFrame({"doc_id": "rule-" + df["doc_id"], "group": df["doc_id"], "text": df["text"],
                        "label": df["label"], "label_source": "rule", "confidence": 0.5})
    return {"topic": common.check_labels("topic", {"train": common.rows(out), "validation": [], "test": []})}
