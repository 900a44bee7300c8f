"""Count tables saved as arrays: a fitted estimator's `{key: n}` and `{site: {line: n}}` dicts, flattened on save.

skops writes and audits a dict entry by entry: the role model's site line counts (~45k lines in three copies)
were most of the ~140k objects its load audited, about a second of every `newslabel label` start. As a few
arrays the same tables load in milliseconds; the fitted estimator sees the same dicts.

>>> packed = pack({"s": {"home": 2, "rain": 1}, "t": {"home": 1}})
>>> packed["keys"][0], packed["keys"][1].tolist(), packed["counts"].tolist()
('homerainhome', [4, 4, 4], [2, 1, 1])
>>> unpack(packed)
{'s': {'home': 2, 'rain': 1}, 't': {'home': 1}}
>>> unpack(pack({"home": 3}))
{'home': 3}
"""

from __future__ import annotations

import numpy as np

_PACKED = "_packed_"  # the saved state's prefix for a packed table


def _joined(strings: list[str]) -> tuple[str, np.ndarray]:
    """Strings as one str and their lengths (an array of str would pad every line to the longest)."""
    return "".join(strings), np.array([len(x) for x in strings], dtype=np.int64)


def _split(joined: str, lengths: np.ndarray) -> list[str]:
    ends = np.cumsum(lengths).tolist()
    return [joined[a:b] for a, b in zip([0] + ends[:-1], ends)]


def pack(table: dict) -> dict:
    """`{key: n}` -> {keys, counts}; `{outer: {key: n}}` -> {outer (of each entry), keys, counts}."""
    if table and isinstance(next(iter(table.values())), dict):
        entries = [(o, k, n) for o, inner in table.items() for k, n in inner.items()]
        return {"outer": _joined([o for o, _, _ in entries]), "keys": _joined([k for _, k, _ in entries]),
                "counts": np.array([n for _, _, n in entries], dtype=np.int64)}
    return {"keys": _joined(list(table)), "counts": np.array(list(table.values()), dtype=np.int64)}


def unpack(packed: dict) -> dict:
    """The dict `pack` was given."""
    keys, counts = _split(*packed["keys"]), packed["counts"].tolist()
    if "outer" not in packed:
        return dict(zip(keys, counts))
    out: dict[str, dict[str, int]] = {}
    for o, k, n in zip(_split(*packed["outer"]), keys, counts):
        out.setdefault(o, {})[k] = n
    return out


class CompactCounts:
    """Mixin for an estimator whose fitted attributes named in `_COUNT_TABLES` are count dicts: they are saved
    packed (`pack`) and read back as dicts. A state saved before (plain dicts) loads as it is."""

    _COUNT_TABLES: tuple[str, ...] = ()

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object.__getstate__ may return __dict__ itself
        for name in self._COUNT_TABLES:
            if isinstance(state.get(name), dict):
                state[_PACKED + name] = pack(state.pop(name))
        return state

    def __setstate__(self, state):
        state = dict(state)
        for name in self._COUNT_TABLES:
            if _PACKED + name in state:
                state[name] = unpack(state.pop(_PACKED + name))
        super().__setstate__(state)
