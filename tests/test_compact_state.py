"""Fitted count tables are saved as arrays (models/compact_state.py) and read back as the same dicts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from newslabel.models.role_context import RoleContext
from newslabel.tracking.model_files import TRUSTED_TYPES, _skops_io

PAGES = pd.DataFrame({
    "doc_id": ["a", "a", "a", "b", "b", "c", "c"],
    "site": ["news.example"] * 5 + ["other.example"] * 2,
    "text": ["Home", "The council met on Monday to set the budget.", "Share this", "Home",
             "Rain fell all day and the roads closed.", "Menu", "A new bridge opened."],
}, dtype=object)


def test_a_fitted_role_context_saves_its_site_tables_as_arrays_and_loads_them_back():
    rc = RoleContext(use_html=False, template_dropout=0.0).fit(PAGES)
    assert rc.site_lines_["news.example"] == {"home": 2, "the council met on monday to set the budget": 1,
                                              "share this": 1, "rain fell all day and the roads closed": 1}
    state = rc.__getstate__()
    assert "site_lines_" not in state and "site_pages_" not in state
    assert state["_packed_site_pages_"]["keys"][0] == "news.exampleother.example"
    skops = _skops_io()
    loaded = skops.loads(skops.dumps(rc), trusted=TRUSTED_TYPES)
    assert (loaded.site_lines_, loaded.site_pages_) == (rc.site_lines_, rc.site_pages_)
    assert np.array_equal(loaded.transform(PAGES).toarray(), rc.transform(PAGES).toarray())


def test_a_state_saved_with_plain_dicts_still_loads():
    rc = RoleContext()
    rc.__setstate__({"template_dropout": 0.5, "use_html": True, "comments": False, "site_pages_": {"s": 3},
                     "site_lines_": {"s": {"home": 3}}})
    assert (rc.site_pages_, rc.site_lines_) == ({"s": 3}, {"s": {"home": 3}})
