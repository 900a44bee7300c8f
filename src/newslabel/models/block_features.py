"""Block features of a page's passages, from what the ingest walk recorded (`ingest.html._PassageWalker`): no
second parse. Each passage carries its tag, tag path, class/id tokens, link density, depth and the ids of its
block ancestors (`blocks`); per page, numpy sums the words under every block element, so a passage reads its
own block's, parent's and grandparent's share of the page's words, where it sits, its neighbours (windows) and
how often its structure repeats on the page.

>>> X = pd.DataFrame({"doc_id": ["d"] * 3, "text": ["Home", "One two three four.", "Five six."],
...     "tag": ["a", "p", "p"], "tag_path": ["body>nav>a", "body>div>p", "body>div>p"], "class_tokens": "",
...     "link_density": [1.0, 0.0, 0.0], "depth": [3, 3, 3], "blocks": ["1", "3 4", "3 5"]})
>>> F = block_matrix(X)
>>> [round(float(v), 3) for v in F[:, FEATURE_NAMES.index("share_parent")]]
[1.0, 0.857, 0.857]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from newslabel.ingest.text import CLOSERS, SENTENCE_MARKS
from newslabel.labels.context import page_slices, window_mean
from newslabel.models.inputs import records, strings
from newslabel.models.vocab import CLASS_HINTS, TAGS

LEVELS = ("self", "parent", "grand", "great")  # the passage's own block element, then 1-3 block levels up
WINDOWS = (5, 11)
TEXT_NAMES = ["log_words", "log_chars", "word_len", "punct", "digits", "upper", "ends_sentence", "sentences",
              "commas", "starts_upper", "title_case"]
FEATURE_NAMES: list[str] = [
    *TEXT_NAMES, "link_density", "depth", "rel_depth", "block_depth", "tag", "position", "word_position",
    "page_log_words", "page_log_passages", "top_share",
    *[f"share_{lv}" for lv in LEVELS], *[f"links_{lv}" for lv in LEVELS], *[f"log_passages_{lv}" for lv in LEVELS],
    *[f"prose_{lv}" for lv in LEVELS], "after_title", "title_distance", "is_title",
    "in_main_50", "in_main_80", "main_gap",
    *[f"{f}_{d}" for d in ("m2", "m1", "p1", "p2") for f in ("log_words", "link_density", "ends_sentence")],
    *[f"mean{w}_{f}" for w in WINDOWS for f in ("log_words", "link_density", "ends_sentence")],
    "log_same_structure", "share_same_structure", "log_same_text", "log_siblings",
    *[f"hint_{h}" for h in CLASS_HINTS],
]
_WORD = re.compile(r"\w+")
_PUNCT = re.compile(r"[^\w\s]")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-ZÀ-Þ]")
_SENTENCE = re.compile(f"[{SENTENCE_MARKS}]")
_ENDS = re.compile(f"[{SENTENCE_MARKS}:][{CLOSERS}]*$")  # a colon too: a lead-in to a list
_TAG_CODE = {t: k for k, t in enumerate(TAGS)}
_HINT_CODE = {h: k for k, h in enumerate(CLASS_HINTS)}


def block_matrix(X: pd.DataFrame) -> np.ndarray:
    """FEATURE_NAMES for every row of `X` (rows of a page contiguous and in page order), float32."""
    cols = {c: strings(X, c) for c in ("text", "tag", "tag_path", "class_tokens", "blocks", "title") if c in X}
    n = len(X)
    link = X["link_density"].to_numpy(float) if "link_density" in X else np.zeros(n)
    depth = X["depth"].to_numpy(float) if "depth" in X else np.zeros(n)
    out = np.zeros((n, len(FEATURE_NAMES)), np.float32)
    empty = [""] * n
    for s in page_slices(X["doc_id"].astype(str).tolist()):
        out[s] = page_features(cols["text"][s], cols.get("tag", empty)[s], cols.get("tag_path", empty)[s],
                               cols.get("class_tokens", empty)[s], link[s], depth[s], cols.get("blocks", empty)[s],
                               cols.get("title", empty)[s.start])
    return np.round(out, 3)


def rule_matrix(X: pd.DataFrame) -> np.ndarray:
    """The labelling rules' page context a passage (`models.role_context.page_features` without template
    statistics or HTML columns: the rules' votes and combined role, section cues such as a related header above,
    the longest prose run, title similarity), float32; rows of a page contiguous and in page order."""
    from newslabel.models.role_context import page_features as context_features

    cols = [c for c in ("doc_id", "text", "title", "site", "tag", "link_density", "class_tokens") if c in X]
    rows_of = records(X[cols])
    rows = [f for s in page_slices(X["doc_id"].astype(str).tolist())
            for f in context_features(rows_of[s], None, use_html=False)]
    return np.asarray(rows, np.float32).reshape(len(X), -1)


def text_stats(texts: list[str]) -> np.ndarray:
    """TEXT_NAMES a passage: sizes and the punctuation, digit and case ratios that hold in any language."""
    out = np.zeros((len(texts), len(TEXT_NAMES)))
    for i, t in enumerate(texts):
        words = _WORD.findall(t)
        n, chars = max(len(words), 1), max(len(t), 1)
        out[i] = (np.log1p(len(words)), np.log1p(len(t)), len(t) / n, len(_PUNCT.findall(t)) / chars,
                  len(_DIGIT.findall(t)) / chars, len(_UPPER.findall(t)) / chars, bool(_ENDS.search(t)),
                  len(_SENTENCE.findall(t)), t.count(",") / n, t[:1].isupper(),
                  sum(w[:1].isupper() for w in words) / n)
    return out


def page_features(texts, tags, tag_paths, class_tokens, link, depth, blocks, title: str = "") -> np.ndarray:
    """One page's FEATURE_NAMES (see the module docstring)."""
    n = len(texts)
    stats = text_stats(texts)
    words = np.expm1(stats[:, 0])
    total = max(words.sum(), 1.0)
    tree = _tree(blocks, words, link * words, stats[:, 6] * words, total)
    tag = np.array([_TAG_CODE.get(t, len(TAGS)) for t in tags], float)
    pos = np.arange(n) / max(n - 1, 1)
    word_pos = (np.cumsum(words) - words) / total
    page = np.tile([np.log1p(total), np.log1p(n)], (n, 1))
    depth_rel = depth - np.average(depth, weights=words + 1e-9)
    rolled = _neighbours(np.c_[stats[:, 0], link, stats[:, 6]])
    parts = [stats, link[:, None], depth[:, None], depth_rel[:, None], tree["block_depth"][:, None], tag[:, None],
             pos[:, None], word_pos[:, None], page, tree["top"][:, None], tree["levels"],
             _title(texts, tags, title, words, total), tree["main"], rolled,
             _repeats(texts, tag_paths, class_tokens, words, total, tree["parent"]), _hints(class_tokens)]
    return np.hstack(parts)


