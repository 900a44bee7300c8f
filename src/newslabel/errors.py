"""Errors shared by the model-loading modules (tracking, registry, model files, predict) without import cycles."""

from __future__ import annotations


class ModelLoadError(ValueError):
    """A model URI or path that cannot be loaded; the message names it and says why (one line).

    >>> str(ModelLoadError.because("models:/x/9", "not found\\nTraceback ..."))
    'models:/x/9: cannot load model (not found)'
    """

    @classmethod
    def because(cls, uri: str, reason: str | BaseException) -> ModelLoadError:
        text = str(reason) or type(reason).__name__
        return cls(f"{uri}: cannot load model ({text.strip().splitlines()[0]})")
