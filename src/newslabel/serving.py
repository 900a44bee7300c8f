"""The whole labeller (segmentation and the four models) as one MLflow pyfunc model.

`mlflow models serve -m models:/newslabel@champion --env-manager local` answers
POST /invocations with {"dataframe_records": [{"id": "p1", "text": "<page text or HTML>"}]}
and returns one record a passage (the batch-labelling fields, plus `error` for a bad page).
"""

from __future__ import annotations

import mlflow.pyfunc
import pandas as pd

from .schema import TASKS

OUTPUT_COLUMNS = ["doc_id", "source_path", "index", "line", "text", "role", "role_score", "is_body", "topic",
                  "topic_score", "stance", "stance_score", "bias", "bias_score", "model_version", "error"]


class NewslabelModel(mlflow.pyfunc.PythonModel):
    """Pages in (`text` and optional `id`, `url`), labelled passages out."""

    def load_context(self, context) -> None:
        import json

        from .model_files import load_task_model
        from .predict import Labeller

        versions = json.loads(open(context.artifacts["versions"]).read())
        # Each task's model in its own flavour (scikit-learn from skops, or transformers), version-checked.
        models = {t: load_task_model(context.artifacts[t]) for t in TASKS if t in context.artifacts}
        self.labeller = Labeller(models, versions)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        rows = []
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame({"text": list(model_input)})
        for n, rec in enumerate(frame.to_dict("records")):
            doc_id = str(rec.get("id") or f"page-{n}")
            rows.extend(label_page_rows(self.labeller, rec.get("text"), doc_id, rec.get("url")))
        out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS, dtype=object)
        return out.where(out.notna(), None)  # JSON null, not NaN, for missing labels and errors


def label_page_rows(labeller, text, doc_id: str, url: str | None = None) -> list[dict]:
    """A page's passage rows, or one row carrying the error (a bad page never fails the batch)."""
    from .types import InputError

    try:
        if not isinstance(text, str) or not text.strip():
            raise InputError(doc_id, "empty page")
        return [{**p, "error": None} for p in labeller.label_page(text, doc_id=doc_id, url=url)["passages"]]
    except InputError as exc:
        return [{**dict.fromkeys(OUTPUT_COLUMNS), "doc_id": doc_id, "error": str(exc)}]