def _tree(blocks: list[str], words: np.ndarray, linked: np.ndarray, prose: np.ndarray,
          total: float) -> dict[str, np.ndarray]:
    """Per passage: the word share, link density, passage count and prose share (words in passages that end a
    sentence) of its block and of 1-3 block levels above;
    its block depth; whether it lies in the deepest block holding > 50% / > 80% of the page's words."""
    n = len(blocks)
    lens = np.array([b.count(" ") + 1 if b else 0 for b in blocks])
    flat = np.array(" ".join(b for b in blocks if b).split(), dtype=np.int64)
    size = int(flat.max()) + 1 if len(flat) else 1
    owner = np.repeat(np.arange(n), lens)
    elem_words = np.bincount(flat, weights=words[owner], minlength=size)
    elem_linked = np.bincount(flat, weights=linked[owner], minlength=size)
    elem_count = np.bincount(flat, minlength=size).astype(float)
    elem_prose = np.bincount(flat, weights=prose[owner], minlength=size)
    ends = np.cumsum(lens)
    levels, ids = [], []
    for k in range(1, len(LEVELS) + 1):
        has = lens >= k
        el = np.where(has, flat[np.clip(ends - k, 0, max(len(flat) - 1, 0))] if len(flat) else 0, 0)
        w = np.where(has, elem_words[el], total)
        lk = np.where(has, elem_linked[el], linked.sum())
        c = np.where(has, elem_count[el], n)
        pr = np.where(has, elem_prose[el], prose.sum())
        levels.append(np.c_[w / total, lk / np.maximum(w, 1), np.log1p(c), pr / np.maximum(w, 1)])
        ids.append(np.where(has, el, -1))
    levels_m = np.hstack([np.stack([lv[:, j] for lv in levels], 1) for j in range(4)])
    main = _main(flat, owner, lens, elem_words / total, n)
    top = np.where(lens > 0, elem_words[flat[np.clip(ends - lens, 0, max(len(flat) - 1, 0))]] if len(flat) else 0,
                   total) / total
    return {"levels": levels_m, "main": main, "block_depth": lens.astype(float), "parent": ids[1], "top": top}


