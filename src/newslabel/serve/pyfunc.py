"""The whole labeller (segmentation and the four models) as one MLflow pyfunc model.

The HTTP server (`newslabel serve`, newslabel.serve.http) and Spark's `spark_udf` serve it: pages in
(`text` or `html`, optional `id` and `url`), one record a passage out (the batch-labelling fields, its page's
metadata `types.PAGE_FIELDS` repeated on each of the page's rows, and `error` for a bad page).
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from newslabel.labels.schema import TASKS
from newslabel.types import PAGE_FIELDS, PASSAGE_FIELDS

# A passage's fields, then its page's metadata (the same on every row of a page), then the page's error.
OUTPUT_COLUMNS = [*PASSAGE_FIELDS, *PAGE_FIELDS, "error"]


class NewslabelModel(mlflow.pyfunc.PythonModel):
    """Pages in (`text` and optional `id`, `url`), labelled passages out."""

    def load_context(self, context) -> None:
        import json

        from newslabel.predict.labeller import Labeller
        from newslabel.tracking.model_files import load_task_model

        versions = json.loads(open(context.artifacts["versions"]).read())
        # Each task's model in its own flavour (scikit-learn from skops, or transformers), version-checked.
        models = {t: load_task_model(context.artifacts[t]) for t in TASKS if t in context.artifacts}
        self.labeller = Labeller(models, versions)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        rows = []
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame({"text": list(model_input)})
        for n, rec in enumerate(frame.to_dict("records")):
            doc_id = str(rec.get("id") or f"page-{n}")
            text = rec.get("text") if rec.get("text") is not None else rec.get("html")
            rows.extend(label_page_rows(self.labeller, text, doc_id, rec.get("url")))
        out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS, dtype=object)
        return out.where(out.notna(), None)  # JSON null, not NaN, for missing labels and errors


def label_page_rows(labeller, text, doc_id: str, url: str | None = None) -> list[dict]:
    """A page's passage rows, or one row carrying the error (a bad page never fails the batch)."""
    from newslabel.errors import InputError
    from newslabel.ingest.decoding import looks_binary

    try:
        if not isinstance(text, str) or not text.strip():
            raise InputError(doc_id, "empty page")
        if looks_binary(text):  # bytes sent as text: no labels rather than nonsense ones
            raise InputError(doc_id, "binary data (control characters), not page text or HTML")
        page = labeller.label_page(text, doc_id=doc_id, url=url)
        meta = {k: page.get(k) for k in PAGE_FIELDS}
        return [{**{k: p.get(k) for k in PASSAGE_FIELDS}, **meta, "error": None} for p in page["passages"]]
    except InputError as exc:
        return [error_row(doc_id, str(exc))]


def error_row(doc_id: str, message: str) -> dict:
    """The one output row of a page that could not be labelled.

    >>> error_row("p1", "p1: empty page")["error"]
    'p1: empty page'
    """
    return {**dict.fromkeys(OUTPUT_COLUMNS), "doc_id": doc_id, "error": message}
