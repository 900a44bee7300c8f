"""Deterministic choices from a key alone (not from row order, the batch or the library): splits, folds, caps.

>>> by_digest(["b", "a", "c"]), round(share("page-1"), 4), fold("page-1", 4), bucket("a")
(['c', 'b', 'a'], 0.0574, 1, 97)
"""

from __future__ import annotations

import hashlib


def digest(key: str) -> str:
    """The sha256 hex digest of `key`."""
    return hashlib.sha256(str(key).encode("utf-8")).hexdigest()


def by_digest(keys) -> list:
    """`keys` in the order of their digests: a shuffle that every run and machine repeats."""
    return sorted(keys, key=digest)


def _int32(key: str) -> int:
    return int(digest(key)[:8], 16)


def share(key: str) -> float:
    """A number in [0, 1] from `key` (e.g. the pages whose share is below 0.5)."""
    return _int32(key) / 0xFFFFFFFF


def fold(key: str, folds: int) -> int:
    """0..folds-1 from `key`: the same fold for every row of a page."""
    return _int32(key) % folds


def md5(key: str) -> str:
    """The md5 hex digest of `key`: the public sets' group keys and split buckets."""
    return hashlib.md5(str(key).encode("utf-8")).hexdigest()


def bucket(key: str) -> int:
    """0..99 from md5(key): the public sets' split rule, as each importer's docstring states it."""
    return int(md5(key), 16) % 100