def _title(texts: list[str], tags: list[str], title: str, words: np.ndarray, total: float) -> np.ndarray:
    """[after the headline (the first h1, else the first passage of >= 3 words that the page title contains),
    the page's word share between it and the passage (negative before it), is it the headline]; -1 without one."""
    key = title.casefold()
    found = [i for i, (t, g) in enumerate(zip(texts, tags)) if g == "h1"] or \
            [i for i, t in enumerate(texts) if t.count(" ") >= 2 and t.casefold() in key]
    if not found:
        return np.full((len(texts), 3), -1.0)
    at = found[0]
    before = np.cumsum(words) - words
    idx = np.arange(len(texts))
    return np.c_[idx > at, (before - before[at]) / total, idx == at]


def _main(flat, owner, lens, share, n) -> np.ndarray:
    """[in the deepest block with > 50% of the words, the same for 80%, block levels between the passage and the
    50% block (negative: outside it)]."""
    out = np.zeros((n, 3))
    if not len(flat):
        return out
    level = np.arange(len(flat)) - np.repeat(np.cumsum(lens) - lens, lens)  # each chain entry's depth
    elem_level = np.zeros(len(share), int)
    elem_level[flat] = level
    for j, cut in enumerate((0.5, 0.8)):
        cands = np.flatnonzero(share > cut)
        if not len(cands):
            continue
        main_id = cands[np.argmax(elem_level[cands])]
        inside = np.zeros(n, bool)
        inside[owner[flat == main_id]] = True
        out[:, j] = inside
        if j == 0:
            out[:, 2] = np.where(inside, lens - elem_level[main_id], -1)
    return out


def _neighbours(values: np.ndarray) -> np.ndarray:
    """The columns of `values` at offsets -2, -1, +1, +2 (-1 past the page's ends), then their moving means."""
    n = len(values)
    out = []
    for d in (-2, -1, 1, 2):
        shifted = np.full_like(values, -1.0)
        if abs(d) < n:
            if d < 0:
                shifted[-d:] = values[:d]
            else:
                shifted[:-d] = values[d:]
        out.append(shifted)
    out += [np.stack([window_mean(values[:, j], w // 2) for j in range(values.shape[1])], 1) for w in WINDOWS]
    return np.hstack(out)


def _repeats(texts, tag_paths, class_tokens, words, total, parent) -> np.ndarray:
    """How often the passage's structure (tag path and class tokens) and its text repeat on the page, the word
    share of its structure, and how many passages share its parent block."""
    sig = pd.factorize(pd.Series([f"{p}|{c}" for p, c in zip(tag_paths, class_tokens)]))[0]
    same = np.bincount(sig)[sig]
    share = np.bincount(sig, weights=words)[sig] / total
    text = pd.factorize(pd.Series([t.casefold() for t in texts]))[0]
    _, inv, counts = np.unique(parent, return_inverse=True, return_counts=True)
    return np.c_[np.log(same), share, np.log(np.bincount(text)[text]), np.log(counts[inv])]


def _hints(class_tokens: list[str]) -> np.ndarray:
    out = np.zeros((len(class_tokens), len(CLASS_HINTS)))
    for i, toks in enumerate(class_tokens):
        for t in toks.split():
            k = _HINT_CODE.get(t)
            if k is not None:
                out[i, k] = 1.0
    return out
