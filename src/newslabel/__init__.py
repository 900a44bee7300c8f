"""newslabel: scraped news pages -> labelled passages and trained classifiers.

The pipeline, one folder a stage: ingest -> labels -> data -> models -> training -> predict -> serve, bench
(and cli, the `newslabel` command). The public API is small and imported lazily, so `import newslabel` stays
cheap:

    from newslabel import load_labeller
    labeller = load_labeller()            # the registered champions
    result = labeller.label_page(text_or_html)
"""

from __future__ import annotations

from newslabel.version import __version__

__all__ = ["__version__", "load_labeller", "Labeller", "read_pages", "Page", "Passage", "InputError"]


def __getattr__(name: str):
    # Imported on first use: `import newslabel` loads none of the pipeline (nor pandas, scikit-learn, MLflow).
    if name == "load_labeller":
        from newslabel.predict.load import load_labeller as value
    elif name == "Labeller":
        from newslabel.predict.labeller import Labeller as value
    elif name == "read_pages":
        from newslabel.ingest.corpus import read_pages as value
    elif name in ("Page", "Passage"):
        from newslabel import types

        value = getattr(types, name)
    elif name == "InputError":
        from newslabel.errors import InputError as value
    else:
        raise AttributeError(f"module 'newslabel' has no attribute {name!r}")
    return value
