"""Errors shared by the model-loading modules (tracking, registry, model files, predict) without import cycles."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A bad input file (or line of one); the message names the file and the reason.

    >>> str(InputError("a.txt", "empty file"))
    'a.txt: empty file'
    >>> str(InputError("a.jsonl", "not valid JSON", line=3))
    'a.jsonl:3: not valid JSON'
    """

    def __init__(self, path: str, reason: str, line: int | None = None):
        self.path, self.reason, self.line = str(path), reason, line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class InputWarning(UserWarning):
    """A page that was labelled after a repair (bad UTF-8 bytes replaced, flattened nesting); names the file."""


class ModelLoadError(ValueError):
    """A model URI or path that cannot be loaded; the message names it and says why (one line).

    >>> str(ModelLoadError.because("models:/x/9", "not found\\nTraceback ..."))
    'models:/x/9: cannot load model (not found)'
    """

    @classmethod
    def because(cls, uri: str, reason: str | BaseException) -> ModelLoadError:
        text = str(reason) or type(reason).__name__
        return cls(f"{uri}: cannot load model ({text.strip().splitlines()[0]})")


class MissingDataError(FileNotFoundError):
    """A dataset folder or file is not there; the message is one line naming it.

    >>> str(MissingDataError("x/train.csv", "bbc", "topic-bbc-news"))
    'x/train.csv: not found; the bbc data lives in ../shared/data/topic-bbc-news'
    """

    def __init__(self, path: str | Path, name: str, folder: str):
        self.path, self.name, self.folder = str(path), name, folder
        super().__init__(f"{path}: not found; the {name} data lives in ../shared/data/{folder}")
