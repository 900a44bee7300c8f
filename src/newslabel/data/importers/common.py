"""Importers: the public evaluation datasets -> labelled rows for the four tasks.

Each importer reads one folder of the shared, read-only data (``../shared/data/<folder>``; every
folder has a README with its source, licence, columns and counts) and returns
``{task: {"train": rows, "validation": rows, "test": rows}}``. A row is a flat dict with at least
``doc_id``, ``group``, ``text``, ``label``, ``label_source`` (``"gold"``) and ``confidence`` (1.0).
``group`` is the key that keeps related rows on one side of a split (domain, article, body), and no
group value occurs in two splits of one task.

| importer | folder | task | labels |
|---|---|---|---|
| ``webextract`` | ``webextract`` | role | ``body`` / ``boilerplate`` (the dataset's names, kept as they are) |
| ``webextract_pages`` | ``webextract`` | role | the same labels on newslabel's own passages (by the gold ``body``) |
| ``extraction_merged`` | ``extraction-merged`` | role | ``body`` / ``boilerplate`` on newslabel's own passages (by the gold text) |
| ``bbc`` | ``topic-bbc-news`` | topic | 5 BBC topics -> IPTC Media Topic names |
| ``agnews`` | ``topic-ag-news`` | topic | 4 AG topics -> IPTC Media Topic names |
| ``fnc1`` | ``fnc1`` | stance | agree / disagree / discuss / unrelated |
| ``babe`` | ``babe`` | bias | biased / neutral |
| ``huffpost`` | ``topic-huffpost`` | topic | 41 HuffPost sections -> the README's IPTC mapping (``high`` rows) |
| ``iptc`` | ``iptc-mediatopic`` | topic | weak rows: each IPTC sub-topic's name and definition under its top level |
| ``rule_topics`` | ``iptc-mediatopic`` (and the sets beside it) | topic | other sets' training articles labelled by `labels.topic_rules` (health) |
| ``arc`` | ``stance-arc`` | stance | agree / disagree / discuss / unrelated, regrouped by body |
| ``basil`` | ``bias-basil`` | bias | a lexical-bias span -> biased, no span -> neutral |
| ``mbic`` | ``babe`` (``mbic_final_labels.csv.gz``) | bias | crowd majority Biased / Non-biased |

Sources without an official split get a deterministic one from a hash of their group key
(``hash_split``): 10% validation, 20% test (``iptc``: no test, it is a label resource).

Topic mapping onto the IPTC top level (``schema.TOPIC``); the original label is kept as ``native_label``:

- BBC: business -> "economy, business and finance", entertainment -> "arts, culture, entertainment
  and media", politics -> "politics", sport -> "sport", tech -> "science and technology".
- AG News: World -> "politics", Sports -> "sport", Business -> "economy, business and finance",
  Sci/Tech -> "science and technology". World is an approximation: AG's World class is international
  news, mostly politics, but it also holds conflict, disaster and crime stories that IPTC files elsewhere.

The role labels ``body`` / ``boilerplate`` are coarser than ``schema.ROLE``. ``body`` is a ROLE name.
``boilerplate`` covers title, byline, related, promo and chrome, so a caller maps it for the task at hand.

The data licences allow evaluation and research only: never copy their text into the repository.
A missing folder or file raises ``MissingDataError`` with a one-line message naming it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from newslabel import hashing
from newslabel.errors import MissingDataError
from newslabel.labels.schema import normalise

Rows = list[dict]
Splits = dict[str, Rows]
SPLITS = ("train", "validation", "test")


# -- helpers ---------------------------------------------------------------------------------
def require(root: Path, filename: str, name: str, folder: str) -> Path:
    """root/filename, or MissingDataError naming the folder (if it is missing) or the file."""
    root = Path(root)
    if not root.is_dir():
        raise MissingDataError(root, name, folder)
    path = root / filename
    if not path.is_file():
        raise MissingDataError(path, name, folder)
    return path


def read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV with empty cells kept as "" (not NaN); raises ValueError when a column is missing."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[], dtype=str)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


def map_labels(values: pd.Series, mapping: dict[str, str], path: Path) -> pd.Series:
    unknown = sorted(set(values) - set(mapping))
    if unknown:
        raise ValueError(f"{path}: unexpected label(s) {', '.join(map(repr, unknown))}")
    return values.map(mapping)


def gold(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(label_source="gold", confidence=1.0)


def rows(df: pd.DataFrame) -> Rows:
    return df.to_dict("records")


def hash_split(groups: pd.Series, validation: int = 10, test: int = 20) -> pd.Series:
    """Deterministic split of group keys: bucket < test -> test, < test+validation -> validation, else train.

    >>> [hashing.bucket(k) for k in "ahj"], hash_split(pd.Series(list("ahj"))).tolist()
    ([97, 13, 5], ['train', 'test', 'test'])
    """
    b = groups.map(hashing.bucket)
    return pd.Series(["test" if v < test else "validation" if v < test + validation else "train" for v in b],
                     index=groups.index)


def by_split(df: pd.DataFrame, split: pd.Series) -> Splits:
    return {s: rows(df[split == s]) for s in SPLITS}


def check_labels(task: str, splits: Splits) -> Splits:
    for rows in splits.values():
        for label in {r["label"] for r in rows}:
            normalise(task, label)
    return splits
