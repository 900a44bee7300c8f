"""Stance on the sample pages trained and evaluated with the headline the labeller reads it against.

`label_page` reads a page's stance against the headline `labels.stories.page_title` picks from the *predicted*
roles, not the annotated title. So before stance is fitted, each sample page's stance rows get that headline,
with the role champion predicting the roles, as the labeller will. The public sets' rows keep their own
headlines (a user passes those to `predict`). With no role champion yet, the rows keep the annotated title.
"""

from __future__ import annotations

import pandas as pd

from newslabel.ingest.corpus import read_pages
from newslabel.labels.stories import page_title
from newslabel.models.inputs import decide, role_frame


def predicted_headlines(pages, role_model) -> dict[str, str]:
    """doc_id -> the headline the labeller reads stance against, `role_model` predicting the roles."""
    out = {}
    for page in pages:
        records = page.records()
        rows = [{"text": r["text"], "role": role, "role_score": score}
                for r, (role, score) in zip(records, decide(role_model, role_frame(records, page.extra.get("html"))))]
        title = page_title(page, rows)
        if title:
            out[page.doc_id] = title
    return out


def with_headlines(frames: dict[str, pd.DataFrame], headlines: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The stance frames with `headline` replaced on the rows of those pages (sample rows only, in a mix)."""
    out = {}
    for split, df in frames.items():
        df = df.copy()
        mine = df["doc_id"].isin(list(headlines))
        if "source" in df:
            mine &= df["source"].fillna("sample") == "sample"
        df.loc[mine, "headline"] = df.loc[mine, "doc_id"].map(headlines)
        out[split] = df
    return out


def sample_pages(cfg) -> list:
    """The pages of the configured sample corpus (`data.pages`, or `data.sample.pages` in a mix)."""
    data = cfg.data
    globs = data.get("pages") or (data.get("sample") or {}).get("pages") or []
    return read_pages([str(g) for g in globs], max_bytes=int(cfg.ingest.max_bytes))[0] if globs else []
