"""Page-context features learned in fit: a page's features never depend on the rest of the prediction batch."""

from __future__ import annotations

import pandas as pd

from newslabel.models.role_context import RoleContext

SHARE, UNKNOWN = 21, 22  # columns of features.page_features: template share, and "no statistics for the site"
BODY = "The harbour board approved the new sea wall on Monday after a long debate, officials said."


def _pages(*pages: tuple[str, str, list[str]]) -> pd.DataFrame:
    rows = [{"doc_id": doc, "site": site, "text": text, "title": lines[0], "index": i}
            for doc, site, lines in pages for i, text in enumerate(lines)]
    return pd.DataFrame(rows)


TRAIN = _pages(("a", "s", ["Home", "Storm hits the coast", BODY]), ("b", "s", ["Home", "Ferry fares rise", BODY]),
               ("c", "s", ["Home", "Pier reopens", "A different closing line for this page."]))


def test_template_share_comes_from_the_training_pages_plus_the_page_itself():
    ctx = RoleContext(template_dropout=0.0, use_html=False).fit(TRAIN)
    assert ctx.site_pages_ == {"s": 3} and ctx.site_lines_["s"]["home"] == 3
    new = _pages(("d", "s", ["Home", "Bridge closes", BODY]))
    F = ctx.transform(new).toarray()
    # "Home": on all 3 training pages and this one: 4/4; the new title: this page only, 1/4; the body line: 3/4.
    assert F[:, SHARE].tolist() == [1.0, 0.25, 0.75] and F[:, UNKNOWN].tolist() == [0.0, 0.0, 0.0]
    # A page of a site seen on no training page has no statistics, alone or not.
    other = ctx.transform(_pages(("e", "t", ["Home", "Bridge closes"]))).toarray()
    assert other[:, UNKNOWN].tolist() == [1.0, 1.0] and other[:, SHARE].tolist() == [0.0, 0.0]


def test_a_page_gets_the_same_features_alone_and_in_any_batch():
    ctx = RoleContext(use_html=False).fit(TRAIN)
    pages = [_pages((f"p{k}", "s", ["Home", f"Headline number {k}", BODY])) for k in range(4)]
    alone = [ctx.transform(p).toarray() for p in pages]
    together = ctx.transform(pd.concat(pages, ignore_index=True)).toarray()
    assert (together == pd.concat([pd.DataFrame(a) for a in alone]).to_numpy()).all()
    # Statistics read from the batch would give a lone page none (fewer than 3 pages of its site).
    assert alone[0][:, SHARE].tolist() == [1.0, 0.25, 0.75]


def test_stacked_html_features_of_a_page_do_not_depend_on_the_batch():
    from newslabel.models.dom_features import HtmlFeatures

    def page(doc: str, site: str, title: str) -> list[dict]:
        lines = ["Home", "Share on Facebook", title, BODY, "Another closing sentence for the story, as it happened."]
        html = "<html><body>" + "".join(f"<p>{t}</p>" for t in lines) + "</body></html>"
        return [{"doc_id": doc, "site": site, "text": t, "html": html, "title": title, "index": i}
                for i, t in enumerate(lines)]

    train = pd.DataFrame([r for k in range(6) for r in page(f"t{k}", f"site{k % 3}", f"Headline {k}")])
    y = ["chrome", "chrome", "title", "body", "body"] * 6
    features = HtmlFeatures(trafilatura=False, stack=True, text_model=False, folds=2, max_iter=5).fit(train, y)
    new = [pd.DataFrame(page(f"n{k}", site, f"New headline {k}")) for k, site in enumerate(["site0", "other"])]
    together = features.transform(pd.concat(new, ignore_index=True)).toarray()
    alone = [features.transform(p).toarray() for p in new]
    assert (together == pd.concat([pd.DataFrame(a) for a in alone]).to_numpy()).all()
    # "Share on Facebook" is on all 6 training pages; a page of site0 counts the 4 of other sites and itself.
    assert features.line_pages_["share on facebook"] == 6 and features.site_pages_ == {"site0": 2, "site1": 2,
                                                                                        "site2": 2}


PARAS = ["The council met on Monday and approved the harbour plan after a debate.",
         "Work on the new harbour starts in the spring, officials said on Monday.",
         "The plan was first put forward three years ago by local fishermen."]
ARTICLE = ("<html><body><nav><a href='/'>Home</a></nav><article><h1>Rain</h1>"
           + "".join(f"<p>{p}</p>" for p in PARAS) + "</article></body></html>")


def test_trafilatura_runs_only_in_the_modes_asked_for():
    import pytest

    from newslabel.models.dom import FEATURE_NAMES, page_features
    from newslabel.models.dom_features import html_part

    texts = ["Home", "Rain", *PARAS]
    every, _ = page_features(texts, ARTICLE, dom=False)
    one, _ = page_features(texts, ARTICLE, dom=False, modes=("precision",))

    def col(F, name):
        return F[:, FEATURE_NAMES.index(name)].tolist()

    assert col(every, "traf_precision") == col(one, "traf_precision") == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert col(every, "traf_recall_up1") == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert col(one, "traf_default") == col(one, "traf_recall_up1") == [0.0] * 5  # not extracted at all
    assert col(one, "traf_page_share") == [0.8] * 5  # 4 of the 5 passages, as trafilatura's precision mode says
    with pytest.raises(ValueError, match=r"^html_features.trafilatura_modes: unknown precise; expected one or more "
                                         r"of precision, default, recall$"):
        html_part({"trafilatura_modes": ["precise"]})


def test_the_comment_column_marks_the_readers_comments_after_the_article():
    lines = ["Comments (2)", "Storm hits the coast", BODY, "Comments", "I live there and it was far worse than this.",
             "Posted by: Ann | 4 May 2026", "Related Articles", "Ferry fares rise"]
    page = _pages(("d", "s", lines))
    plain = RoleContext(use_html=False).fit(TRAIN)
    F = RoleContext(use_html=False, comments=True).fit(TRAIN).transform(page).toarray()
    # The header before the article links to the comments; the zone runs from "Comments" to "Related Articles".
    assert F.shape[1] == plain.transform(page).shape[1] + 1
    assert F[:, -1].tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]


def test_vectorisers_sharing_a_page_analysis_give_their_own_matrices():
    from newslabel.models.text import CompactTfidf, shared_analysis

    train = [["Rain fell on the harbour.", "Share this story"], ["Ferry fares rise again", "Home | News | Sport"]]
    page = ["Home | News | Sport", "Rain fell on the harbour again.", "", "Home | News | Sport", "Fares rise"]
    vectorisers = [CompactTfidf(analyzer=a, ngram_range=n, sublinear_tf=True).fit(t)
                   for a, n in (("char_wb", (2, 4)), ("word", (1, 2))) for t in train]
    later = [page[3:0:-1], ["Sun", "Rain fell"]]  # some of the page's passages again; texts the page does not hold
    alone = [v.transform(texts) for texts in [page, *later] for v in vectorisers]
    with shared_analysis():
        shared = [v.transform(texts) for texts in [page, *later] for v in vectorisers]
    for a, s in zip(alone, shared):
        assert a.shape == s.shape and (a != s).nnz == 0 and a.dtype == s.dtype and s.has_sorted_indices
