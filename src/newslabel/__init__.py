"""newslabel: scraped news pages -> labelled passages and trained classifiers.

The public API is small and imported lazily, so `import newslabel` stays cheap:

    from newslabel import load_labeller
    labeller = load_labeller()            # the registered champions
    result = labeller.label_page(text_or_html)
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load_labeller", "Labeller", "read_pages", "Page", "Passage", "InputError"]


def __getattr__(name: str):
    if name in ("load_labeller", "Labeller"):
        from . import predict

        return getattr(predict, name)
    if name == "read_pages":
        from .corpus import read_pages

        return read_pages
    if name in ("Page", "Passage", "InputError"):
        from . import types

        return getattr(types, name)
    raise AttributeError(f"module 'newslabel' has no attribute {name!r}")
