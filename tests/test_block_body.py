"""The one-pass body model: the ingest walk's tree fields, the block features (hand-checked values) and
`BlockBody` fitted on a few hand-written pages."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from newslabel.ingest.html import segment_html
from newslabel.models.block_body import BlockBody, BlockBodySettings
from newslabel.models.block_features import FEATURE_NAMES, block_matrix

PAGE = ("<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        "<div class='story'><h1>Harbour plan</h1><p>The council met on Monday to vote.</p>"
        "<p>Work starts in <a href='/spring'>the spring</a>, officials said.</p></div>"
        "<footer>Contact us</footer></body></html>")


def _frame(html: str, doc_id: str = "d") -> pd.DataFrame:
    return pd.DataFrame(segment_html(doc_id, f"{doc_id}.html", html).records())


def _col(F: np.ndarray, name: str) -> list[float]:
    return [round(float(v), 3) for v in F[:, FEATURE_NAMES.index(name)]]


def test_the_walk_records_depth_and_block_ancestors():
    X = _frame(PAGE)
    # element ids in document order: body 1, nav 2, a 3, a 4, div 5, h1 6, p 7, p 8, a 9, footer 10
    assert X["text"].tolist() == ["Home News", "Harbour plan", "The council met on Monday to vote.",
                                  "Work starts in the spring, officials said.", "Contact us"]
    assert X["depth"].tolist() == [3, 3, 3, 3, 2]
    assert X["blocks"].tolist() == ["1 2", "1 5 6", "1 5 7", "1 5 8", "1 10"]


def test_block_features_by_hand():
    F = block_matrix(_frame(PAGE))
    # words: 2, 2, 7, 7, 2 = 20 on the page; the story div holds 16
    assert _col(F, "log_words") == [round(float(np.log1p(w)), 3) for w in (2, 2, 7, 7, 2)]
    assert _col(F, "share_self") == [0.1, 0.1, 0.35, 0.35, 0.1]
    assert _col(F, "share_parent") == [1.0, 0.8, 0.8, 0.8, 1.0]
    assert _col(F, "block_depth") == [2, 3, 3, 3, 2]
    assert _col(F, "in_main_50") == [0, 1, 1, 1, 0]
    assert _col(F, "link_density") == [round(8 / 9, 3), 0.0, 0.0, round(10 / 42, 3), 0.0]  # the space is no link
    assert _col(F, "position") == [0, 0.25, 0.5, 0.75, 1]
    assert _col(F, "log_words_m1") == [-1.0, *_col(F, "log_words")[:-1]]


def test_training_rows_and_label_page_give_the_same_features():
    from newslabel.data.importers.extraction import own_passage_rows
    from newslabel.models.inputs import role_frame
    from newslabel.predict.labeller import read_page

    info = {"doc_id": "d", "group": "s", "site": "s", "url": "", "dataset": "x", "split": "train"}
    training = pd.DataFrame(own_passage_rows(info, PAGE, "The council met on Monday to vote.", "d.html", None))
    served = role_frame(read_page(PAGE, "d").records(), PAGE)
    assert np.array_equal(block_matrix(training), block_matrix(served))
    assert block_matrix(served)[:, FEATURE_NAMES.index("depth")].tolist() == [3, 3, 3, 3, 2]


def _page(k: int) -> str:
    story = "".join(f"<p>Story {k} sentence {j} tells of the harbour, the council and the vote.</p>" for j in range(4))
    return (f"<html><body><nav><a href='/'>Home</a><a href='/{k}'>Sport</a></nav><article>{story}</article>"
            "<footer><a href='/c'>Contact</a></footer></body></html>")


def test_block_body_fits_hand_written_pages_in_seconds():
    X = pd.concat([_frame(_page(k), f"p{k}") for k in range(6)], ignore_index=True)
    y = np.where(X["tag"] == "p", "body", "chrome")
    start = time.perf_counter()
    model = BlockBody(BlockBodySettings(trees=20, min_child_samples=2, folds=2)).fit(X, y)
    assert time.perf_counter() - start < 2
    new = _frame(_page(9), "new")
    assert model.predict(new).tolist() == ["boilerplate"] + ["body"] * 4 + ["boilerplate"]
    assert list(model.classes_) == ["body", "boilerplate"]


def test_block_body_saves_with_skops(tmp_path):
    import skops.io

    X = pd.concat([_frame(_page(k), f"p{k}") for k in range(4)], ignore_index=True)
    model = BlockBody(BlockBodySettings(trees=5, min_child_samples=2, folds=2)).fit(X, np.where(X["tag"] == "p", "body", "x"))
    path = tmp_path / "m.skops"
    skops.io.dump(model, path)
    untrusted = skops.io.get_untrusted_types(file=path)
    assert not [t for t in untrusted if t.startswith("src.")]
    again = skops.io.load(path, trusted=untrusted)
    assert np.allclose(again.predict_proba(X), model.predict_proba(X))


def test_block_body_settings_have_their_defaults_in_one_place():
    assert BlockBody().settings is None  # nothing done in __init__
    with pytest.raises(TypeError):
        BlockBodySettings(unknown=1)


def test_block_body_with_the_rules_context_and_line_frequency(tmp_path):
    import skops.io

    X = pd.concat([_frame(_page(k), f"p{k}").assign(site=f"s{k % 2}") for k in range(6)], ignore_index=True)
    y = np.where(X["tag"] == "p", "body", "chrome")
    s = BlockBodySettings(trees=20, min_child_samples=2, folds=2, rules=True, line_frequency=True)
    model = BlockBody(s).fit(X, y)
    new = _frame(_page(9), "new")
    assert model.predict(new).tolist() == ["boilerplate"] + ["body"] * 4 + ["boilerplate"]
    path = tmp_path / "m.skops"
    skops.io.dump(model, path)
    again = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    assert np.allclose(again.predict_proba(new), model.predict_proba(new))
